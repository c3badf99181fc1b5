//! A stolen refresh token replayed after its rotation is logged; a second tab refreshing inside
//! the grace window is not.

use rocket::http::Status;
use serde_json::json;

use crate::common::*;

#[rocket::async_test]
async fn refresh_token_reuse_is_logged_as_a_security_event() {
    let app = app_with(|f| f.merge(("refresh_reuse_grace", 0))).await;
    let login = app.register("ann@example.com").await;
    let rotated = app.refresh(&login).await;
    assert_eq!(rotated.status(), Status::Ok);
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
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
}
