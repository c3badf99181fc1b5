//! A stolen refresh token replayed after its rotation revokes the session and is logged; the
//! grace answer is for the session's own device only, for a few seconds, and is logged too.

use rocket::http::Status;
use rocket_auth_template::clock::now;
use serde_json::json;

use crate::common::*;

#[rocket::async_test]
async fn refresh_token_reuse_is_logged_as_a_security_event() {
    let app = app_with(|f| f.merge(("refresh_reuse_grace", 0))).await;
    let login = app.register("ann@example.com").await;
    let rotated = app.refresh(&login).await;
    assert_eq!(rotated.status(), Status::Ok);
    app.advance_clock(1);
    let replay = refresh_from(&app, &login, &login.refresh, "203.0.113.66").await;
    assert_eq!(replay.status(), Status::Unauthorized);

    let again = app.login("ann@example.com", FIREFOX).await;
    let events = events(&app, &again.access).await;
    let reuse = events
        .iter()
        .find(|e| e["kind"] == "refresh_reuse")
        .expect("a refresh_reuse event");
    assert_eq!(reuse["session_id"], json!(login.session_id()));
    assert_eq!(
        reuse["ip"], "203.0.113.66",
        "the replaying client is recorded"
    );
}

#[rocket::async_test]
async fn a_second_tab_inside_the_grace_window_is_not_logged_as_reuse() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    for _ in 0..2 {
        let response = app.refresh(&login).await;
        assert_eq!(response.status(), Status::Ok);
    }
    let kinds = event_kinds(&app, &login.access).await;
    assert!(!kinds.contains(&"refresh_reuse".to_owned()), "{kinds:?}");
    // The grace answer is recorded, once for the one late tab.
    let graces = kinds.iter().filter(|k| *k == "refresh_grace").count();
    assert_eq!(graces, 1, "{kinds:?}");
}

#[rocket::async_test]
async fn the_previous_token_from_another_device_is_reuse_even_inside_the_grace_window() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    assert_eq!(app.refresh(&login).await.status(), Status::Ok);
    let thief = app
        .refresh_from_device(&login.refresh, &login.csrf, IPHONE)
        .await;
    assert_eq!(thief.status(), Status::Unauthorized);
    assert!(!session_is_live(&app, &login.session_id()).await);
    let again = app.login("ann@example.com", FIREFOX).await;
    let kinds = event_kinds(&app, &again.access).await;
    assert!(kinds.contains(&"refresh_reuse".to_owned()), "{kinds:?}");
    assert!(!kinds.contains(&"refresh_grace".to_owned()), "{kinds:?}");
}

#[rocket::async_test]
async fn a_session_revoked_inside_the_grace_window_answers_no_previous_token() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let rotated = app.refresh(&login).await;
    let current = refresh_of(&rotated, &serde_json::Value::Null);
    let response = app.revoke(&login, &login.session_id()).await;
    assert_eq!(response.status(), Status::NoContent);
    for token in [&login.refresh, &current] {
        let response = app.refresh_with_cookie(token, &login.csrf).await;
        assert_eq!(response.status(), Status::Unauthorized);
    }
}

#[rocket::async_test]
async fn the_grace_window_closes_after_refresh_reuse_grace_seconds() {
    let app = app().await; // 10 s
    let login = app.register("ann@example.com").await;
    assert_eq!(app.refresh(&login).await.status(), Status::Ok);
    shift_session_time(&app, &login.session_id(), "rotated_at", -11).await;
    let late = app.refresh(&login).await;
    assert_eq!(late.status(), Status::Unauthorized);
    assert!(!session_is_live(&app, &login.session_id()).await, "reuse");
}

#[rocket::async_test]
async fn every_rotation_slides_the_expiry_to_a_full_refresh_token_ttl() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let sid = login.session_id();
    shift_session_time(&app, &sid, "expires_at", -7 * 24 * 3600).await;
    assert_eq!(app.refresh(&login).await.status(), Status::Ok);
    let (_, expires_at) = session_times(&app, &sid).await;
    let expected = now() + 14 * 24 * 3600;
    assert!(
        (expected - 5..=expected).contains(&expires_at),
        "{expires_at} vs {expected}"
    );
}

#[rocket::async_test]
async fn logout_with_a_rotated_away_token_is_a_grace_answer_or_reuse_like_a_refresh() {
    let app = app().await;
    // Inside the grace window, from the session's device: an ordinary sign-out.
    let login = app.register("ann@example.com").await;
    assert_eq!(app.refresh(&login).await.status(), Status::Ok);
    let response = app.logout_with_refresh_cookie(&login, &login.refresh).await;
    assert_eq!(response.status(), Status::NoContent);
    assert!(!session_is_live(&app, &login.session_id()).await);

    // Past the window: reuse, recorded as such, and answered as a refused refresh token.
    let login = app.login("ann@example.com", FIREFOX).await;
    assert_eq!(app.refresh(&login).await.status(), Status::Ok);
    shift_session_time(&app, &login.session_id(), "rotated_at", -11).await;
    let response = app.logout_with_refresh_cookie(&login, &login.refresh).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(error_code(response).await, "invalid_refresh_token");
    assert!(!session_is_live(&app, &login.session_id()).await);
    let again = app.login("ann@example.com", FIREFOX).await;
    let kinds = event_kinds(&app, &again.access).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "refresh_reuse").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "logout").count(),
        1,
        "{kinds:?}"
    );
}
