//! `GET /healthz`: liveness for load balancers and uptime checks. No guard and no database, so it
//! answers as long as the process serves requests (and is the benchmarks' bare-route ceiling).

use rocket::{get, routes, Route};

pub fn routes() -> Vec<Route> {
    routes![healthz]
}

#[get("/healthz")]
fn healthz() -> &'static str {
    "ok"
}
