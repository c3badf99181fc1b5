//! `/api/sessions`: the caller's devices, and revoking them.

use rocket::serde::json::Json;
use rocket::{delete, get, routes, Route};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::api::answers::NoContent;
use crate::api::refusals::refusals;
use crate::auth::sessions::{list_sessions as live_sessions, PublicSession};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::web::guards::Acting;
use crate::web::guards::CurrentUser;

pub fn routes() -> Vec<Route> {
    routes![list_sessions, revoke_session, revoke_other_sessions]
}

/// These routes in the OpenAPI document (`api/openapi.rs` mounts it at `/api`).
#[derive(OpenApi)]
#[openapi(paths(list_sessions, revoke_session, revoke_other_sessions))]
pub struct Doc;

#[derive(Serialize, ToSchema)]
struct SessionList {
    sessions: Vec<PublicSession>,
}

refusals!(SignInRequired: [current_user]);
/// The caller's live sessions, most recently used first; the caller's own is `current: true`.
#[utoipa::path(tag = "sessions", security(("bearer" = []), ("access_cookie" = [])),
    responses((status = 200, description = "One entry per signed-in device", body = SessionList),
        SignInRequired))]
#[get("/sessions")]
async fn list_sessions(db: &Db, current: CurrentUser) -> ApiResult<Json<SessionList>> {
    let sessions = live_sessions(db, current.user.id).await?;
    let sid = &current.claims.sid;
    let sessions = sessions.iter().map(|s| s.public(sid)).collect();
    Ok(Json(SessionList { sessions }))
}

refusals!(RevokeRefusals: [current_user_writes], NotFound);
/// Revokes one of the caller's sessions: it can no longer refresh.
///
/// Revoking the caller's own session signs this device out as well (its cookies are cleared).
/// Another user's session, or one already revoked, is `404 not_found`.
#[utoipa::path(tag = "sessions", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A session id from `GET /api/sessions`")),
    responses((status = 204, description = "Revoked"), RevokeRefusals))]
#[delete("/sessions/<id>")]
async fn revoke_session(me: Acting<'_, CurrentUser>, id: &str) -> ApiResult<NoContent> {
    if !me.auth.revoke_device(me.user().id, id, &me.client).await? {
        return Err(ApiError::NotFound);
    }
    Ok(NoContent {
        sign_out: id == me.sid(),
    })
}

#[derive(Serialize, ToSchema)]
struct Revoked {
    /// How many sessions were revoked.
    #[schema(example = 2)]
    revoked: u64,
}

refusals!(RevokeOthersRefusals: [current_user_writes], ReauthRequired);
/// Revokes every session of the caller but this one.
///
/// A sensitive step: the session must have signed in or re-authenticated
/// (`POST /api/auth/reauth`) in the last 10 minutes, or `401 reauth_required`.
#[utoipa::path(tag = "sessions", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    responses((status = 200, description = "Every other device signed out", body = Revoked),
        RevokeOthersRefusals))]
#[delete("/sessions")]
async fn revoke_other_sessions(me: Acting<'_, CurrentUser>) -> ApiResult<Json<Revoked>> {
    let sid = me.sid();
    let revoked = me
        .auth
        .revoke_other_devices(me.user(), sid, &me.client)
        .await?;
    Ok(Json(Revoked { revoked }))
}
