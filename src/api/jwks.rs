//! `/.well-known/jwks.json`: the public keys that verify access tokens, for other services.
//! With HMAC keys the set is empty: a shared secret is never published.

use rocket::http::Header;
use rocket::serde::json::Json;
use rocket::{get, routes, Responder, Route, State};
use serde_json::Value;

use crate::auth::tokens::Tokens;

pub fn routes() -> Vec<Route> {
    routes![jwks]
}

#[derive(Responder)]
struct Cacheable {
    body: Json<Value>,
    cache: Header<'static>,
}

/// Cacheable for five minutes: a verifier that meets an unknown `kid` should fetch again.
#[get("/jwks.json")]
fn jwks(tokens: &State<Tokens>) -> Cacheable {
    Cacheable {
        body: Json(tokens.keys.jwks()),
        cache: Header::new("Cache-Control", "public, max-age=300"),
    }
}
