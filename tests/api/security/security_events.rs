//! `GET /api/security-events`: the caller's own events, newest first, bounded; what is logged and
//! what is kept.

use rocket::http::Status;
use serde_json::{json, Value};

use crate::common::*;

#[rocket::async_test]
async fn security_events_are_the_callers_own_newest_first_with_ip_and_device() {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    let wrong = login_from(&app, "ann@example.com", "wrong password", "192.0.2.44").await;
    assert_eq!(wrong.status(), Status::Unauthorized);
    let phone = app.login("ann@example.com", IPHONE).await;
    let revoke = app.revoke(&ann, &phone.session_id()).await;
    assert_eq!(revoke.status(), Status::NoContent);
    let bob = app.register("bob@example.com").await;

    let events = events(&app, &ann.access).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "session_revoked",
            "login_succeeded",
            "login_failed",
            "registered"
        ]
    );
    let failed = &events[2];
    assert_eq!(failed["ip"], "192.0.2.44");
    assert_eq!(failed["browser"], "Firefox");
    assert_eq!(failed["os"], "Windows 10");
    assert_eq!(failed["device"], "pc");
    assert_eq!(events[1]["device"], "smartphone");
    assert_eq!(events[0]["session_id"], json!(phone.session_id()));
    assert!(events[0]["at"].as_str().is_some_and(|t| t.ends_with('Z')));

    assert_eq!(
        event_kinds(&app, &bob.access).await,
        ["registered"],
        "only your own"
    );
}

#[rocket::async_test]
async fn security_events_are_bounded() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    for _ in 0..3 {
        app.login("ann@example.com", FIREFOX).await;
    }
    let get = |query: &'static str| app.get_with(query, &login.access);
    let body: Value = get("/api/security-events?limit=2")
        .await
        .into_json()
        .await
        .unwrap();
    assert_eq!(body["events"].as_array().unwrap().len(), 2);
    for query in [
        "/api/security-events?limit=0",
        "/api/security-events?limit=-9",
    ] {
        let body: Value = get(query).await.into_json().await.unwrap();
        assert_eq!(body["events"].as_array().unwrap().len(), 1, "{query}");
    }
    sqlx::query(
        "INSERT INTO security_events (user_id, kind, created_at) \
         SELECT user_id, 'login_succeeded', created_at FROM security_events",
    )
    .execute(app.db())
    .await
    .unwrap();
    for _ in 0..5 {
        sqlx::query(
            "INSERT INTO security_events (user_id, kind, created_at) \
             SELECT user_id, kind, created_at FROM security_events",
        )
        .execute(app.db())
        .await
        .unwrap();
    }
    let body: Value = get("/api/security-events?limit=100000")
        .await
        .into_json()
        .await
        .unwrap();
    assert_eq!(body["events"].as_array().unwrap().len(), 100);
    let body: Value = get("/api/security-events").await.into_json().await.unwrap();
    assert_eq!(body["events"].as_array().unwrap().len(), 50);
}

#[rocket::async_test]
async fn failed_logins_for_unknown_emails_are_kept_without_a_user_or_the_email() {
    let app = app().await;
    let response = login_from(&app, "nobody@example.com", "hunter2 hunter2", "192.0.2.9").await;
    assert_eq!(response.status(), Status::Unauthorized);
    let rows: Vec<(Option<i64>, String, Option<String>)> =
        sqlx::query_as("SELECT user_id, kind, ip FROM security_events")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(
        rows,
        [(
            None,
            "login_failed".to_owned(),
            Some("192.0.2.9".to_owned())
        )]
    );
}

#[rocket::async_test]
async fn logout_and_revoking_other_devices_are_logged() {
    let app = app().await;
    let here = app.register("ann@example.com").await;
    app.login("ann@example.com", IPHONE).await;
    let response = app.revoke_others(&here).await;
    assert_eq!(response.status(), Status::Ok);
    let response = app.logout(&here).await;
    assert_eq!(response.status(), Status::NoContent);
    let again = app.login("ann@example.com", FIREFOX).await;
    let kinds = event_kinds(&app, &again.access).await;
    assert_eq!(kinds[1..3], ["logout", "other_sessions_revoked"]);
}
