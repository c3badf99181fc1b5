//! The OpenAPI 3 document of the JSON API: `GET /api/openapi.json`, rendered as a page at
//! `GET /api/docs` (`api/docs.rs`). Each handler carries its `#[utoipa::path]`, each area lists
//! its paths in a `Doc` beside its `routes()`, and this file assembles them where `lib.rs` mounts
//! them, with the security schemes (each route's refusals are `refusals!`, in `refusals.rs`).

use std::sync::LazyLock;

use rocket::serde::json::Json;
use rocket::{get, routes, Route};
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi};

use crate::error::ErrorBody;
use crate::web::cookies::SessionCookie;
use crate::web::csrf::CSRF_HEADER;

pub fn routes() -> Vec<Route> {
    routes![openapi_json]
}

/// The document, built once: it depends on the code only, never on the configuration.
pub static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(document);

/// Every area's `Doc`, under the prefix `lib.rs` mounts its routes at, and the session chain.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = Base::openapi()
        .nest("/api", super::auth::Doc::openapi())
        .nest("/api", super::by_mail::Doc::openapi())
        .nest("/api", super::mfa::Doc::openapi())
        .nest("/api", super::oidc::Doc::openapi())
        .nest("/api", super::passkeys::Doc::openapi())
        .nest("/api", super::sessions::Doc::openapi())
        .nest("/api", super::security_events::Doc::openapi())
        .nest("/api", super::account::Doc::openapi())
        .nest("/api", super::admin::Doc::openapi())
        .nest("/api", Doc::openapi())
        .nest("/api", super::docs::Doc::openapi())
        .nest("/.well-known", super::jwks::Doc::openapi())
        .merge_from(crate::health::Doc::openapi())
        .merge_from(crate::monitoring::Doc::openapi());
    link_the_session_chain(&mut document);
    document
}

/// OpenAPI links: how a client goes from one answer to the next request (sign in or up →
/// refresh → refresh again → list the sessions → revoke one). Tools that test stateful
/// sequences (schemathesis) follow them; they span areas, so they are added here.
fn link_the_session_chain(document: &mut utoipa::openapi::OpenApi) {
    let bearer = "Bearer {$response.body#/access_token}";
    let refresh = || {
        let body = serde_json::json!({ "refresh_token": "$response.body#/refresh_token" });
        LinkBuilder::new()
            .operation_id("refresh")
            .request_body(Some(body))
            .description("Body mode: rotate with the refresh token just issued")
            .build()
    };
    let sessions = || {
        LinkBuilder::new()
            .operation_id("list_sessions")
            .parameter("header.Authorization", bearer)
            .description("The sessions, with the access token just issued")
            .build()
    };
    let revoke_new = LinkBuilder::new()
        .operation_id("revoke_session")
        .parameter("id", "$response.body#/session/id")
        .parameter("header.Authorization", bearer)
        .description("Sign the new session out again")
        .build();
    let revoke_listed = LinkBuilder::new()
        .operation_id("revoke_session")
        .parameter("id", "$response.body#/sessions/0/id")
        .description("Revoke the most recently used session")
        .build();
    // From sign-up only: changing the password of a fresh account signs nobody else out.
    let change_password = LinkBuilder::new()
        .operation_id("change_password")
        .parameter("header.Authorization", bearer)
        .request_body(Some(serde_json::json!({
            "current_password": "$request.body#/password",
            "new_password": "a new long passphrase",
        })))
        .description("Change the password just chosen")
        .build();
    let chain = [
        (
            "login",
            "200",
            vec![
                ("refresh", refresh()),
                ("sessions", sessions()),
                ("revoke", revoke_new.clone()),
            ],
        ),
        (
            "register",
            "201",
            vec![
                ("refresh", refresh()),
                ("sessions", sessions()),
                ("revoke", revoke_new),
                ("password", change_password),
            ],
        ),
        (
            "refresh",
            "200",
            vec![("refresh", refresh()), ("sessions", sessions())],
        ),
        ("list_sessions", "200", vec![("revoke", revoke_listed)]),
    ];
    for (operation_id, status, links) in chain {
        let Some(RefOr::T(answer)) = operations(document)
            .find(|op| op.operation_id.as_deref() == Some(operation_id))
            .and_then(|op| op.responses.responses.get_mut(status))
        else {
            panic!("the session chain names {operation_id} {status}, which is not documented");
        };
        for (name, link) in links {
            answer.links.insert(name.to_owned(), RefOr::T(link));
        }
    }
}

fn operations(
    document: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    document.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.post,
            &mut item.delete,
            &mut item.put,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
    })
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rocket Auth API",
        description = "Sign-up, sign-in (with an optional TOTP second factor), token refresh \
            with rotation, and the devices (sessions) of an account. Access tokens are short-lived JWTs sent as `Authorization: Bearer`; the \
            refresh token lives in the HttpOnly `refresh_token` cookie (cookie mode, the default) \
            or in the JSON bodies (body mode, `refresh_token_as_cookie = false`). Every error is \
            `{\"error\": {\"code\", \"message\"}}`; `code` is stable, `message` is for people. \
            Any route that needs the database may answer `503 service_unavailable` while the \
            database cannot serve (not listed per route); routes that hash a password or send a \
            mail list their `503` with `Retry-After` when too much is waiting already. The \
            contract in prose: docs/API.md."
    ),
    components(schemas(ErrorBody)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Accounts and tokens: sign up, sign in, refresh, sign out."),
        (name = "mfa", description = "Two-factor sign-in (TOTP): setup, the second sign-in step, \
            re-authentication for sensitive steps."),
        (name = "passkeys", description = "Passkeys (WebAuthn): add, list, rename and \
            remove them; sign in with one alone, or finish a password sign-in with one."),
        (name = "sessions", description = "The account's devices and its security events."),
        (name = "account", description = "The account itself: rename, move to a new address, \
            delete, export everything stored about it."),
        (name = "admin", description = "The admin console: users, their devices, roles, the \
            audit log. Admins only (the role read from the database); changes need recent \
            authentication."),
        (name = "keys", description = "Public keys for services that verify access tokens."),
        (name = "docs", description = "This document and its reference page."),
        (name = "health", description = "Liveness and readiness."),
    )
)]
struct Base;

/// This file's route in the document.
#[derive(OpenApi)]
#[openapi(paths(openapi_json))]
struct Doc;

/// This document (OpenAPI 3.1), generated from the code.
#[utoipa::path(tag = "docs", security(()), responses((status = 200,
    description = "The OpenAPI document", body = serde_json::Value)))]
#[get("/openapi.json")]
fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(&DOCUMENT)
}

/// The ways to present credentials. Which of them a route accepts is its `security` list.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "The access token from sign-in or refresh (5 minutes by default). Needs no CSRF \
                 token.",
            ))
            .build();
        // The document does not depend on the configuration: it names the cookies as over plain
        // HTTP and says what `cookie_secure` changes.
        let cookie = |which: SessionCookie, what: &str| {
            let (name, secure) = (which.name(false), which.name(true));
            let what = format!("{what} Named `{secure}` when `cookie_secure` is on (HTTPS).");
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(name, &what)))
        };
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        components.add_security_scheme(
            "access_cookie",
            cookie(
                SessionCookie::Access,
                "The access token as the HttpOnly cookie the pages set; used when there is no \
                 `Authorization` header. Unsafe methods also need `csrf`.",
            ),
        );
        components.add_security_scheme(
            "refresh_cookie",
            cookie(
                SessionCookie::Refresh,
                "Cookie mode: the HttpOnly refresh-token cookie set by sign-in and refresh. \
                 Always with `csrf`.",
            ),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                CSRF_HEADER.to_owned(),
                format!(
                    "Signed double submit: equal to the `{}` cookie (`{}` when `cookie_secure`), \
                     which sign-in and sign-up set and which is bound to that session: after a \
                     new sign-in only the new session's token is accepted. Required on POST and \
                     DELETE whenever a cookie authenticates.",
                    SessionCookie::Csrf.name(false),
                    SessionCookie::Csrf.name(true)
                ),
            ))),
        );
    }
}
