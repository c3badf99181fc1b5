//! What the pages are made of: user text escaped, no inline script or style, error pages
//! outside the API and JSON inside it.

use rocket::http::{ContentType, Status};

use crate::common::*;

#[rocket::async_test]
async fn user_agents_and_names_are_shown_escaped() {
    let app = app().await;
    let evil = "Mozilla/5.0 <script>alert(1)</script> \"><img src=x onerror=alert(2)>";
    let mut browser = Browser::new(&app, evil);
    browser.get("/register").await;
    let page = browser
        .post(
            "/register",
            &[
                ("email", "ann@example.com"),
                ("name", "<b>Ann</b>"),
                ("password", PASSWORD),
            ],
        )
        .await;
    page.assert_redirect("/");
    for path in ["/", "/sessions"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, Status::Ok);
        assert!(!page.body.contains("<script>"), "{path}");
        assert!(!page.body.contains("<img"), "{path}");
        assert!(!page.body.contains("<b>Ann"), "{path}");
    }
    let page = browser.get("/sessions").await;
    assert!(page
        .body
        .contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
    assert!(page
        .body
        .contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(browser
        .get("/")
        .await
        .body
        .contains("&lt;b&gt;Ann&lt;&#x2F;b&gt;"));
}

#[rocket::async_test]
async fn pages_are_self_contained_with_no_inline_script_or_style() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    let mut pages = vec![
        browser.get("/login").await,
        browser.get("/register").await,
        browser.get("/no-such-page").await,
    ];
    browser.sign_up("ann@example.com").await;
    let phone = app.login("ann@example.com", IPHONE).await;
    pages.push(browser.get("/").await);
    pages.push(browser.get("/sessions").await);
    pages.push(
        browser
            .get(&format!("/sessions/{}/revoke", phone.session_id()))
            .await,
    );
    for page in &pages {
        // Scripts only as files of this site (`/static/js/…`, the passkey buttons), never inline.
        for script in page.body.split("<script").skip(1) {
            let (tag, rest) = script.split_once('>').expect("a closed <script> tag");
            assert!(tag.contains(" src=\"/static/js/"), "{}", page.body);
            assert!(
                rest.starts_with("</script>"),
                "inline script: {}",
                page.body
            );
        }
        assert!(!page.body.contains(" style="), "{}", page.body);
        assert!(!page.body.contains("http://") && !page.body.contains("https://"));
        assert!(page.body.contains("href=\"/static/app.css\""));
    }
    let css = app.client.get("/static/app.css").dispatch().await;
    assert_eq!(css.status(), Status::Ok);
    assert_eq!(css.content_type(), Some(ContentType::CSS));
}

#[rocket::async_test]
async fn errors_outside_the_api_are_pages_and_inside_stay_json() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    let page = browser.get("/no-such-page").await;
    assert_eq!(page.status, Status::NotFound);
    assert!(page.body.contains("Page not found"));
    assert!(page.body.starts_with("<!doctype html>"));
    // A form that is not a form: 422 page.
    browser.get("/login").await;
    let page = browser
        .post("/login", &[("email", "ann@example.com")])
        .await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    assert!(page.body.contains("That did not work"));
    assert!(
        page.body.contains("Please fill in: password."),
        "{}",
        page.body
    );

    let response = app.client.get("/api/no-such-route").dispatch().await;
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(error_code(response).await, "not_found");
}
