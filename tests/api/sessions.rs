//! `/api/sessions`: one row per device, listing and revoking.

use rocket::http::Status;
use serde_json::Value;

use crate::common::*;

async fn sessions_of(app: &TestApp, access: &str) -> Vec<Value> {
    let response = app.get_with("/api/sessions", access).await;
    assert_eq!(response.status(), Status::Ok);
    let body: Value = response.into_json().await.unwrap();
    body["sessions"].as_array().unwrap().clone()
}

#[rocket::async_test]
async fn each_device_is_a_session_with_its_parsed_user_agent() {
    let app = app().await;
    let laptop = app.register("ann@example.com").await;
    let phone = app.login("ann@example.com", IPHONE).await;

    let seen_from_phone = sessions_of(&app, &phone.access).await;
    assert_eq!(seen_from_phone.len(), 2);
    let current: Vec<_> = seen_from_phone
        .iter()
        .filter(|s| s["current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], phone.session_id().as_str());
    assert_eq!(current[0]["browser"], "Safari");
    assert_eq!(current[0]["device"], "smartphone");
    assert_eq!(current[0]["os"], "iPhone");
    assert_eq!(current[0]["user_agent"], IPHONE);
    for field in ["created_at", "last_used_at", "expires_at"] {
        let time = current[0][field].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok() && time.ends_with('Z'));
    }

    let seen_from_laptop = sessions_of(&app, &laptop.access).await;
    let laptop_row = seen_from_laptop
        .iter()
        .find(|s| s["current"] == true)
        .unwrap();
    assert_eq!(laptop_row["id"], laptop.session_id().as_str());
    assert_eq!(laptop_row["browser"], "Firefox");
}

#[rocket::async_test]
async fn sessions_are_listed_newest_use_first() {
    let app = app().await;
    let first = app.register("ann@example.com").await;
    let second = app.login("ann@example.com", IPHONE).await;
    // Make the first device the most recently used.
    sqlx::query("UPDATE sessions SET last_used_at = last_used_at - 60 WHERE id = $1")
        .bind(second.session_id())
        .execute(app.db())
        .await
        .unwrap();
    let list = sessions_of(&app, &second.access).await;
    let ids: Vec<_> = list
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![first.session_id(), second.session_id()]);
}

#[rocket::async_test]
async fn revoking_a_device_stops_its_refresh() {
    let app = app().await;
    let laptop = app.register("ann@example.com").await;
    let phone = app.login("ann@example.com", IPHONE).await;
    let response = app.revoke(&laptop, &phone.session_id()).await;
    assert_eq!(response.status(), Status::NoContent);
    // Revoking another device leaves this one's cookies alone.
    assert!(set_cookie(&response, "refresh_token").is_none());

    let response = app.refresh(&phone).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(
        app.get_with("/api/auth/me", &phone.access).await.status(),
        Status::Unauthorized
    );
    let list = sessions_of(&app, &laptop.access).await;
    assert_eq!(list.len(), 1);
    // Twice is not found: it is no longer live.
    assert_eq!(
        app.revoke(&laptop, &phone.session_id()).await.status(),
        Status::NotFound
    );
}

#[rocket::async_test]
async fn revoking_the_current_session_signs_this_device_out() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    // From the browser that holds the session's refresh cookie: it is cleared.
    let response = app
        .client
        .delete(format!("/api/sessions/{}", login.session_id()))
        .header(login.bearer())
        .cookie(rocket::http::Cookie::new(
            "refresh_token",
            login.refresh.clone(),
        ))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::NoContent);
    assert_eq!(set_cookie(&response, "refresh_token").unwrap().value(), "");
    assert!(
        set_cookie(&response, "access_token").is_none(),
        "not carried"
    );

    // A client without cookies (a mobile app) gets no Set-Cookie at all.
    let phone = app.login("ann@example.com", IPHONE).await;
    let response = app.revoke(&phone, &phone.session_id()).await;
    assert_eq!(response.status(), Status::NoContent);
    assert_eq!(response.headers().get("Set-Cookie").count(), 0);
}

#[rocket::async_test]
async fn another_users_session_is_not_found() {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let response = app.revoke(&ann, &bob.session_id()).await;
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(error_code(response).await, "not_found");
    assert_eq!(
        app.get_with("/api/auth/me", &bob.access).await.status(),
        Status::Ok
    );
    assert_eq!(
        sessions_of(&app, &ann.access).await.len(),
        1,
        "Bob's session is not listed"
    );
    let response = app.revoke(&ann, "does-not-exist").await;
    assert_eq!(response.status(), Status::NotFound);
}

#[rocket::async_test]
async fn revoke_others_keeps_only_the_current_session() {
    let app = app().await;
    let here = app.register("ann@example.com").await;
    let phone = app.login("ann@example.com", IPHONE).await;
    let tablet = app.login("ann@example.com", FIREFOX).await;
    let bob = app.register("bob@example.com").await;

    let response = app.revoke_others(&here).await;
    assert_eq!(response.status(), Status::Ok);
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body["revoked"], 2);
    for other in [&phone, &tablet] {
        let response = app.refresh(other).await;
        assert_eq!(response.status(), Status::Unauthorized);
    }
    let list = sessions_of(&app, &here.access).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["current"], true);
    assert_eq!(
        app.get_with("/api/auth/me", &bob.access).await.status(),
        Status::Ok
    );
}

#[rocket::async_test]
async fn sessions_need_a_live_session() {
    let app = app().await;
    assert_eq!(
        app.client.get("/api/sessions").dispatch().await.status(),
        Status::Unauthorized
    );
    assert_eq!(
        app.client.delete("/api/sessions").dispatch().await.status(),
        Status::Unauthorized
    );
}
