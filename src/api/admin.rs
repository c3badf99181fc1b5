//! `/api/admin/*`: the admin console's JSON API. Every route takes `AdminUser` (the role read
//! from the database: `403 forbidden` for anyone else); every change also needs recent
//! authentication (`401 reauth_required`) and leaves an entry in the audit log.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, Route};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::admin::audit::PublicAuditEntry;
use crate::admin::directory::AdminView;
use crate::admin::Actor;
use crate::api::answers::NoContent;
use crate::api::refusals::refusals;
use crate::auth::security_events::PublicEvent;
use crate::auth::sessions::PublicSession;
use crate::auth::users::Role;
use crate::error::{ApiError, ApiResult};
use crate::oidc::identities::PublicIdentity;
use crate::passkeys::credentials::PublicPasskey;
use crate::web::admin::AdminUser;
use crate::web::body::JsonBody;
use crate::web::guards::Acting;

pub fn routes() -> Vec<Route> {
    routes![
        list_users,
        show_user,
        deactivate_user,
        activate_user,
        set_role,
        revoke_user_sessions,
        revoke_user_session,
        reset_mfa,
        mail_password_reset,
        audit_log
    ]
}

/// These routes in the OpenAPI document (`api/openapi.rs` mounts it at `/api`).
#[derive(OpenApi)]
#[openapi(paths(
    list_users,
    show_user,
    deactivate_user,
    activate_user,
    set_role,
    revoke_user_sessions,
    revoke_user_session,
    reset_mfa,
    mail_password_reset,
    audit_log
))]
pub struct Doc;

type Admin<'r> = Acting<'r, AdminUser>;

fn actor<'a>(me: &'a Admin<'_>) -> Actor<'a> {
    Actor::Admin {
        user: me.user(),
        sid: me.sid(),
    }
}

#[derive(Serialize, ToSchema)]
struct UserPage {
    users: Vec<AdminView>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    #[schema(required = true, example = "41")]
    next_cursor: Option<String>,
}

refusals!(ListRefusals: [admin], InvalidInput("cursor: use next_cursor as given".into()));
/// Users whose email or name contains `query` (any case), newest first, a page at a time.
///
/// `limit` is 1 to 100, default 50 (clamped). Each user comes with `active`, their live
/// `sessions` and `last_seen_at`.
#[utoipa::path(tag = "admin", security(("bearer" = []), ("access_cookie" = [])),
    params(
        ("query" = Option<String>, Query, description = "Part of an email or a name"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<i64>, Query, description = "Users per page (1 to 100, default 50)")),
    responses((status = 200, description = "A page of users", body = UserPage), ListRefusals))]
#[get("/admin/users?<query>&<cursor>&<limit>")]
async fn list_users(
    me: Admin<'_>,
    query: Option<&str>,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> ApiResult<Json<UserPage>> {
    let steps = me.auth.admin(actor(&me), &me.client);
    let page = steps.search(query, cursor, limit.unwrap_or(50)).await?;
    Ok(Json(UserPage {
        users: page.users.iter().map(AdminView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Serialize, ToSchema)]
struct UserRecordAnswer {
    user: AdminView,
    /// The user's live sessions, most recently used first (`current` is always `false`).
    sessions: Vec<PublicSession>,
    /// The user's 50 most recent security events, newest first.
    events: Vec<PublicEvent>,
    /// The user's passkeys.
    passkeys: Vec<PublicPasskey>,
    /// The providers linked to the account.
    identities: Vec<PublicIdentity>,
}

refusals!(ShowRefusals: [admin], NotFound);
/// One user, with their live sessions and recent security events.
#[utoipa::path(tag = "admin", security(("bearer" = []), ("access_cookie" = [])),
    params(("id" = i64, Path, description = "A user id")),
    responses((status = 200, description = "The user", body = UserRecordAnswer), ShowRefusals))]
#[get("/admin/users/<id>")]
async fn show_user(me: Admin<'_>, id: &str) -> ApiResult<Json<UserRecordAnswer>> {
    let id = user_id(id)?;
    let record = me.auth.admin(actor(&me), &me.client).user(id).await?;
    Ok(Json(UserRecordAnswer {
        user: AdminView::from(&record.listed),
        sessions: record.sessions.iter().map(|s| s.public("")).collect(),
        events: record.events.iter().map(PublicEvent::from).collect(),
        passkeys: record.passkeys.iter().map(|p| p.public()).collect(),
        identities: record.identities.iter().map(|i| i.public()).collect(),
    }))
}

refusals!(DeactivateRefusals: [admin_writes], NotFound, LastAdmin);
/// Deactivates a user: every session revoked at once, no sign-in until activated again.
///
/// The last active admin cannot be deactivated (`409 last_admin`). Deactivating an inactive
/// user changes nothing.
#[utoipa::path(tag = "admin", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "A user id")),
    responses((status = 204, description = "Deactivated"), DeactivateRefusals))]
#[post("/admin/users/<id>/deactivate")]
async fn deactivate_user(me: Admin<'_>, id: &str) -> ApiResult<NoContent> {
    let id = user_id(id)?;
    let steps = me.auth.admin(actor(&me), &me.client);
    steps.set_active(id, false).await?;
    Ok(NoContent {
        sign_out: id == me.user().id,
    })
}

refusals!(ActivateRefusals: [admin_writes], NotFound);
/// Activates a deactivated user again; they sign in anew.
#[utoipa::path(tag = "admin", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "A user id")),
    responses((status = 204, description = "Active"), ActivateRefusals))]
#[post("/admin/users/<id>/activate")]
async fn activate_user(me: Admin<'_>, id: &str) -> ApiResult<NoContent> {
    let id = user_id(id)?;
    let steps = me.auth.admin(actor(&me), &me.client);
    steps.set_active(id, true).await?;
    Ok(NoContent { sign_out: false })
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"role": "admin"}))]
struct RoleChange {
    role: Role,
}

refusals!(RoleRefusals: [admin_writes, json_body], NotFound, LastAdmin, InvalidInput("role: unknown variant".into()));
/// Gives a user a role; it reaches their tokens at their next refresh, and the admin routes
/// read it from the database at once.
///
/// The last active admin cannot be demoted, not even by themselves (`409 last_admin`).
#[utoipa::path(tag = "admin", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "A user id")), request_body = RoleChange,
    responses((status = 204, description = "The role is set"), RoleRefusals))]
#[put("/admin/users/<id>/role", data = "<body>")]
async fn set_role(me: Admin<'_>, id: &str, body: JsonBody<RoleChange>) -> ApiResult<Status> {
    let id = user_id(id)?;
    let steps = me.auth.admin(actor(&me), &me.client);
    steps.set_role(id, body.0.role).await?;
    Ok(Status::NoContent)
}

#[derive(Serialize, ToSchema)]
struct Revoked {
    /// How many sessions were revoked.
    #[schema(example = 2)]
    revoked: u64,
}

refusals!(RevokeAllRefusals: [admin_writes], NotFound);
/// Signs every device of the user out.
#[utoipa::path(tag = "admin", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "A user id")),
    responses((status = 200, description = "Signed out everywhere", body = Revoked),
        RevokeAllRefusals))]
#[delete("/admin/users/<id>/sessions")]
async fn revoke_user_sessions(me: Admin<'_>, id: &str) -> ApiResult<Json<Revoked>> {
    let id = user_id(id)?;
    let steps = me.auth.admin(actor(&me), &me.client);
    let revoked = steps.revoke_sessions(id).await?;
    Ok(Json(Revoked { revoked }))
}

refusals!(RevokeOneRefusals: [admin_writes], NotFound);
/// Signs one device of the user out; a session that is not theirs, or not live, is `404`.
#[utoipa::path(tag = "admin", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "A user id"),
        ("sid" = String, Path, description = "One of the user's session ids")),
    responses((status = 204, description = "Signed out"), RevokeOneRefusals))]
#[delete("/admin/users/<id>/sessions/<sid>")]
async fn revoke_user_session(me: Admin<'_>, id: &str, sid: &str) -> ApiResult<NoContent> {
    let id = user_id(id)?;
    let steps = me.auth.admin(actor(&me), &me.client);
    steps.revoke_session(id, sid).await?;
    Ok(NoContent {
        sign_out: sid == me.sid(),
    })
}

refusals!(ResetMfaRefusals: [admin_writes], NotFound);
/// The lost-phone path: removes the user's second factor and recovery codes, so their password
/// alone signs in again. Already off changes nothing.
#[utoipa::path(tag = "admin", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "A user id")),
    responses((status = 204, description = "Two-factor sign-in is off"), ResetMfaRefusals))]
#[delete("/admin/users/<id>/mfa")]
async fn reset_mfa(me: Admin<'_>, id: &str) -> ApiResult<Status> {
    let id = user_id(id)?;
    me.auth.admin(actor(&me), &me.client).reset_mfa(id).await?;
    Ok(Status::NoContent)
}

refusals!(MailResetRefusals: [admin_writes], NotFound, InvalidInput("This account is deactivated: activate it first.".into()));
/// Mails the user a link to set a new password (their earlier links stop working).
#[utoipa::path(tag = "admin", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "A user id")),
    responses((status = 202, description = "The link is on its way"), MailResetRefusals))]
#[post("/admin/users/<id>/password-reset")]
async fn mail_password_reset(me: Admin<'_>, id: &str) -> ApiResult<Status> {
    let id = user_id(id)?;
    let steps = me.auth.admin(actor(&me), &me.client);
    steps.mail_password_reset(id).await?;
    Ok(Status::Accepted)
}

#[derive(Serialize, ToSchema)]
struct AuditPage {
    entries: Vec<PublicAuditEntry>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    #[schema(required = true, example = "17")]
    next_cursor: Option<String>,
}

refusals!(AuditRefusals: [admin], InvalidInput("cursor: use next_cursor as given".into()));
/// The admin audit log, newest first: who did what to whom, when and from where.
///
/// `user` narrows it to one target user; `limit` is 1 to 100, default 50 (clamped).
#[utoipa::path(tag = "admin", security(("bearer" = []), ("access_cookie" = [])),
    params(
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("user" = Option<i64>, Query, description = "Only the entries about this user"),
        ("limit" = Option<i64>, Query, description = "Entries per page (1 to 100, default 50)")),
    responses((status = 200, description = "A page of the log", body = AuditPage),
        AuditRefusals))]
#[get("/admin/audit?<cursor>&<user>&<limit>")]
async fn audit_log(
    me: Admin<'_>,
    cursor: Option<&str>,
    user: Option<i64>,
    limit: Option<i64>,
) -> ApiResult<Json<AuditPage>> {
    let steps = me.auth.admin(actor(&me), &me.client);
    let (entries, next_cursor) = steps.audit_log(user, cursor, limit.unwrap_or(50)).await?;
    Ok(Json(AuditPage {
        entries: entries.iter().map(PublicAuditEntry::from).collect(),
        next_cursor,
    }))
}

/// The `{id}` of a user in a path: anything but a user id names no user (`404 not_found`).
fn user_id(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| ApiError::NotFound)
}
