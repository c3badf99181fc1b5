//! Which cookies get a page: without a user the browser goes to sign in, an expired access
//! cookie is renewed on the way, revoked or forged cookies are cleared.

use rocket::http::Status;
use serde_json::json;

use crate::common::*;

#[rocket::async_test]
async fn pages_without_a_user_send_the_browser_to_sign_in() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    for (path, login) in [
        ("/", "/login"),
        ("/sessions", "/login?next=/sessions"),
        ("/sessions?a=1&b=2", "/login?next=/sessions%3Fa%3D1%26b%3D2"),
        ("/sessions/abc/revoke", "/login?next=/sessions/abc/revoke"),
    ] {
        let page = browser.get(path).await;
        page.assert_redirect(login);
        assert!(
            page.set_cookie("access_token").is_none(),
            "nothing to clear"
        );
    }
    // A form target is no page to come back to (the forms come from a page: it set the CSRF
    // cookie).
    browser.get("/login").await;
    browser
        .post("/sessions/revoke-others", &[])
        .await
        .assert_redirect("/login");
    browser.post("/logout", &[]).await.assert_redirect("/login");
}

#[rocket::async_test]
async fn expired_access_cookie_and_good_refresh_cookie_serve_the_page_and_rotate() {
    let app = app().await;
    let mut browser = ann_signed_up(&app).await;
    let old_refresh = browser.cookie("refresh_token").unwrap().to_owned();
    browser.expire_access_cookie();

    let page = browser.get("/sessions").await;
    assert_eq!(page.status, Status::Ok, "served, not redirected");
    assert!(page.body.contains("Your devices"));
    assert!(page.sets_session_cookies(), "both cookies renewed");
    let new_refresh = browser.cookie("refresh_token").unwrap().to_owned();
    let new_access = browser.cookie("access_token").unwrap().to_owned();
    assert_ne!(payload(&new_refresh)["jti"], payload(&old_refresh)["jti"]);
    assert!(app.tokens().verify_access(&new_access).is_ok());
    assert_eq!(
        page.set_cookie("access_token").unwrap().http_only(),
        Some(true)
    );

    // With the renewed cookies the next page needs no renewal.
    let page = browser.get("/").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.set_cookie("refresh_token").is_none());

    // The rotation was real: the old refresh token is now a reuse (past the grace window).
    let app_no_grace = app_with(|f| f.merge(("refresh_reuse_grace", 0))).await;
    let mut other = Browser::new(&app_no_grace, FIREFOX);
    other.sign_up("bob@example.com").await;
    let stale = other.cookie("refresh_token").unwrap().to_owned();
    other.jar.remove("access_token");
    assert_eq!(other.get("/").await.status, Status::Ok, "no access cookie");
    app_no_grace.advance_clock(1);
    other.set("refresh_token", &stale);
    other.jar.remove("access_token");
    let page = other.get("/").await;
    page.assert_redirect("/login");
    page.assert_clears_only("refresh_token", "access_token");
}

#[rocket::async_test]
async fn refresh_page_renews_and_returns_or_sends_to_sign_in() {
    let app = app().await;
    let mut browser = ann_signed_up(&app).await;
    let old = browser.cookie("refresh_token").unwrap().to_owned();
    let page = browser.get("/auth/refresh?next=/sessions").await;
    page.assert_redirect("/sessions");
    assert!(page.sets_session_cookies());
    assert_ne!(browser.cookie("refresh_token"), Some(old.as_str()));

    let mut stranger = Browser::new(&app, FIREFOX);
    stranger
        .get("/auth/refresh?next=/sessions")
        .await
        .assert_redirect("/login?next=/sessions");
    stranger.set("refresh_token", "garbage");
    let page = stranger.get("/auth/refresh").await;
    page.assert_redirect("/login");
    page.assert_clears_only("refresh_token", "access_token");
}

#[rocket::async_test]
async fn body_mode_pages_still_keep_the_session_in_cookies() {
    let app = app_with(|f| f.merge(("refresh_token_as_cookie", false))).await;
    // The JSON API is unchanged: refresh token in the body, no refresh cookie.
    let api = app.register("bob@example.com").await;
    assert!(api.body["refresh_token"].is_string());

    let mut browser = ann_signed_up(&app).await;
    browser.expire_access_cookie();
    let page = browser.get("/sessions").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.sets_session_cookies());
    // The API's body-mode refresh ignores the page's cookie.
    let csrf = browser.cookie("csrf_token").unwrap().to_owned();
    let refresh = browser.cookie("refresh_token").unwrap().to_owned();
    let response = app.refresh_with_cookie(&refresh, &csrf).await;
    assert_eq!(response.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn a_revoked_session_goes_to_sign_in_and_loses_its_cookies() {
    let app = app().await;
    let (mut laptop, mut phone) = laptop_and_phone(&app).await;
    let phone_session = phone.session_id();
    assert_eq!(phone.get("/sessions").await.status, Status::Ok);

    laptop.get("/sessions").await;
    let page = laptop
        .post(&format!("/sessions/{phone_session}/revoke"), &[])
        .await;
    page.assert_redirect("/sessions");

    // The phone's access cookie is still unexpired: the page guard checks the session anyway.
    let page = phone.get("/sessions").await;
    page.assert_redirect("/login?next=/sessions");
    assert!(page.clears_session_cookies());
    assert!(phone.cookie("access_token").is_none());
}

#[rocket::async_test]
async fn forged_or_foreign_cookies_get_no_page() {
    let app = app().await;
    let browser = ann_signed_up(&app).await;
    let access = browser.cookie("access_token").unwrap().to_owned();
    let mut claims = payload(&access);
    claims["sub"] = json!("999");
    let forged = with_payload(&access, &claims);

    let mut mallory = Browser::new(&app, FIREFOX);
    mallory.set("access_token", &forged);
    let page = mallory.get("/sessions").await;
    page.assert_redirect("/login?next=/sessions");
    page.assert_clears_only("access_token", "refresh_token");
    mallory.set("refresh_token", "not-a-token");
    mallory.get("/").await.assert_redirect("/login");
    // An access token is not a refresh token.
    mallory.jar.clear();
    mallory.set("refresh_token", &access);
    mallory.get("/").await.assert_redirect("/login");
}

/// The page's user comes from the rotation's own read (`UPDATE … RETURNING`, the user's columns in
/// one JSON array): a name JSON and HTML must escape, and the second factor and role as stored.
#[rocket::async_test]
async fn a_renewed_page_shows_the_user_as_stored() {
    let app = app().await;
    let mut browser = ann_signed_up(&app).await;
    let name = r#"Zoë "Q" O'Brien \ 😀 <b>"#;
    sqlx::query("UPDATE users SET name = $1, role = 'admin', email_verified = TRUE")
        .bind(name)
        .execute(app.db())
        .await
        .unwrap();
    browser.expire_access_cookie();

    let page = browser.get("/account").await;
    assert_eq!(page.status, Status::Ok, "served, not redirected");
    assert!(page.sets_session_cookies(), "renewed on the way");
    let escaped = r#"Zoë &quot;Q&quot; O&#x27;Brien \ 😀 &lt;b&gt;"#;
    assert!(page.body.contains(escaped), "{}", page.body);
    let access = browser.cookie("access_token").unwrap().to_owned();
    assert_eq!(payload(&access)["role"], "admin");
    assert!(
        page.body.contains(r#"<span class="badge">verified</span>"#),
        "verified as stored"
    );
}
