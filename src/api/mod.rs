//! The JSON API under `/api`: thin handlers over `auth/`, and JSON catchers for every error;
//! its OpenAPI document (`openapi.rs`) and the reference page rendered from it (`docs.rs`).

mod account;
mod admin;
mod answers;
mod auth;
mod by_mail;
mod docs;
mod jwks;
mod mfa;
mod oidc;
pub mod openapi;
mod passkeys;
pub(crate) mod refusals;
mod security_events;
mod sessions;

use rocket::http::Status;
use rocket::{Request, Route};

use crate::error::ApiError;
use crate::web::guards::error_for;

pub fn routes() -> Vec<Route> {
    let mut routes = auth::routes();
    routes.extend(by_mail::routes());
    routes.extend(mfa::routes());
    routes.extend(oidc::routes());
    routes.extend(passkeys::routes());
    routes.extend(sessions::routes());
    routes.extend(security_events::routes());
    routes.extend(account::routes());
    routes.extend(admin::routes());
    routes.extend(openapi::routes());
    routes.extend(docs::routes());
    routes
}

/// Mounted at `/.well-known`.
pub fn well_known_routes() -> Vec<Route> {
    jwks::routes()
}

/// Every error under `/api` (unknown route, failed guard, oversized body...) as contract JSON.
#[rocket::catch(default)]
pub fn json_catcher(status: Status, req: &Request<'_>) -> ApiError {
    error_for(req, status)
}

pub fn catchers() -> Vec<rocket::Catcher> {
    rocket::catchers![json_catcher]
}
