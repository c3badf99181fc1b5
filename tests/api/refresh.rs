//! Refresh: rotation, reuse detection and its grace window, logout.

use rocket::futures::future::join_all;
use rocket::http::{ContentType, Cookie, Status};
use serde_json::{json, Value};

use crate::common::*;

#[rocket::async_test]
async fn refresh_rotates_and_the_old_token_is_refused_after() {
    let app = app_with(|f| f.merge(("refresh_reuse_grace", 0))).await;
    let login = app.register("ann@example.com").await;

    let response = app.refresh(&login).await;
    assert_eq!(response.status(), Status::Ok);
    let new_refresh = refresh_of(&response, &Value::Null);
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    let access = body["access_token"].as_str().unwrap();
    assert_ne!(new_refresh, login.refresh);
    assert_ne!(payload(&new_refresh)["jti"], payload(&login.refresh)["jti"]);
    assert_eq!(payload(&new_refresh)["sid"], payload(&login.refresh)["sid"]);
    assert_eq!(
        app.get_with("/api/auth/me", access).await.status(),
        Status::Ok
    );

    // Replaying the rotated token is theft: refused, and the whole session is revoked...
    app.advance_clock(1);
    let replay = app.refresh(&login).await;
    assert_eq!(replay.status(), Status::Unauthorized);
    assert_eq!(set_cookie(&replay, "refresh_token").unwrap().value(), "");
    assert_eq!(error_code(replay).await, "invalid_refresh_token");
    // ...so the thief's victim, holding the newest token, is signed out too.
    let response = app.refresh_with_cookie(&new_refresh, &login.csrf).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(
        app.get_with("/api/auth/me", access).await.status(),
        Status::Unauthorized
    );
    assert_eq!(live_sessions(&app).await, 0);
}

#[rocket::async_test]
async fn two_tabs_refreshing_at_once_stay_signed_in() {
    let app = app().await; // default grace: 10 s
    let login = app.register("ann@example.com").await;
    let first = app.refresh(&login).await;
    assert_eq!(first.status(), Status::Ok);
    let first_refresh = refresh_of(&first, &Value::Null);
    // The second tab still sends the token the first tab just rotated.
    let second = app.refresh(&login).await;
    assert_eq!(second.status(), Status::Ok);
    let second_refresh = refresh_of(&second, &Value::Null);
    // Both answers name the session's current jti, so whichever cookie lands last works.
    assert_eq!(
        payload(&first_refresh)["jti"],
        payload(&second_refresh)["jti"]
    );
    // Whichever cookie the browser kept, the next refresh works.
    let response = app.refresh_with_cookie(&first_refresh, &login.csrf).await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(live_sessions(&app).await, 1);
}

#[rocket::async_test]
async fn a_token_older_than_the_previous_one_is_reuse_even_inside_the_grace_window() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let second = refresh_of(&app.refresh(&login).await, &Value::Null);
    let third = app.refresh_with_cookie(&second, &login.csrf).await;
    assert_eq!(third.status(), Status::Ok);
    let response = app.refresh(&login).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(live_sessions(&app).await, 0);
}

#[rocket::async_test]
async fn fifty_concurrent_refreshes_leave_one_live_session_and_no_error() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let refreshes = (0..50).map(|_| app.refresh(&login));
    let responses = join_all(refreshes).await;
    let mut jtis = std::collections::HashSet::new();
    for response in responses {
        assert_eq!(response.status(), Status::Ok);
        jtis.insert(payload(&refresh_of(&response, &Value::Null))["jti"].to_string());
    }
    assert_eq!(jtis.len(), 1, "every answer names the one current jti");
    assert_eq!(live_sessions(&app).await, 1);
    let (current,): (String,) = sqlx::query_as("SELECT refresh_jti FROM sessions")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(jtis.into_iter().next().unwrap(), json!(current).to_string());
}

#[rocket::async_test]
async fn refresh_without_a_token_is_refused() {
    let app = app().await;
    let response = app.client.post("/api/auth/refresh").dispatch().await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(error_code(response).await, "invalid_refresh_token");
}

#[rocket::async_test]
async fn refresh_updates_last_use_and_slides_expiry() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    sqlx::query(
        "UPDATE sessions SET last_used_at = last_used_at - 100, expires_at = expires_at - 100",
    )
    .execute(app.db())
    .await
    .unwrap();
    let (before,): (i64,) = sqlx::query_as("SELECT expires_at FROM sessions")
        .fetch_one(app.db())
        .await
        .unwrap();
    let response = app.refresh(&login).await;
    assert_eq!(response.status(), Status::Ok);
    let (last_used, after): (i64, i64) =
        sqlx::query_as("SELECT last_used_at, expires_at FROM sessions")
            .fetch_one(app.db())
            .await
            .unwrap();
    assert!(after >= before + 100);
    assert!(last_used >= rocket_auth_template::clock::now() - 5);
}

#[rocket::async_test]
async fn logout_with_the_access_token_revokes_the_session_and_clears_cookies() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let response = app.logout(&login).await;
    assert_eq!(response.status(), Status::NoContent);
    let cookie = set_cookie(&response, "refresh_token").expect("removal cookie");
    assert_eq!(cookie.value(), "");
    assert_eq!(cookie.max_age(), Some(rocket::time::Duration::ZERO));
    // The JS client holds no access cookie: none is cleared that the request did not carry.
    assert!(set_cookie(&response, "access_token").is_none());
    let response = app.refresh(&login).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(
        app.get_with("/api/auth/me", &login.access).await.status(),
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn logout_with_only_the_refresh_cookie_needs_csrf() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let without = app
        .client
        .post("/api/auth/logout")
        .cookie(Cookie::new("refresh_token", login.refresh.clone()))
        .cookie(Cookie::new("csrf_token", login.csrf.clone()))
        .dispatch()
        .await;
    assert_eq!(without.status(), Status::Forbidden);
    assert_eq!(error_code(without).await, "csrf_failed");
    assert_eq!(live_sessions(&app).await, 1);

    let with = app.logout_with_refresh_cookie(&login, &login.refresh).await;
    assert_eq!(with.status(), Status::NoContent);
    assert_eq!(live_sessions(&app).await, 0);
}

#[rocket::async_test]
async fn logout_without_credentials_is_401() {
    let app = app().await;
    let response = app
        .client
        .post("/api/auth/logout")
        .header(ContentType::JSON)
        .body("{}")
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(error_code(response).await, "unauthorized");
}

#[rocket::async_test]
async fn many_sessions_refreshing_at_once_all_rotate() {
    // SQLite writers take turns (db::write_turn): concurrent rotations queue, none is refused
    // and none is lost.
    let app = app().await;
    app.register("ann@example.com").await;
    let mut logins = Vec::new();
    for _ in 0..8 {
        logins.push(app.login("ann@example.com", FIREFOX).await);
    }
    let refreshes = logins.iter().map(|l| app.refresh(l));
    let responses = join_all(refreshes).await;
    for (login, response) in logins.iter().zip(&responses) {
        assert_eq!(response.status(), Status::Ok);
        let rotated = refresh_of(response, &Value::Null);
        assert_eq!(payload(&rotated)["sid"], payload(&login.refresh)["sid"]);
        assert_ne!(payload(&rotated)["jti"], payload(&login.refresh)["jti"]);
    }
    assert_eq!(live_sessions(&app).await, 9);
}
