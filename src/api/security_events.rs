//! `/api/security-events`: the caller's own recent security events, newest first.

use rocket::serde::json::Json;
use rocket::{get, routes, Route};
use serde_json::{json, Value};

use crate::auth::guards::CurrentUser;
use crate::auth::security_events::{recent, PublicEvent, MAX_EVENTS};
use crate::db::Db;
use crate::error::ApiResult;

pub fn routes() -> Vec<Route> {
    routes![list]
}

/// `?limit=` (1 to 100, default 50); out-of-range values are clamped, not refused.
#[get("/security-events?<limit>")]
async fn list(db: &Db, current: CurrentUser, limit: Option<i64>) -> ApiResult<Json<Value>> {
    let events = recent(db, current.user.id, limit.unwrap_or(MAX_EVENTS / 2)).await?;
    let events: Vec<PublicEvent> = events.iter().map(PublicEvent::from).collect();
    Ok(Json(json!({ "events": events })))
}
