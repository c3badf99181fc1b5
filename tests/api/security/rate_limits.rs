//! The rate limits of the JSON API: login per IP and per account, registration and refresh per
//! IP, each a 429 with `Retry-After`; a quota that does not parse stops the launch.

use rocket::http::Status;
use serde_json::{json, Value};

use crate::common::*;

#[rocket::async_test]
async fn login_is_rate_limited_per_ip() {
    let app = app_with(|f| f.merge(("rate_limit_login_per_ip", "3/h"))).await;
    app.register("ann@example.com").await;
    for _ in 0..3 {
        let response = login_from(&app, "ann@example.com", "wrong password", "192.0.2.1").await;
        assert_eq!(response.status(), Status::Unauthorized);
    }
    // The right password does not help once the IP is out of attempts...
    assert_rate_limited(login_from(&app, "ann@example.com", PASSWORD, "192.0.2.1").await).await;
    // ...while another IP is not affected.
    let response = login_from(&app, "ann@example.com", PASSWORD, "192.0.2.2").await;
    assert_eq!(response.status(), Status::Ok);
}

#[rocket::async_test]
async fn login_is_rate_limited_per_account_across_ips() {
    let app = app_with(|f| {
        f.merge(("rate_limit_login_per_account", "3/h"))
            .merge(("rate_limit_login_per_ip", "off"))
    })
    .await;
    app.register("ann@example.com").await;
    app.register("bob@example.com").await;
    for i in 1..=3 {
        let ip = format!("198.51.100.{i}");
        let response = login_from(&app, "ann@example.com", "wrong password", &ip).await;
        assert_eq!(response.status(), Status::Unauthorized);
    }
    // A botnet spreading guesses over many IPs still hits the account's quota (any spelling).
    assert_rate_limited(login_from(&app, " ANN@example.com", PASSWORD, "198.51.100.9").await).await;
    let response = login_from(&app, "bob@example.com", PASSWORD, "198.51.100.9").await;
    assert_eq!(response.status(), Status::Ok);
}

/// PostgreSQL: the quotas live in the database, so N attempts spread over several instances meet
/// a limit of N, not N per instance. (SQLite keeps them in memory: one process owns the file.)
#[cfg(feature = "postgres")]
#[rocket::async_test]
async fn instances_on_one_database_share_the_account_limit() {
    let limited = |f: rocket::figment::Figment| {
        f.merge(("rate_limit_login_per_account", "4/h"))
            .merge(("rate_limit_login_per_ip", "off"))
    };
    let first = app_with(limited).await;
    let second = app_sharing_db(&first, limited).await;
    first.register("ann@example.com").await;
    for i in 0..4 {
        let app = if i % 2 == 0 { &first } else { &second };
        let ip = format!("198.51.100.{i}");
        let response = login_from(app, "ann@example.com", "wrong password", &ip).await;
        assert_eq!(response.status(), Status::Unauthorized, "attempt {i}");
    }
    for app in [&first, &second] {
        assert_rate_limited(login_from(app, "ann@example.com", PASSWORD, "198.51.100.9").await)
            .await;
    }
}

#[rocket::async_test]
async fn register_is_rate_limited_per_ip() {
    let app = app_with(|f| f.merge(("rate_limit_register_per_ip", "2/h"))).await;
    let register = |email: &str, ip: &'static str| {
        let body = json!({ "email": email, "password": PASSWORD });
        let app = &app;
        async move { post_from(app, "/api/auth/register", body, ip).await }
    };
    assert_eq!(
        register("a@example.com", "192.0.2.7").await.status(),
        Status::Created
    );
    assert_eq!(
        register("b@example.com", "192.0.2.7").await.status(),
        Status::Created
    );
    assert_rate_limited(register("c@example.com", "192.0.2.7").await).await;
    assert_eq!(
        register("c@example.com", "192.0.2.8").await.status(),
        Status::Created
    );
}

#[rocket::async_test]
async fn refresh_is_rate_limited_per_ip_without_harming_the_session() {
    let app = app_with(|f| f.merge(("rate_limit_refresh_per_ip", "2/h"))).await;
    let login = app.register("ann@example.com").await;
    let mut token = login.refresh.clone();
    for _ in 0..2 {
        let response = refresh_from(&app, &login, &token, "192.0.2.20").await;
        assert_eq!(response.status(), Status::Ok);
        token = refresh_of(&response, &Value::Null);
    }
    let limited = refresh_from(&app, &login, &token, "192.0.2.20").await;
    assert!(
        set_cookie(&limited, "refresh_token").is_none(),
        "a 429 must not clear the refresh cookie"
    );
    assert_rate_limited(limited).await;
    let response = refresh_from(&app, &login, &token, "192.0.2.21").await;
    assert_eq!(
        response.status(),
        Status::Ok,
        "the session survived the 429"
    );
}

#[rocket::async_test]
async fn bad_rate_limit_config_stops_the_launch() {
    let figment = rocket::Config::figment()
        .merge(("jwt_secret", SECRET))
        .merge(("rate_limit_login_per_ip", "lots"));
    assert!(rocket_auth_template::config::load(&figment).is_err());
}
