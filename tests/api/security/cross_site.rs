//! Requests from other sites: a JSON route reached by a cross-site HTML form (login CSRF), and
//! sign-in, sign-up, refresh and logout sent by another site's page.

use rocket::http::{ContentType, Cookie, Header, Status};
use serde_json::json;

use crate::common::*;

/// The attack: a page on another site posts a `<form enctype="text/plain">` whose body looks like
/// JSON, with the attacker's credentials. No preflight is needed for text/plain.
#[rocket::async_test]
async fn a_text_plain_form_cannot_sign_in_through_the_json_api() {
    let app = app().await;
    app.register("mallory@example.com").await;
    let body = format!(r#"{{"email":"mallory@example.com","password":"{PASSWORD}","x":"="}}"#);
    for content_type in [ContentType::Plain, ContentType::Form, ContentType::FormData] {
        let response = app
            .client
            .post("/api/auth/login")
            .header(content_type.clone())
            .body(body.clone())
            .dispatch()
            .await;
        assert_eq!(
            response.status(),
            Status::UnsupportedMediaType,
            "{content_type}"
        );
        assert!(
            response.headers().get("Set-Cookie").next().is_none(),
            "no session"
        );
        assert_eq!(error_code(response).await, "unsupported_media_type");
    }
    // Without any Content-Type, a body is refused too; JSON (also `+json`) is served.
    let bare = app
        .client
        .post("/api/auth/login")
        .body(body.clone())
        .dispatch()
        .await;
    assert_eq!(bare.status(), Status::UnsupportedMediaType);
    let json_ld = ContentType::new("application", "ld+json");
    let ok = app
        .client
        .post("/api/auth/login")
        .header(json_ld)
        .body(body)
        .dispatch()
        .await;
    assert_eq!(ok.status(), Status::Ok);
}

#[rocket::async_test]
async fn every_json_body_route_wants_json() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    for path in [
        "/api/auth/register",
        "/api/auth/password",
        "/api/auth/refresh",
        "/api/auth/logout",
    ] {
        let response = app
            .client
            .post(path)
            .header(ContentType::Plain)
            .header(login.bearer())
            .body("{}")
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::UnsupportedMediaType, "{path}");
        assert_eq!(
            error_code(response).await,
            "unsupported_media_type",
            "{path}"
        );
    }
}

async fn login_from<'a>(
    app: &'a TestApp,
    headers: &[(&str, &str)],
) -> rocket::local::asynchronous::LocalResponse<'a> {
    let body = json!({ "email": "ann@example.com", "password": PASSWORD });
    let mut request = app.json_post("/api/auth/login", &body, FIREFOX);
    for (name, value) in headers {
        request = request.header(Header::new(name.to_string(), value.to_string()));
    }
    request.dispatch().await
}

#[rocket::async_test]
async fn the_api_refuses_sign_in_and_sign_up_marked_cross_site() {
    let app = app().await;
    app.register("ann@example.com").await;
    for headers in [
        &[("Sec-Fetch-Site", "cross-site")][..],
        &[
            ("Origin", "https://evil.example"),
            ("Host", "localhost:8000"),
        ],
        &[("Origin", "null")],
        &[
            ("Origin", "https://evil.example"),
            ("Sec-Fetch-Site", "same-origin"),
        ],
    ] {
        let response = login_from(&app, headers).await;
        assert_eq!(response.status(), Status::Forbidden, "{headers:?}");
        assert!(response.headers().get("Set-Cookie").next().is_none());
        assert_eq!(error_code(response).await, "cross_site_request");
    }
    let body = json!({ "email": "eve@example.com", "password": PASSWORD });
    let response = app
        .json_post("/api/auth/register", &body, FIREFOX)
        .header(Header::new("Sec-Fetch-Site", "cross-site"))
        .dispatch()
        .await;
    assert_eq!(error_code(response).await, "cross_site_request");
    // The app's own pages, same-site subdomains and clients that are not browsers are served.
    for headers in [
        &[
            ("Origin", "http://localhost:8000"),
            ("Host", "localhost:8000"),
            ("Sec-Fetch-Site", "same-origin"),
        ][..],
        &[("Sec-Fetch-Site", "same-site")],
        &[("Sec-Fetch-Site", "none")],
        &[],
    ] {
        let response = login_from(&app, headers).await;
        assert_eq!(response.status(), Status::Ok, "{headers:?}");
    }
}

#[rocket::async_test]
async fn allowed_origins_may_sign_in_from_another_site() {
    let spa = "https://spa.example.org";
    let app = app_with(|f| f.merge(("allowed_origins", vec![spa]))).await;
    app.register("ann@example.com").await;
    let from_spa = [("Origin", spa), ("Sec-Fetch-Site", "cross-site")];
    assert_eq!(login_from(&app, &from_spa).await.status(), Status::Ok);
    let other = [
        ("Origin", "https://spa.example.org.evil"),
        ("Sec-Fetch-Site", "cross-site"),
    ];
    assert_eq!(login_from(&app, &other).await.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn refresh_and_logout_refuse_another_sites_request() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    for path in ["/api/auth/refresh", "/api/auth/logout"] {
        let response = app
            .client
            .post(path)
            .cookie(Cookie::new("refresh_token", login.refresh.clone()))
            .cookie(Cookie::new("csrf_token", login.csrf.clone()))
            .header(Header::new("X-CSRF-Token", login.csrf.clone()))
            .header(Header::new("Sec-Fetch-Site", "cross-site"))
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Forbidden, "{path}");
        assert!(
            response.headers().get("Set-Cookie").next().is_none(),
            "{path}"
        );
        assert_eq!(error_code(response).await, "cross_site_request", "{path}");
    }
    assert!(session_is_live(&app, &login.session_id()).await);
    assert_eq!(app.refresh(&login).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn the_pages_refuse_sign_in_refresh_and_sign_out_from_another_site() {
    let app = app().await;
    let mut browser = ann_signed_up(&app).await;
    browser.get("/").await;
    let csrf = browser.cookie("csrf_token").unwrap().to_owned();
    let cross = || Header::new("Sec-Fetch-Site", "cross-site");
    let logout = app
        .client
        .post("/logout")
        .header(ContentType::Form)
        .header(cross())
        .body(format!("_csrf={csrf}"));
    let page = browser.send(logout).await;
    assert_eq!(page.status, Status::Forbidden);
    assert!(page.body.contains("another site"), "{}", page.body);
    assert!(session_is_live(&app, &browser.session_id()).await);
    let refresh = app.client.get("/auth/refresh?next=/").header(cross());
    assert_eq!(browser.send(refresh).await.status, Status::Forbidden);

    let mut victim = Browser::new(&app, FIREFOX);
    victim.get("/login").await;
    let csrf = victim.cookie("csrf_token").unwrap().to_owned();
    let body = form_encode(&[
        ("email", "ann@example.com"),
        ("password", PASSWORD),
        ("_csrf", &csrf),
    ]);
    let forged = app
        .client
        .post("/login")
        .header(ContentType::Form)
        .header(Header::new("Origin", "https://evil.example"))
        .body(body);
    let page = victim.send(forged).await;
    assert_eq!(page.status, Status::Forbidden);
    assert!(page.set_cookie("refresh_token").is_none(), "not signed in");
}
