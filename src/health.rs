//! `GET /healthz`: liveness for load balancers and uptime checks. No guard and no database, so it
//! answers as long as the process serves requests (and is the benchmarks' bare-route ceiling).

use rocket::{get, routes, Route};
use utoipa::OpenApi;

pub fn routes() -> Vec<Route> {
    routes![healthz]
}

/// This route in the OpenAPI document (`api/openapi.rs` mounts it at `/`).
#[derive(OpenApi)]
#[openapi(paths(healthz))]
pub struct Doc;

/// Liveness: `ok` while the process serves requests (no database query).
#[utoipa::path(tag = "health", security(()), responses((status = 200, description = "Alive",
    body = String, content_type = "text/plain", example = "ok")))]
#[get("/healthz")]
fn healthz() -> &'static str {
    "ok"
}
