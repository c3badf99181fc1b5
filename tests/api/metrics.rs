//! `GET /metrics` (docs/metrics.md): the counters move with the events they count, on a real
//! app, and the numbers are for loopback, trusted proxies, or the bearer of `metrics_token`.

use rocket::http::{ContentType, Header, Status};
use serde_json::json;

use crate::common::*;

/// `/metrics` as Prometheus on this host reads it.
async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get("/metrics")
        .remote(addr("127.0.0.1"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let content_type = response.content_type().expect("a content type");
    assert_eq!(content_type.media_type().sub(), "plain");
    response.into_string().await.expect("text")
}

/// The value of one series (`name{labels}` exactly as rendered), 0 when it is not there yet.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.parse().expect("a number"))
}

#[rocket::async_test]
async fn sign_ins_refreshes_and_reuse_are_counted_as_they_happen() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let before = scrape(&app).await;
    let signed_in = "auth_sign_ins_total{method=\"password\",result=\"succeeded\"}";
    assert_eq!(
        value(&before, signed_in),
        0.0,
        "signing up is not signing in"
    );

    let laptop = app.login("ann@example.com", FIREFOX).await;
    let wrong = json!({ "email": "ann@example.com", "password": "not the password" });
    let refused = app.post_json("/api/auth/login", wrong, FIREFOX).await;
    assert_eq!(refused.status(), Status::Unauthorized);
    // Rotated, then the same token again at once from the same browser (a second tab), then
    // again after the grace window: reuse, and the session is revoked.
    assert_eq!(app.refresh(&laptop).await.status(), Status::Ok);
    assert_eq!(app.refresh(&laptop).await.status(), Status::Ok);
    app.advance_clock(11);
    assert_eq!(app.refresh(&laptop).await.status(), Status::Unauthorized);
    assert_eq!(app.logout(&login).await.status(), Status::NoContent);

    let after = scrape(&app).await;
    for (series, count) in [
        (signed_in, 1.0),
        (
            "auth_sign_ins_total{method=\"password\",result=\"failed\"}",
            1.0,
        ),
        ("auth_refreshes_total{result=\"rotated\"}", 1.0),
        ("auth_refreshes_total{result=\"grace\"}", 1.0),
        ("auth_refreshes_total{result=\"reuse\"}", 1.0),
        ("auth_refreshes_total{result=\"invalid\"}", 0.0),
        ("auth_sessions_revoked_total{reason=\"reuse\"}", 1.0),
        ("auth_sessions_revoked_total{reason=\"sign_out\"}", 1.0),
        (
            "http_requests_total{route=\"/api/auth/refresh\",status=\"200\"}",
            2.0,
        ),
        (
            "http_requests_total{route=\"/api/auth/refresh\",status=\"401\"}",
            1.0,
        ),
        (
            "http_request_duration_seconds_count{route=\"/api/auth/refresh\"}",
            3.0,
        ),
        // Sign-up, the sign-in and the wrong password: argon2 ran, with no queue to wait in.
        ("auth_password_hash_seconds_count", 3.0),
        ("auth_password_hash_queue_wait_seconds_count", 3.0),
    ] {
        assert_eq!(value(&after, series), count, "{series}\n{after}");
    }
    // The scrapes themselves are counted by their route, never by a raw path.
    assert!(after.contains("http_requests_total{route=\"/metrics\",status=\"200\"} 1"));
    assert!(after.contains("auth_db_pool_connections{state=\"idle\"}"));
    assert!(after.contains("auth_mails_total{result=\"sent\"}"));
    assert!(after.contains("auth_mails_queued"));
    let unknown = app.client.get("/no/such/page/12345").dispatch().await;
    assert_eq!(unknown.status(), Status::NotFound);
    let text = scrape(&app).await;
    assert!(!text.contains("12345"), "a raw path in the labels: {text}");
    assert_eq!(
        value(
            &text,
            "http_requests_total{route=\"unmatched\",status=\"404\"}"
        ),
        1.0
    );
}

#[rocket::async_test]
async fn expired_and_invalid_refresh_tokens_and_rate_limits_are_counted_apart() {
    let app = app_with(|f| {
        f.merge(("refresh_token_as_cookie", false))
            .merge(("rate_limit_login_per_account", "1/h"))
    })
    .await;
    let login = app.register("ann@example.com").await;
    let garbage = json!({ "refresh_token": "not.a.token" });
    let refused = app.post_json("/api/auth/refresh", garbage, FIREFOX).await;
    assert_eq!(refused.status(), Status::Unauthorized);
    app.advance_clock(15 * 24 * 60 * 60);
    let old = json!({ "refresh_token": login.refresh });
    let refused = app.post_json("/api/auth/refresh", old, FIREFOX).await;
    assert_eq!(refused.status(), Status::Unauthorized);
    let attempt = json!({ "email": "ann@example.com", "password": PASSWORD });
    let first = app
        .post_json("/api/auth/login", attempt.clone(), FIREFOX)
        .await;
    assert_eq!(first.status(), Status::Ok);
    let second = app.post_json("/api/auth/login", attempt, FIREFOX).await;
    assert_eq!(second.status(), Status::TooManyRequests);

    let text = scrape(&app).await;
    for (series, count) in [
        ("auth_refreshes_total{result=\"invalid\"}", 1.0),
        ("auth_refreshes_total{result=\"expired\"}", 1.0),
        ("auth_refreshes_total{result=\"rotated\"}", 0.0),
        ("auth_rate_limited_total{limit=\"login_account\"}", 1.0),
    ] {
        assert_eq!(value(&text, series), count, "{series}\n{text}");
    }
}

#[rocket::async_test]
async fn the_numbers_are_for_loopback_and_trusted_proxies_only() {
    let app = app_with(|f| f.merge(("trusted_proxies", ["10.0.0.0/8"]))).await;
    let from = |ip: &str, forwarded: Option<&str>| {
        let mut request = app.client.get("/metrics").remote(addr(ip));
        if let Some(forwarded) = forwarded {
            request = request.header(Header::new("X-Forwarded-For", forwarded.to_owned()));
        }
        request.dispatch()
    };
    for (ip, forwarded, status) in [
        ("127.0.0.1", None, Status::Ok),
        ("::1", None, Status::Ok),
        ("10.0.0.2", None, Status::Ok),
        // Through the trusted proxy, the client is the one it forwards for.
        ("10.0.0.2", Some("203.0.113.9"), Status::Forbidden),
        ("10.0.0.2", Some("127.0.0.1"), Status::Ok),
        ("203.0.113.9", None, Status::Forbidden),
        // An untrusted peer cannot claim to be local.
        ("203.0.113.9", Some("127.0.0.1"), Status::Forbidden),
    ] {
        let response = from(ip, forwarded).await;
        assert_eq!(response.status(), status, "{ip} {forwarded:?}");
        if status == Status::Forbidden {
            assert_eq!(response.content_type(), Some(ContentType::JSON));
            assert_eq!(error_code(response).await, "forbidden");
        }
    }
}

#[rocket::async_test]
async fn with_a_token_only_its_bearer_reads_the_numbers_from_anywhere() {
    const TOKEN: &str = "a-long-random-scrape-token";
    let app = app_with(|f| f.merge(("metrics_token", TOKEN))).await;
    let read = |ip: &str, authorization: Option<String>| {
        let mut request = app.client.get("/metrics").remote(addr(ip));
        if let Some(value) = authorization {
            request = request.header(Header::new("Authorization", value));
        }
        request.dispatch()
    };
    let ok = read("203.0.113.9", Some(format!("Bearer {TOKEN}"))).await;
    assert_eq!(ok.status(), Status::Ok);
    assert!(ok
        .into_string()
        .await
        .unwrap()
        .contains("auth_refreshes_total"));
    for (ip, authorization) in [
        ("127.0.0.1", None),
        ("203.0.113.9", None),
        ("203.0.113.9", Some(format!("Bearer {TOKEN}x"))),
        ("203.0.113.9", Some(format!("Basic {TOKEN}"))),
        ("203.0.113.9", Some("Bearer ".to_owned())),
    ] {
        let response = read(ip, authorization.clone()).await;
        assert_eq!(response.status(), Status::Unauthorized, "{authorization:?}");
        assert_eq!(error_code(response).await, "unauthorized");
    }
}

#[rocket::async_test]
async fn metrics_off_count_nothing_and_answer_404() {
    let app = app_with(|f| f.merge(("metrics", false))).await;
    app.register("ann@example.com").await;
    let response = app
        .client
        .get("/metrics")
        .remote(addr("127.0.0.1"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(response.content_type(), Some(ContentType::JSON));
}
