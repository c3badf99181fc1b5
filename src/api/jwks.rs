//! `/.well-known/jwks.json`: the public keys that verify access tokens, for other services.
//! With HMAC keys the set is empty: a shared secret is never published.

use rocket::http::Header;
use rocket::serde::json::Json;
use rocket::{get, routes, Responder, Route, State};
use utoipa::OpenApi;

use crate::auth::keys::JwkSet;
use crate::auth::tokens::Tokens;

pub fn routes() -> Vec<Route> {
    routes![jwks]
}

/// This route in the OpenAPI document (`api/openapi.rs` mounts it at `/.well-known`).
#[derive(OpenApi)]
#[openapi(paths(jwks))]
pub struct Doc;

#[derive(Responder)]
struct Cacheable {
    body: Json<JwkSet>,
    cache: Header<'static>,
}

/// The public keys that verify access tokens (JWK Set, RFC 7517).
///
/// Cacheable for five minutes: a verifier that meets an unknown `kid` should fetch again. Empty
/// under HMAC: a shared secret is never published.
#[utoipa::path(tag = "keys", security(()), responses((status = 200, description = "The key set",
    body = JwkSet, headers(("Cache-Control" = String, description = "`public, max-age=300`")))))]
#[get("/jwks.json")]
fn jwks(tokens: &State<Tokens>) -> Cacheable {
    Cacheable {
        body: Json(tokens.keys.jwks()),
        cache: Header::new("Cache-Control", "public, max-age=300"),
    }
}
