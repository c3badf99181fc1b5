//! How tokens travel: cookie mode and its flags, body mode, CSRF, client IPs.

use rocket::http::{ContentType, Cookie, Header, SameSite, Status};
use rocket::local::asynchronous::LocalResponse;
use serde_json::{json, Value};

use crate::common::*;

#[rocket::async_test]
async fn cookies_carry_the_contract_flags() {
    let app = app_with(|f| f.merge(("cookie_secure", true))).await;
    let body = json!({ "email": "ann@example.com", "password": PASSWORD });
    let response = app.post_json("/api/auth/register", body, FIREFOX).await;
    // Secure cookies carry the __Host- prefix: HTTPS only, this host only, path /, no Domain.
    for plain in ["refresh_token", "csrf_token", "access_token"] {
        assert!(
            set_cookie(&response, plain).is_none(),
            "{plain} without prefix"
        );
    }
    let refresh = set_cookie(&response, "__Host-refresh_token").unwrap();
    assert_eq!(refresh.domain(), None);
    assert_eq!(refresh.http_only(), Some(true));
    assert_eq!(refresh.secure(), Some(true));
    assert_eq!(refresh.same_site(), Some(SameSite::Lax));
    assert_eq!(refresh.path(), Some("/"));
    assert_eq!(
        refresh.max_age(),
        Some(rocket::time::Duration::seconds(14 * 24 * 3600))
    );
    let csrf = set_cookie(&response, "__Host-csrf_token").unwrap();
    assert_ne!(
        csrf.http_only(),
        Some(true),
        "scripts must read the CSRF cookie"
    );
    assert_eq!(csrf.secure(), Some(true));
    assert_eq!(csrf.path(), Some("/"));
    // A 128-bit nonce and a 128-bit MAC binding it to the session, in hex.
    let (nonce, mac) = csrf.value().split_once('.').expect("nonce.mac");
    assert_eq!((nonce.len(), mac.len()), (32, 32));
    assert_eq!(
        response.headers().get_one("Cache-Control"),
        Some("no-store")
    );
}

#[rocket::async_test]
async fn secure_flag_can_be_turned_off_for_local_http() {
    let app = app_with(|f| f.merge(("cookie_secure", false))).await;
    let body = json!({ "email": "ann@example.com", "password": PASSWORD });
    let response = app.post_json("/api/auth/register", body, FIREFOX).await;
    assert_ne!(
        set_cookie(&response, "refresh_token").unwrap().secure(),
        Some(true)
    );
}

#[rocket::async_test]
async fn body_mode_returns_and_takes_the_refresh_token_in_json() {
    let app = app_with(|f| f.merge(("refresh_token_as_cookie", false))).await;
    let body = json!({ "email": "ann@example.com", "password": PASSWORD });
    let response = app.post_json("/api/auth/register", body, FIREFOX).await;
    assert!(
        set_cookie(&response, "refresh_token").is_none(),
        "no refresh cookie in body mode"
    );
    let body: Value = response.into_json().await.unwrap();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(payload(&refresh)["typ"], "refresh");

    // A refresh cookie is ignored in body mode: only the body counts.
    let response = app.refresh_with_cookie(&refresh, "x").await;
    assert_eq!(response.status(), Status::Unauthorized);

    let response = app
        .post_json(
            "/api/auth/refresh",
            json!({ "refresh_token": refresh }),
            FIREFOX,
        )
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert!(set_cookie(&response, "refresh_token").is_none());
    let body: Value = response.into_json().await.unwrap();
    let rotated = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rotated, refresh);
    let access = body["access_token"].as_str().unwrap().to_owned();

    // Logout with the refresh token in the body, no CSRF needed: nothing rides on a cookie.
    let response = app
        .post_json(
            "/api/auth/logout",
            json!({ "refresh_token": rotated }),
            FIREFOX,
        )
        .await;
    assert_eq!(response.status(), Status::NoContent);
    assert_eq!(
        app.get_with("/api/auth/me", &access).await.status(),
        Status::Unauthorized
    );
    let response = app
        .post_json(
            "/api/auth/refresh",
            json!({ "refresh_token": rotated }),
            FIREFOX,
        )
        .await;
    assert_eq!(response.status(), Status::Unauthorized);
    let response = app.post_json("/api/auth/refresh", json!({}), FIREFOX).await;
    assert_eq!(error_code(response).await, "invalid_refresh_token");
}

#[rocket::async_test]
async fn cookie_refresh_without_the_csrf_header_is_403() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let missing = app
        .client
        .post("/api/auth/refresh")
        .cookie(Cookie::new("refresh_token", login.refresh.clone()))
        .cookie(Cookie::new("csrf_token", login.csrf.clone()))
        .dispatch()
        .await;
    assert_eq!(missing.status(), Status::Forbidden);
    assert_eq!(error_code(missing).await, "csrf_failed");
    let wrong = app
        .client
        .post("/api/auth/refresh")
        .cookie(Cookie::new("refresh_token", login.refresh.clone()))
        .cookie(Cookie::new("csrf_token", login.csrf.clone()))
        .header(Header::new("X-CSRF-Token", "0".repeat(32)))
        .dispatch()
        .await;
    assert_eq!(wrong.status(), Status::Forbidden);
    // A header without the cookie proves nothing either.
    let no_cookie = app
        .client
        .post("/api/auth/refresh")
        .cookie(Cookie::new("refresh_token", login.refresh.clone()))
        .header(Header::new("X-CSRF-Token", login.csrf.clone()))
        .dispatch()
        .await;
    assert_eq!(no_cookie.status(), Status::Forbidden);
    // None of these rotated the session: the token still works with the header.
    let ok = app.refresh(&login).await;
    assert_eq!(ok.status(), Status::Ok);
}

#[rocket::async_test]
async fn the_access_cookie_authenticates_and_needs_csrf_on_unsafe_methods() {
    let app = app().await;
    let here = app.register("ann@example.com").await;
    app.login("ann@example.com", IPHONE).await;
    let access_cookie = || Cookie::new("access_token", here.access.clone());
    let csrf_cookie = || Cookie::new("csrf_token", here.csrf.clone());

    let me = app
        .client
        .get("/api/auth/me")
        .cookie(access_cookie())
        .dispatch()
        .await;
    assert_eq!(me.status(), Status::Ok, "safe methods need no CSRF token");

    let response = app
        .client
        .delete("/api/sessions")
        .cookie(access_cookie())
        .cookie(csrf_cookie())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(error_code(response).await, "csrf_failed");
    let response = app
        .client
        .delete("/api/sessions")
        .cookie(access_cookie())
        .cookie(csrf_cookie())
        .header(Header::new("X-CSRF-Token", here.csrf.clone()))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body["revoked"], 1);
}

#[rocket::async_test]
async fn bearer_requests_need_no_csrf_token() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let response = app.revoke_others(&login).await;
    assert_eq!(response.status(), Status::Ok);
}

#[rocket::async_test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    async fn ip_seen(app: &TestApp, email: &str, peer: &str) -> Value {
        let body = json!({ "email": email, "password": PASSWORD });
        let response = app
            .client
            .post("/api/auth/register")
            .header(ContentType::JSON)
            .header(Header::new("X-Forwarded-For", "203.0.113.9, 10.0.0.7"))
            .header(Header::new("X-Real-IP", "198.51.100.1"))
            .remote(peer.parse().unwrap())
            .body(body.to_string())
            .dispatch()
            .await;
        let body: Value = response.into_json().await.unwrap();
        body["session"]["ip"].clone()
    }
    let app = app_with(|f| f.merge(("trusted_proxies", vec!["10.0.0.0/8", "127.0.0.1"]))).await;
    // From the trusted proxy: the rightmost untrusted hop is the client.
    assert_eq!(
        ip_seen(&app, "a@example.com", "127.0.0.1:9000").await,
        "203.0.113.9"
    );
    // From anyone else: the peer address, whatever the headers claim.
    assert_eq!(
        ip_seen(&app, "b@example.com", "192.0.2.5:9000").await,
        "192.0.2.5"
    );
}

#[rocket::async_test]
async fn a_client_behind_a_trusted_proxy_cannot_choose_its_ip_from_the_left_of_forwarded_for() {
    let app = app_with(|f| {
        f.merge(("trusted_proxies", vec!["10.0.0.0/8"]))
            .merge(("rate_limit_login_per_ip", "3/min"))
    })
    .await;
    async fn through_proxy<'a>(app: &'a TestApp, forwarded: &str) -> LocalResponse<'a> {
        let body = json!({ "email": "nobody@example.com", "password": "wrong password" });
        app.json_post("/api/auth/login", &body, FIREFOX)
            .header(Header::new("X-Forwarded-For", forwarded.to_owned()))
            .remote("10.0.0.2:9000".parse().unwrap())
            .dispatch()
            .await
    }
    // The proxy appended 198.51.100.7; whatever the client wrote before it is its own invention,
    // so varying it does not buy fresh quota.
    for forged in ["6.6.6.1", "6.6.6.2", "6.6.6.3"] {
        let response = through_proxy(&app, &format!("{forged}, 198.51.100.7")).await;
        assert_eq!(response.status(), Status::Unauthorized);
    }
    assert_rate_limited(through_proxy(&app, "6.6.6.4, 198.51.100.7").await).await;
    // Junk right of a forged address ends the walk at the proxy: still no forged IP.
    for forged in ["6.6.6.5", "6.6.6.6", "6.6.6.7"] {
        let response = through_proxy(&app, &format!("{forged}, junk")).await;
        assert_eq!(response.status(), Status::Unauthorized, "{forged}");
    }
    assert_rate_limited(through_proxy(&app, "6.6.6.8, junk").await).await;

    // The devices list shows the address the proxy saw.
    let body = json!({ "email": "ann@example.com", "password": PASSWORD });
    let response = app
        .json_post("/api/auth/register", &body, FIREFOX)
        .header(Header::new("X-Forwarded-For", "6.6.6.6, 203.0.113.9"))
        .remote("10.0.0.2:9000".parse().unwrap())
        .dispatch()
        .await;
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body["session"]["ip"], "203.0.113.9");
}
