//! How long a session and its tokens last, and for whom they are: the absolute cap from sign-in
//! on top of the sliding expiry, and `iss`/`aud` checked on every token.

use rocket::http::Status;
use rocket_auth_template::clock::now;

use crate::common::*;

const DAY: i64 = 24 * 3600;

#[rocket::async_test]
async fn no_refresh_extends_a_session_past_its_max_lifetime_from_sign_in() {
    let app = app().await; // 30 days from sign-in, 14 days sliding
    let login = app.register("ann@example.com").await;
    let sid = login.session_id();
    // Signed in 29 days ago and used ever since: the next rotation ends the expiry at day 30.
    shift_session_time(&app, &sid, "created_at", -29 * DAY).await;
    let response = app.refresh(&login).await;
    assert_eq!(response.status(), Status::Ok);
    let (created_at, expires_at) = session_times(&app, &sid).await;
    assert_eq!(expires_at, created_at + 30 * DAY);
    let refresh = refresh_of(&response, &serde_json::Value::Null);
    assert_eq!(
        payload(&refresh)["exp"],
        expires_at,
        "the token expires with its session"
    );
    assert!(expires_at < now() + DAY + 5);

    // Past day 30 the session is over, however fresh its refresh token.
    shift_session_time(&app, &sid, "created_at", -DAY).await;
    shift_session_time(&app, &sid, "expires_at", 14 * DAY).await;
    let response = app.refresh_with_cookie(&refresh, &login.csrf).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(error_code(response).await, "invalid_refresh_token");
}

#[rocket::async_test]
async fn a_new_session_expires_at_the_earlier_of_its_ttl_and_its_max_lifetime() {
    let app = app_with(|f| f.merge(("session_max_lifetime", 3600))).await;
    let login = app.register("ann@example.com").await;
    let (created_at, expires_at) = session_times(&app, &login.session_id()).await;
    assert_eq!(expires_at, created_at + 3600);
}

#[rocket::async_test]
async fn tokens_of_another_issuer_or_audience_are_refused_even_with_the_same_key() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    for (key, claim, value) in [
        ("jwt_audience", "aud", "billing-service"),
        ("jwt_issuer", "iss", "https://other.example"),
    ] {
        let other = app_sharing_db(&app, |f| f.merge((key, value))).await;
        let response = other.get_with("/api/auth/claims", &login.access).await;
        assert_eq!(response.status(), Status::Unauthorized, "{key}");
        let response = other.refresh_with_cookie(&login.refresh, &login.csrf).await;
        assert_eq!(response.status(), Status::Unauthorized, "{key}");
        // Its own tokens carry its own values.
        let own = other.login("ann@example.com", FIREFOX).await;
        assert_eq!(payload(&own.access)[claim], value);
    }
    assert_eq!(
        app.get_with("/api/auth/claims", &login.access)
            .await
            .status(),
        Status::Ok
    );
}
