//! `/api/auth/oidc/providers`: the sign-in providers, for single-page apps to draw their buttons.
//! The trip itself is a browser's (`pages/oidc.rs`): the app comes back signed in, cookies set.

use rocket::serde::json::Json;
use rocket::{get, routes, Route, State};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::oidc::steps::{buttons, ProviderButton};
use crate::oidc::Providers;

pub fn routes() -> Vec<Route> {
    routes![list_oidc_providers]
}

/// This route in the OpenAPI document (`api/openapi.rs` mounts it at `/api`).
#[derive(OpenApi)]
#[openapi(
    paths(list_oidc_providers),
    components(schemas(ProviderList, ProviderButton))
)]
pub struct Doc;

#[derive(Serialize, ToSchema)]
struct ProviderList {
    providers: Vec<ProviderButton>,
}

/// The configured OpenID Connect providers.
///
/// Each `login_url` is a page: send the browser there (`GET`), it goes through the provider and
/// comes back signed in (cookie mode) to the site's root. Nothing is fetched from the providers
/// to answer this, so a provider that is down is still listed.
#[utoipa::path(tag = "auth",
    responses((status = 200, description = "The providers, in name order", body = ProviderList)))]
#[get("/auth/oidc/providers")]
fn list_oidc_providers(providers: &State<Providers>) -> Json<ProviderList> {
    Json(ProviderList {
        providers: buttons(providers, "/"),
    })
}
