//! `GET /metrics`: the Prometheus text format (`metrics.rs` holds the series), and the fairing
//! that times every request by its route template. Scraped by an operator's Prometheus, so not
//! for everyone: with `metrics_token` only with `Authorization: Bearer <token>`, without it only
//! for a client on loopback or in `trusted_proxies` (as `X-Forwarded-For` tells it from a trusted
//! proxy, so the world behind nginx is refused); otherwise `401`/`403` JSON.

use std::convert::Infallible;
use std::time::Instant;

use rocket::fairing::{AdHoc, Fairing, Info, Kind};
use rocket::http::ContentType;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{get, routes, Data, Response, Route, State};
use utoipa::OpenApi;

use crate::api::refusals::refusals;
use crate::config::Settings;
use crate::db::Db;
use crate::error::ApiError;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::web::client::client_info;

const NOT_FOR_YOU: &str = "Metrics are for loopback and trusted proxies, or need metrics_token.";

pub fn routes() -> Vec<Route> {
    routes![metrics]
}

/// This route in the OpenAPI document (`api/openapi.rs` merges it, as `health.rs`'s).
#[derive(OpenApi)]
#[openapi(paths(metrics))]
pub struct Doc;

/// Times the requests when metrics are on (`metrics::stage` made them; off, `/metrics` answers
/// `404` and nothing is timed).
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Request metrics", |rocket| async {
        match rocket.state::<Metrics>().is_some_and(Metrics::is_on) {
            true => rocket.attach(RequestTimer),
            false => rocket,
        }
    })
}

/// Who may read the numbers, decided once per request; the handler answers the refusal as JSON
/// (a guard's refusal outside `/api` would be an HTML page).
pub struct Scraper(Result<(), ApiError>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Scraper {
    type Error = Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Infallible> {
        let Some(settings) = req.rocket().state::<Settings>() else {
            return Outcome::Success(Scraper(Err(ApiError::Internal)));
        };
        let allowed = match settings.metrics_token.as_ref() {
            Some(token) => {
                let presented = req
                    .headers()
                    .get_one("Authorization")
                    .and_then(|h| h.strip_prefix("Bearer "));
                match presented.is_some_and(|p| token.matches(p)) {
                    true => Ok(()),
                    false => Err(ApiError::Unauthorized),
                }
            }
            None => match client_info(req).ip {
                Some(ip) if ip.is_loopback() || settings.is_trusted_proxy(ip) => Ok(()),
                _ => Err(ApiError::Forbidden(NOT_FOR_YOU)),
            },
        };
        Outcome::Success(Scraper(allowed))
    }
}

refusals!(MetricsRefusals: [], Unauthorized, Forbidden(NOT_FOR_YOU), NotFound);
/// Every series in the Prometheus text format (version 0.0.4), described in docs/metrics.md.
/// Open to loopback and trusted proxies (no credentials); with `metrics_token` set, only to
/// `Authorization: Bearer <metrics_token>` (that token, not an access token).
#[utoipa::path(tag = "health", security((), ("bearer" = [])), responses(
    (status = 200, description = "The series", body = String,
        content_type = "text/plain; version=0.0.4",
        example = "auth_refreshes_total{result=\"rotated\"} 3"),
    MetricsRefusals))]
#[get("/metrics")]
async fn metrics(
    scraper: Scraper,
    metrics: &State<Metrics>,
    db: &State<Db>,
    mailer: &State<Mailer>,
) -> Result<(ContentType, String), ApiError> {
    scraper.0?;
    if !metrics.is_on() {
        return Err(ApiError::NotFound);
    }
    // Read now rather than counted as they change: nothing on the request path pays for them.
    let size = u64::from(db.size());
    let idle = db.num_idle() as u64;
    metrics.pool(size.saturating_sub(idle), idle);
    let mail = mailer.stats();
    metrics.mail_counts(mail.sent as u64, mail.failed as u64, mail.pending as u64);
    let text = metrics.render().ok_or(ApiError::Internal)?;
    let format = ContentType::new("text", "plain").with_params(("version", "0.0.4"));
    Ok((format, text))
}

/// Times each request from its arrival to its answer, labelled by the route that answered
/// (its template, `&'static` for the app's life) and the status.
struct RequestTimer;

struct Arrived(Instant);

#[rocket::async_trait]
impl Fairing for RequestTimer {
    fn info(&self) -> Info {
        Info {
            name: "Request metrics",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| Arrived(Instant::now()));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let Some(metrics) = req.rocket().state::<Metrics>() else {
            return;
        };
        let took = req.local_cache(|| Arrived(Instant::now())).0.elapsed();
        // No route: nothing matched (a 404 from the catcher); never the raw path.
        let route = req.route().map_or("unmatched", |r| r.uri.path());
        metrics.request(route, res.status().code, took);
    }
}
