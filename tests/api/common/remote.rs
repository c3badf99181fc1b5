//! Requests from a chosen client IP (the peer address), for what is counted or logged per IP.

use std::net::SocketAddr;

use rocket::http::{Cookie, Header};
use rocket::local::asynchronous::LocalResponse;
use serde_json::{json, Value};

use super::{Login, TestApp, FIREFOX};

/// A client at `ip`.
pub fn addr(ip: &str) -> SocketAddr {
    SocketAddr::new(ip.parse().expect("an IP"), 40000)
}

/// A JSON POST from Firefox at `ip`.
pub async fn post_from<'a>(
    app: &'a TestApp,
    path: &str,
    body: Value,
    ip: &str,
) -> LocalResponse<'a> {
    app.json_post(path, &body, FIREFOX)
        .remote(addr(ip))
        .dispatch()
        .await
}

/// `POST /api/auth/login` from `ip`, with any password.
pub async fn login_from<'a>(
    app: &'a TestApp,
    email: &str,
    password: &str,
    ip: &str,
) -> LocalResponse<'a> {
    let body = json!({ "email": email, "password": password });
    post_from(app, "/api/auth/login", body, ip).await
}

/// A cookie-mode refresh of `token` from `ip`, with `login`'s CSRF cookie and header.
pub async fn refresh_from<'a>(
    app: &'a TestApp,
    login: &Login,
    token: &str,
    ip: &str,
) -> LocalResponse<'a> {
    app.client
        .post("/api/auth/refresh")
        .cookie(Cookie::new("refresh_token", token.to_owned()))
        .cookie(Cookie::new("csrf_token", login.csrf.clone()))
        .header(Header::new("X-CSRF-Token", login.csrf.clone()))
        .remote(addr(ip))
        .dispatch()
        .await
}
