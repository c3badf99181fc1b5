//! Delivery: a real SMTP conversation with aiosmtpd, the outbox without `smtp_url`, and sending
//! that never holds up an answer and tries again when the server is away.

use std::time::{Duration, Instant};

use rocket::http::Status;
use serde_json::json;

use crate::common::*;

#[rocket::async_test]
async fn a_sign_up_mails_its_verification_link_through_a_real_smtp_server() {
    let server = SmtpServer::start();
    let url = server.url();
    let app = app_with(|f| f.merge(("smtp_url", url))).await;
    app.register("ann@example.com").await;
    app.mail_settled().await;

    let received = server.received();
    assert_eq!(received.len(), 1, "{received:?}");
    let mail = &received[0];
    assert_eq!(mail.from, "no-reply@localhost");
    assert_eq!(mail.to, "ann@example.com");
    assert_eq!(mail.subject, VERIFY_SUBJECT);
    // The envelope, as the server saw it.
    assert_eq!(
        mail.header("X-MailFrom").as_deref(),
        Some("no-reply@localhost")
    );
    assert_eq!(mail.header("X-RcptTo").as_deref(), Some("ann@example.com"));
    // The address proved nothing yet: the name chosen at sign-up is not in the mail.
    let to = mail.header("To").unwrap();
    assert!(
        !to.contains("Test") && to.contains("ann@example.com"),
        "{to}"
    );
    assert!(mail.header("Date").is_some());
    let id = mail.header("Message-ID").expect("a Message-ID");
    assert!(id.starts_with('<') && id.ends_with("@localhost>"), "{id}");
    let content_type = mail.header("Content-Type").unwrap();
    assert!(
        content_type.starts_with("multipart/alternative"),
        "{content_type}"
    );
    // Both parts, the same link in each, starting with public_url.
    let link = mail.link();
    assert!(
        link.starts_with(&format!("{PUBLIC_URL}/verify-email?token=")),
        "{link}"
    );
    assert!(
        mail.text.contains("48 hours") || mail.text.contains("2 days"),
        "{}",
        mail.text
    );
    assert!(mail.html.contains("<a href="), "{}", mail.html);
    assert!(mail.html.contains(&mail.token()), "{}", mail.html);
    assert!(mail.html.contains("Confirm my address"));
    // Nothing went to the outbox.
    assert!(mails_in(&app.outbox).is_empty());

    // The link works.
    let body = json!({ "token": mail.token() });
    let response = app.post_json("/api/auth/email/verify", body, FIREFOX).await;
    assert_eq!(response.status(), Status::NoContent);
}

#[rocket::async_test]
async fn without_smtp_url_each_mail_is_an_eml_file_in_the_outbox() {
    let app = app().await;
    app.register("ann@example.com").await;
    let outbox = app.outbox().await;
    assert_eq!(outbox.len(), 1);
    let mail = &outbox[0];
    let name = mail
        .file
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        name.ends_with(".eml") && name.contains("-verify_email-"),
        "{name}"
    );
    assert_eq!(mail.to, "ann@example.com");
    assert_eq!(mail.subject, VERIFY_SUBJECT);
    assert!(!mail.html.is_empty() && !mail.text.is_empty());
    assert!(mail.link().starts_with(PUBLIC_URL));
    // The page the link opens confirms the address.
    let mut browser = Browser::new(&app, FIREFOX);
    let page = browser.open_mailed_link(&mail.path()).await;
    page.assert_redirect("/");
    let stats = app.mailer().stats();
    assert_eq!((stats.sent, stats.failed, stats.pending), (1, 0, 0));
}

#[rocket::async_test]
async fn the_answer_never_waits_for_smtp_and_a_failed_send_is_tried_again() {
    // Nothing listens on the port yet: the first attempt fails.
    let port = free_port();
    let app = app_with(|f| f.merge(("smtp_url", format!("smtp://127.0.0.1:{port}")))).await;
    let started = Instant::now();
    app.register("ann@example.com").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        app.mailer().stats().pending,
        1,
        "the mail is still on its way"
    );

    rocket::tokio::time::sleep(Duration::from_millis(200)).await;
    let server = SmtpServer::start_on(port);
    app.mail_settled().await;
    let stats = app.mailer().stats();
    assert_eq!((stats.sent, stats.failed), (1, 0), "{stats:?}");
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].subject, VERIFY_SUBJECT);
}

#[rocket::async_test]
async fn a_chosen_name_is_kept_from_unverified_addresses_and_escaped_in_the_html_part() {
    let app = app().await;
    let name = "<a href=\"https://evil.example\">Ann</a>";
    let body = json!({ "email": "ann@example.com", "password": PASSWORD, "name": name });
    let response = app.post_json("/api/auth/register", body, FIREFOX).await;
    assert_eq!(response.status(), Status::Created);
    // Not in mail to an address nobody proved yet (anyone can sign up with another's)...
    let verify = app.last_mail("ann@example.com", VERIFY_SUBJECT).await;
    assert!(!verify.text.contains("evil") && !verify.html.contains("evil"));
    assert!(!verify.header("To").unwrap().contains("evil"));
    // ...and escaped in the HTML part once it is.
    app.verify_email(&verify.token()).await;
    app.forgot_password("ann@example.com").await;
    let mail = app.last_mail("ann@example.com", RESET_SUBJECT).await;
    assert!(
        !mail.html.contains("https://evil.example\">"),
        "{}",
        mail.html
    );
    assert!(mail.html.contains("&lt;a href="), "{}", mail.html);
    assert!(
        mail.text.contains(name),
        "the text part is text: {}",
        mail.text
    );
}
