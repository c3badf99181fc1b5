//! `GET /healthz`: liveness for load balancers and uptime checks. No guard and no database, so it
//! answers as long as the process serves requests (and is the benchmarks' bare-route ceiling).
//! `GET /readyz`: readiness. 200 when the database answers a query, 503 when it does not (within
//! the pool's acquire timeout), so a load balancer can stop sending traffic meanwhile.

use rocket::http::Status;
use rocket::{get, routes, Route, State};
use utoipa::OpenApi;

use crate::db::{self, availability, Db};

pub fn routes() -> Vec<Route> {
    routes![healthz, readyz]
}

/// These routes in the OpenAPI document (`api/openapi.rs` mounts it at `/`).
#[derive(OpenApi)]
#[openapi(paths(healthz, readyz))]
pub struct Doc;

/// Liveness: `ok` while the process serves requests (no database query).
#[utoipa::path(tag = "health", security(()), responses((status = 200, description = "Alive",
    body = String, content_type = "text/plain", example = "ok")))]
#[get("/healthz")]
fn healthz() -> &'static str {
    "ok"
}

/// Readiness: `ready` while the database answers a query; 503 when it does not, within the
/// pool's acquire timeout.
#[utoipa::path(tag = "health", security(()), responses(
    (status = 200, description = "Ready: the database answers", body = String,
        content_type = "text/plain", example = "ready"),
    (status = 503, description = "Not ready: the database does not answer", body = String,
        content_type = "text/plain", example = "the database does not answer")))]
#[get("/readyz")]
async fn readyz(db: &State<Db>) -> (Status, &'static str) {
    match db::answers(db).await {
        Ok(()) => (Status::Ok, "ready"),
        Err(error) => {
            availability::note(&error);
            rocket::warn!("not ready: the database does not answer: {error}");
            (Status::ServiceUnavailable, "the database does not answer")
        }
    }
}
