//! `POST /api/auth/password`: the other sessions revoked, nothing changed on a wrong current
//! password, a new password that is the current one or a common one, a live session and CSRF
//! required, guesses counted against the account quota.

use rocket::http::{ContentType, Cookie, Status};
use rocket_auth_template::auth::password::Passwords;
use serde_json::json;

use crate::common::*;

#[rocket::async_test]
async fn changing_the_password_revokes_every_other_session() {
    let app = app().await;
    let here = app.register("ann@example.com").await;
    let thief = app.login("ann@example.com", IPHONE).await;

    let response = change_password(&app, &here.access, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(response.status(), Status::NoContent);
    assert!(
        set_cookie(&response, "refresh_token").is_none(),
        "this device stays signed in"
    );

    assert_eq!(
        app.get_with("/api/auth/me", &thief.access).await.status(),
        Status::Unauthorized
    );
    let response = app.refresh(&thief).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(
        app.get_with("/api/auth/me", &here.access).await.status(),
        Status::Ok
    );
    let response = app.refresh(&here).await;
    assert_eq!(response.status(), Status::Ok);

    let old = login_from(&app, "ann@example.com", PASSWORD, "192.0.2.1").await;
    assert_eq!(old.status(), Status::Unauthorized);
    let new = login_from(&app, "ann@example.com", NEW_PASSWORD, "192.0.2.1").await;
    assert_eq!(new.status(), Status::Ok);
    let kinds = event_kinds(&app, &here.access).await;
    assert!(kinds.contains(&"password_changed".to_owned()), "{kinds:?}");
}

#[rocket::async_test]
async fn a_wrong_current_password_changes_nothing() {
    let app = app().await;
    let here = app.register("ann@example.com").await;
    let other = app.login("ann@example.com", IPHONE).await;
    let response = change_password(&app, &here.access, "not my password", NEW_PASSWORD).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(error_code(response).await, "invalid_credentials");
    let response = app.refresh(&other).await;
    assert_eq!(response.status(), Status::Ok, "no session was revoked");
    app.login("ann@example.com", FIREFOX).await; // the old password still works
    let kinds = event_kinds(&app, &here.access).await;
    assert!(
        kinds.contains(&"password_change_failed".to_owned()),
        "{kinds:?}"
    );
    assert!(!kinds.contains(&"password_changed".to_owned()));
}

#[rocket::async_test]
async fn changing_to_the_current_password_is_refused_and_changes_nothing() {
    let app = app().await;
    let here = app.register("ann@example.com").await;
    let other = app.login("ann@example.com", IPHONE).await;
    let hash = password_hash(&app, "ann@example.com").await;
    let passwords = app.client.rocket().state::<Passwords>().unwrap();
    let before = passwords.hashes_run();

    let response = change_password(&app, &here.access, PASSWORD, PASSWORD).await;
    assert_weak_password(response, "same as the current one").await;
    // One argon2 run, the current password's verification: no second one to compare, no rehash.
    assert_eq!(passwords.hashes_run(), before + 1);
    assert_unchanged(&app, &other, &hash).await;
    let kinds = event_kinds(&app, &here.access).await;
    assert!(!kinds.contains(&"password_changed".to_owned()), "{kinds:?}");

    // A wrong current password is told as such, whatever the new one.
    let guess = "not my password";
    let response = change_password(&app, &here.access, guess, guess).await;
    assert_eq!(error_code(response).await, "invalid_credentials");
}

#[rocket::async_test]
async fn changing_to_a_common_password_is_refused_and_changes_nothing() {
    let app = app().await;
    let here = app.register("ann@example.com").await;
    let other = app.login("ann@example.com", IPHONE).await;
    let hash = password_hash(&app, "ann@example.com").await;
    let response = change_password(&app, &here.access, PASSWORD, "Sunshine1").await;
    assert_weak_password(response, "most commonly used passwords").await;
    assert_unchanged(&app, &other, &hash).await;
}

/// What a refused change leaves as it was: Ann's stored hash, and her other device's session.
async fn assert_unchanged(app: &TestApp, other: &Login, hash: &str) {
    assert_eq!(password_hash(app, "ann@example.com").await, hash);
    let response = app.refresh(other).await;
    assert_eq!(response.status(), Status::Ok, "no session was revoked");
}

#[rocket::async_test]
async fn password_change_needs_a_live_session_csrf_and_a_strong_password() {
    let app = app().await;
    let here = app.register("ann@example.com").await;
    let response = change_password(&app, &here.access, PASSWORD, "short").await;
    assert_eq!(error_code(response).await, "weak_password");

    // By access cookie without the CSRF header: refused before anything happens.
    let response = app
        .client
        .post("/api/auth/password")
        .header(ContentType::JSON)
        .cookie(Cookie::new("access_token", here.access.clone()))
        .cookie(Cookie::new("csrf_token", here.csrf.clone()))
        .body(json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }).to_string())
        .dispatch()
        .await;
    assert_eq!(error_code(response).await, "csrf_failed");

    // A revoked session's access token (still unexpired) cannot change the password.
    let other = app.login("ann@example.com", IPHONE).await;
    let revoke = app.revoke(&here, &other.session_id()).await;
    assert_eq!(revoke.status(), Status::NoContent);
    let response = change_password(&app, &other.access, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(response.status(), Status::Unauthorized);
    app.login("ann@example.com", FIREFOX).await; // unchanged
}

#[rocket::async_test]
async fn password_change_guesses_count_against_the_account_quota() {
    // A stolen access token must not become an unlimited oracle for the current password.
    let app = app_with(|f| f.merge(("rate_limit_login_per_account", "2/h"))).await;
    let here = app.register("ann@example.com").await;
    for _ in 0..2 {
        let response = change_password(&app, &here.access, "guess guess", NEW_PASSWORD).await;
        assert_eq!(response.status(), Status::Unauthorized);
    }
    assert_rate_limited(change_password(&app, &here.access, PASSWORD, NEW_PASSWORD).await).await;
}
