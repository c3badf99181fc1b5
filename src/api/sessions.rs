//! `/api/sessions`: the caller's devices, and revoking them.

use rocket::serde::json::Json;
use rocket::{delete, get, routes, Route};
use serde_json::{json, Value};

use crate::api::auth::NoContent;
use crate::auth::account::Auth;
use crate::auth::device::ClientInfo;
use crate::auth::guards::CurrentUser;
use crate::auth::sessions::list_sessions;
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
async fn revoke_one(
    auth: Auth<'_>,
    current: CurrentUser,
    client: ClientInfo,
    id: &str,
) -> ApiResult<NoContent> {
    if !auth.revoke_device(current.user.id, id, &client).await? {
        return Err(ApiError::NotFound);
    }
    Ok(NoContent {
        sign_out: id == current.claims.sid,
    })
}

#[delete("/sessions")]
async fn revoke_others(
    auth: Auth<'_>,
    current: CurrentUser,
    client: ClientInfo,
) -> ApiResult<Json<Value>> {
    let sid = &current.claims.sid;
    let revoked = auth
        .revoke_other_devices(&current.user, sid, &client)
        .await?;
    Ok(Json(json!({ "revoked": revoked })))
}
