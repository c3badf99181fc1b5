//! Templates and static files (src/assets.rs): the app's own, or an operator's folders
//! (`template_dir`, `static_dir`) in their place.

use std::path::Path;

use rocket::http::{ContentType, Status};

use crate::common::*;

const VERIFY_SUBJECT: &str = "Confirm your email address";
const TEMPLATES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a folder");
    for entry in std::fs::read_dir(from).expect("the templates") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("a copy");
        }
    }
}

#[rocket::async_test]
async fn the_app_serves_its_own_pages_and_static_files() {
    let app = app().await;
    let page = app.client.get("/login").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    assert_eq!(page.content_type(), Some(ContentType::HTML));
    let demo = app.client.get("/static/demo/").dispatch().await;
    assert_eq!(demo.status(), Status::Ok);
    assert_eq!(demo.content_type(), Some(ContentType::HTML));
    let script = app.client.get("/static/js/auth-client.js").dispatch().await;
    assert_eq!(script.content_type(), Some(ContentType::JavaScript));
    for missing in [
        "/static/nope.css",
        "/static/../Cargo.toml",
        "/static/.hidden",
    ] {
        let answer = app.client.get(missing).dispatch().await;
        assert_eq!(answer.status(), Status::NotFound, "{missing}");
    }
}

#[rocket::async_test]
async fn an_operators_folders_replace_the_templates_and_static_files() {
    let folders = tempfile::tempdir().expect("temp dir");
    let templates = folders.path().join("templates");
    copy_folder(Path::new(TEMPLATES), &templates);
    let login = templates.join("login.html.tera");
    let text = std::fs::read_to_string(&login).expect("the sign-in page");
    let text = text.replace("<h1>Sign in</h1>", "<h1>Sign in to Example &amp; Co</h1>");
    std::fs::write(&login, text).expect("written");
    let static_files = folders.path().join("static");
    std::fs::create_dir_all(&static_files).expect("a folder");
    std::fs::write(static_files.join("app.css"), "body { color: teal }").expect("written");

    let app = app_with(|f| {
        f.merge(("template_dir", templates.display().to_string()))
            .merge(("static_dir", static_files.display().to_string()))
    })
    .await;
    let page = app.client.get("/login").dispatch().await;
    assert_eq!(page.content_type(), Some(ContentType::HTML));
    let body = page.into_string().await.expect("a page");
    assert!(
        body.contains("<h1>Sign in to Example &amp; Co</h1>"),
        "{body}"
    );
    let css = app.client.get("/static/app.css").dispatch().await;
    assert_eq!(css.content_type(), Some(ContentType::CSS));
    assert_eq!(
        css.into_string().await.as_deref(),
        Some("body { color: teal }")
    );
    // Only the operator's folder: the app's own files are not mixed in.
    let script = app.client.get("/static/js/auth-client.js").dispatch().await;
    assert_eq!(script.status(), Status::NotFound);
    // The mails come from that folder too.
    let mail_layout = templates.join("mail/html/layout.html.tera");
    let layout = std::fs::read_to_string(&mail_layout).expect("the mail layout");
    std::fs::write(&mail_layout, format!("{layout}<!-- from Example & Co -->")).expect("written");
    let app = app_with(|f| f.merge(("template_dir", templates.display().to_string()))).await;
    app.register("ann@example.com").await;
    let mail = app.last_mail("ann@example.com", VERIFY_SUBJECT).await;
    assert!(
        mail.html.contains("<!-- from Example & Co -->"),
        "{}",
        mail.html
    );
}
