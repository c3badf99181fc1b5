//! `/api/security-events`: the caller's own recent security events, newest first.

use rocket::serde::json::Json;
use rocket::{get, routes, Route};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::api::refusals::refusals;
use crate::auth::security_events::{recent, PublicEvent, MAX_EVENTS};
use crate::db::Db;
use crate::error::ApiResult;
use crate::web::guards::CurrentUser;

pub fn routes() -> Vec<Route> {
    routes![list_security_events]
}

/// This route in the OpenAPI document (`api/openapi.rs` mounts it at `/api`).
#[derive(OpenApi)]
#[openapi(paths(list_security_events))]
pub struct Doc;

#[derive(Serialize, ToSchema)]
struct EventList {
    events: Vec<PublicEvent>,
}

refusals!(SignInRequired: [current_user]);
/// The caller's own security events, newest first.
///
/// `limit` is 1 to 100, default 50; out-of-range values are clamped, not refused.
#[utoipa::path(tag = "sessions", security(("bearer" = []), ("access_cookie" = [])),
    params(("limit" = Option<i64>, Query, description = "How many events (1 to 100, default 50)")),
    responses((status = 200, description = "The events", body = EventList), SignInRequired))]
#[get("/security-events?<limit>")]
async fn list_security_events(
    db: &Db,
    current: CurrentUser,
    limit: Option<i64>,
) -> ApiResult<Json<EventList>> {
    let events = recent(db, current.user.id, limit.unwrap_or(MAX_EVENTS / 2)).await?;
    let events = events.iter().map(PublicEvent::from).collect();
    Ok(Json(EventList { events }))
}
