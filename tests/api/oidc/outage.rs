//! A provider that cannot be reached: the app starts, serves everything else, and the button
//! answers with a page that says so (never a 500).

use rocket::http::Status;
use serde_json::Value;

use super::*;

/// A loopback port nobody listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.local_addr().expect("an address").port()
}

#[rocket::async_test]
async fn a_provider_that_is_down_gets_a_clear_page_and_the_app_runs_on() {
    let issuer = format!("http://127.0.0.1:{}", closed_port());
    let app = app_with_provider("down", &issuer).await;
    let mut browser = Browser::new(&app, FIREFOX);

    let login = browser.get("/login").await;
    assert_eq!(login.status, Status::Ok);
    assert!(
        login.body.contains("Continue with Test ID"),
        "{}",
        login.body
    );

    let page = browser.get("/login/oidc/down").await;
    assert_eq!(page.status, Status::ServiceUnavailable, "{}", page.body);
    assert!(
        page.body.contains("Test ID cannot be reached"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("name=\"password\""),
        "the password form is right there"
    );

    let listed = browser.get("/api/auth/oidc/providers").await;
    assert_eq!(listed.status, Status::Ok);
    let listed: Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(listed["providers"][0]["name"], "down");
    assert_eq!(listed["providers"][0]["login_url"], "/login/oidc/down");

    browser.sign_up("ann@example.com").await;
    assert_eq!(browser.get("/readyz").await.status, Status::Ok);
}

#[rocket::async_test]
async fn an_unknown_provider_is_not_found() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    let page = browser.get("/login/oidc/nope").await;
    assert_eq!(page.status, Status::NotFound, "{}", page.body);
    let none = browser.get("/api/auth/oidc/providers").await;
    assert_eq!(none.body, r#"{"providers":[]}"#);
}
