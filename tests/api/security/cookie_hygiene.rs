//! Which answers touch which cookies: never a session cookie the request did not carry, the CSRF
//! cookie only where a browser needs one, and the CSRF token bound to its session.

use rocket::http::{Cookie, Header, Status};
use serde_json::json;

use crate::common::*;

fn set_cookie_names(response: &rocket::local::asynchronous::LocalResponse<'_>) -> Vec<String> {
    response
        .headers()
        .get("Set-Cookie")
        .filter_map(|v| Cookie::parse_encoded(v.to_owned()).ok())
        .map(|c| c.name().to_owned())
        .collect()
}

/// The sign-out attack: a cross-site top-level POST carries no `SameSite=Lax` cookie; its refusal
/// must not clear the victim's cookies.
#[rocket::async_test]
async fn a_request_without_session_cookies_never_gets_a_set_cookie_that_clears_one() {
    let app = app().await;
    let refused = app.client.post("/api/auth/refresh").dispatch().await;
    assert_eq!(refused.status(), Status::Unauthorized);
    assert_eq!(set_cookie_names(&refused), Vec::<String>::new());
    assert_eq!(error_code(refused).await, "invalid_refresh_token");
    let logout = app.client.post("/api/auth/logout").dispatch().await;
    assert_eq!(logout.status(), Status::Unauthorized);
    assert_eq!(set_cookie_names(&logout), Vec::<String>::new());
    // Only what was carried is cleared: a garbage refresh cookie, not the absent access cookie.
    let garbage = app
        .client
        .post("/api/auth/refresh")
        .cookie(Cookie::new("refresh_token", "garbage"))
        .cookie(Cookie::new("csrf_token", "t"))
        .header(Header::new("X-CSRF-Token", "t"))
        .dispatch()
        .await;
    assert_eq!(garbage.status(), Status::Unauthorized);
    let names = set_cookie_names(&garbage);
    assert!(names.contains(&"refresh_token".to_owned()), "{names:?}");
    assert!(!names.contains(&"access_token".to_owned()), "{names:?}");
}

#[rocket::async_test]
async fn the_csrf_cookie_is_issued_to_pages_and_new_sessions_only() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    assert!(
        !login.csrf.is_empty(),
        "a cookie session starts with its CSRF token"
    );
    let quiet = [
        app.client.get("/healthz").dispatch().await,
        app.client
            .get("/api/auth/me")
            .header(login.bearer())
            .dispatch()
            .await,
        app.client.get("/api/nowhere").dispatch().await,
        app.client.get("/.well-known/jwks.json").dispatch().await,
        app.client.get("/static/app.css").dispatch().await,
    ];
    for response in &quiet {
        assert_eq!(set_cookie_names(response), Vec::<String>::new());
    }
    let page = app.client.get("/login").dispatch().await;
    assert_eq!(set_cookie_names(&page), vec!["csrf_token".to_owned()]);
    // A refresh keeps the session's token: forms open in other tabs stay good.
    let refreshed = app.refresh(&login).await;
    assert_eq!(refreshed.status(), Status::Ok);
    assert_eq!(
        set_cookie_names(&refreshed),
        vec!["refresh_token".to_owned()]
    );
    // Body mode starts no cookie session, so no CSRF cookie either.
    let body_mode = app_with(|f| f.merge(("refresh_token_as_cookie", false))).await;
    let body = json!({ "email": "bob@example.com", "password": PASSWORD });
    let response = body_mode
        .post_json("/api/auth/register", body, FIREFOX)
        .await;
    assert_eq!(set_cookie_names(&response), Vec::<String>::new());
}

#[rocket::async_test]
async fn a_csrf_token_serves_its_own_session_only() {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    // Bob's refresh cookie with Ann's token (say, planted by a sibling subdomain).
    let response = app.refresh_with_cookie(&bob.refresh, &ann.csrf).await;
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(error_code(response).await, "csrf_failed");
    // A made-up token of the right shape.
    let made_up = format!("{}.{}", "a".repeat(32), "b".repeat(32));
    let response = app.refresh_with_cookie(&bob.refresh, &made_up).await;
    assert_eq!(error_code(response).await, "csrf_failed");
    // A token from a page seen before signing in (no session) does not serve a session either.
    let page = app.client.get("/login").dispatch().await;
    let anonymous = set_cookie(&page, "csrf_token").unwrap().value().to_owned();
    let response = app.refresh_with_cookie(&bob.refresh, &anonymous).await;
    assert_eq!(error_code(response).await, "csrf_failed");
    assert_eq!(app.refresh(&bob).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn signing_in_and_out_replaces_the_csrf_token() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    browser.get("/register").await;
    let before = browser.cookie("csrf_token").unwrap().to_owned();
    browser.sign_up("ann@example.com").await;
    let signed_in = browser.cookie("csrf_token").unwrap().to_owned();
    assert_ne!(before, signed_in, "replaced at sign-in");
    // Renewal keeps it.
    browser.expire_access_cookie();
    assert_eq!(browser.get("/sessions").await.status, Status::Ok);
    assert_eq!(browser.cookie("csrf_token"), Some(signed_in.as_str()));
    let page = browser.post("/logout", &[]).await;
    page.assert_redirect("/login");
    let signed_out = browser.cookie("csrf_token").unwrap().to_owned();
    assert_ne!(signed_out, signed_in, "replaced at sign-out");
}
