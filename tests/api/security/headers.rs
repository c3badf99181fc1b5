//! The security headers on pages and API answers (CSP, framing, sniffing, referrer, HSTS).

use crate::common::*;
use rocket::http::Status;

#[rocket::async_test]
async fn pages_and_api_answers_carry_the_security_headers() {
    let app = app().await;
    let page = app.client.get("/some/page").dispatch().await;
    let csp = page
        .headers()
        .get_one("Content-Security-Policy")
        .expect("a CSP on pages")
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(
        csp.contains("object-src 'none'") && csp.contains("base-uri 'none'"),
        "{csp}"
    );

    let api = app.client.get("/api/auth/me").dispatch().await;
    for response in [&page, &api] {
        let h = response.headers();
        assert_eq!(h.get_one("X-Frame-Options"), Some("DENY"));
        assert_eq!(h.get_one("X-Content-Type-Options"), Some("nosniff"));
        assert_eq!(h.get_one("Referrer-Policy"), Some("same-origin"));
    }
    let api_csp = api.headers().get_one("Content-Security-Policy").unwrap();
    assert!(api_csp.contains("default-src 'none'"), "{api_csp}");
    assert!(
        page.headers()
            .get_one("Strict-Transport-Security")
            .is_none(),
        "plain HTTP"
    );

    let https = app_with(|f| f.merge(("cookie_secure", true))).await;
    let response = https.client.get("/api/auth/me").dispatch().await;
    assert!(response
        .headers()
        .get_one("Strict-Transport-Security")
        .is_some_and(|v| v.starts_with("max-age=")));
}

#[rocket::async_test]
async fn a_route_that_sets_one_of_these_headers_keeps_its_own_value() {
    let app = app().await;
    let jwks = app.client.get("/.well-known/jwks.json").dispatch().await;
    let cache: Vec<_> = jwks.headers().get("Cache-Control").collect();
    assert_eq!(cache, ["public, max-age=300"]);
    assert_eq!(jwks.headers().get_one("X-Frame-Options"), Some("DENY"));
    let me = app.client.get("/api/auth/me").dispatch().await;
    assert_eq!(me.headers().get_one("Cache-Control"), Some("no-store"));
    let stylesheet = app.client.get("/static/app.css").dispatch().await;
    assert_eq!(stylesheet.status(), Status::Ok);
    assert_eq!(stylesheet.headers().get_one("Cache-Control"), None);
    assert_eq!(
        stylesheet.headers().get_one("X-Content-Type-Options"),
        Some("nosniff")
    );
}
