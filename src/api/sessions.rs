//! `/api/sessions`: the caller's devices, and revoking them.

use rocket::serde::json::Json;
use rocket::{delete, get, routes, Route};
use serde_json::{json, Value};

use crate::api::auth::NoContent;
use crate::auth::guards::CurrentUser;
use crate::auth::sessions::{list_sessions, revoke_other_sessions, revoke_session};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

pub fn routes() -> Vec<Route> {
    routes![list, revoke_one, revoke_others]
}

#[get("/sessions")]
async fn list(db: &Db, current: CurrentUser) -> ApiResult<Json<Value>> {
    let sessions = list_sessions(db, current.user.id).await?;
    let sid = &current.claims.sid;
    let sessions: Vec<_> = sessions.iter().map(|s| s.public(sid)).collect();
    Ok(Json(json!({ "sessions": sessions })))
}

/// Revoking the caller's own session signs this device out as well.
#[delete("/sessions/<id>")]
async fn revoke_one(db: &Db, current: CurrentUser, id: &str) -> ApiResult<NoContent> {
    if !revoke_session(db, current.user.id, id).await? {
        return Err(ApiError::NotFound);
    }
    Ok(NoContent {
        sign_out: id == current.claims.sid,
    })
}

#[delete("/sessions")]
async fn revoke_others(db: &Db, current: CurrentUser) -> ApiResult<Json<Value>> {
    let revoked = revoke_other_sessions(db, current.user.id, &current.claims.sid).await?;
    Ok(Json(json!({ "revoked": revoked })))
}
