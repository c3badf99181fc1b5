//! The admin console's pages: `/admin` (the users, searched and paged), `/admin/users/{id}`
//! (one user: devices, events, what admins did, and the actions), a confirmation page before
//! each action (its form is CSRF-checked), and `/admin/audit`. `PageAdmin` lets admins only.

use rocket::request::FromParam;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, FromForm, Route};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::admin::audit::AuditEntry;
use crate::admin::directory::Listed;
use crate::admin::{Actor, AdminSteps};
use crate::auth::device::describe;
use crate::auth::security_events::{EventKind, SecurityEvent, Severity};
use crate::auth::sessions::{method_in_words, ListedSession};
use crate::auth::users::Role;
use crate::error::ApiError;
use crate::pages::time::{when, When};
use crate::pages::{CsrfForm, Layout, PageResult};
use crate::web::admin::PageAdmin;
use crate::web::guards::Acting;

pub fn routes() -> Vec<Route> {
    routes![users, user, confirm, act, audit]
}

/// Users per page of the table.
const PAGE_SIZE: i64 = 25;

type Admin<'r> = Acting<'r, PageAdmin>;

fn steps<'a>(me: &'a Admin<'_>) -> AdminSteps<'a> {
    let actor = Actor::Admin {
        user: me.user(),
        sid: me.sid(),
    };
    me.auth.admin(actor, &me.client)
}

fn now(me: &Admin<'_>) -> i64 {
    me.auth.tokens.clock.now()
}

#[derive(Serialize)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: Role,
    active: bool,
    mfa: bool,
    email_verified: bool,
    sessions: i64,
    last_seen: Option<When>,
    created: When,
}

impl UserRow {
    fn new(listed: &Listed, now: i64) -> UserRow {
        let user = &listed.user;
        UserRow {
            id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            active: user.active,
            mfa: user.mfa_enabled,
            email_verified: user.email_verified,
            sessions: listed.live_sessions,
            last_seen: listed.last_seen_at.map(|at| when(at, now)),
            created: when(user.created_at, now),
        }
    }
}

#[derive(Serialize)]
struct SessionRow {
    id: String,
    title: String,
    method: String,
    ip: String,
    user_agent: String,
    last_used: When,
    created: When,
}

impl SessionRow {
    fn new(session: &ListedSession, now: i64) -> SessionRow {
        SessionRow {
            id: session.id.clone(),
            title: describe(&session.browser, &session.os),
            method: method_in_words(&session.method),
            ip: session.ip.clone().unwrap_or_else(|| "unknown".into()),
            user_agent: session.user_agent.clone(),
            last_used: when(session.last_used_at, now),
            created: when(session.created_at, now),
        }
    }
}

#[derive(Serialize)]
struct EventRow {
    what: &'static str,
    warning: bool,
    at: When,
    device: String,
    ip: String,
}

impl EventRow {
    fn new(event: &SecurityEvent, now: i64) -> EventRow {
        let kind = EventKind::parse(&event.kind);
        EventRow {
            what: kind.map_or("Security event", EventKind::words),
            warning: kind.is_some_and(|k| k.severity() == Severity::Warning),
            at: when(event.created_at, now),
            device: describe(&event.browser, &event.os),
            ip: event.ip.clone().unwrap_or_else(|| "unknown".into()),
        }
    }
}

#[derive(Serialize)]
struct AuditRow {
    at: When,
    admin_email: String,
    action: String,
    target_id: Option<i64>,
    target_email: String,
    detail: String,
    ip: String,
}

impl AuditRow {
    fn new(entry: &AuditEntry, now: i64) -> AuditRow {
        AuditRow {
            at: when(entry.created_at, now),
            admin_email: entry.admin_email.clone(),
            action: entry.action.replace('_', " "),
            target_id: entry.target_id,
            target_email: entry.target_email.clone(),
            detail: entry.detail.clone(),
            ip: entry.ip.clone().unwrap_or_else(|| "—".into()),
        }
    }
}

/// The users, newest first; `query` searches emails and names.
#[get("/admin?<query>&<cursor>")]
async fn users(
    layout: Layout,
    me: Admin<'_>,
    query: Option<&str>,
    cursor: Option<&str>,
) -> PageResult<Template> {
    let page = steps(&me).search(query, cursor, PAGE_SIZE).await?;
    let now = now(&me);
    let rows: Vec<UserRow> = page.users.iter().map(|u| UserRow::new(u, now)).collect();
    let view = serde_json::json!({
        "query": query.unwrap_or("").trim(),
        "users": rows,
        "next_cursor": page.next_cursor,
        "first_page": cursor.is_none(),
    });
    Ok(layout.render("admin_users", Some(me.user()), view))
}

/// One user: who they are, their devices, passkeys and linked providers, their events, what admins did to them, the actions.
#[get("/admin/users/<id>")]
async fn user(layout: Layout, me: Admin<'_>, id: i64) -> PageResult<Template> {
    let steps = steps(&me);
    let record = steps.user(id).await?;
    let (entries, _) = steps.audit_log(Some(id), None, 20).await?;
    let now = now(&me);
    let view = serde_json::json!({
        "user": UserRow::new(&record.listed, now),
        "itself": id == me.user().id,
        "sessions": record.sessions.iter().map(|s| SessionRow::new(s, now)).collect::<Vec<_>>(),
        "events": record.events.iter().map(|e| EventRow::new(e, now)).collect::<Vec<_>>(),
        "passkeys": record.passkeys.iter().map(|p| serde_json::json!({
            "name": p.name,
            "created": when(p.created_at, now),
            "last_used": p.last_used_at.map(|at| when(at, now)),
        })).collect::<Vec<_>>(),
        "identities": record.identities.iter().map(|i| serde_json::json!({
            "provider": i.provider,
            "email": i.email,
            "linked": when(i.created_at, now),
        })).collect::<Vec<_>>(),
        "audit": entries.iter().map(|e| AuditRow::new(e, now)).collect::<Vec<_>>(),
    });
    Ok(layout.render("admin_user", Some(me.user()), view))
}

/// What an admin can do to a user from its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Deactivate,
    Activate,
    MakeAdmin,
    MakeUser,
    RevokeSessions,
    RevokeSession,
    ResetMfa,
    PasswordReset,
}

impl<'a> FromParam<'a> for Action {
    type Error = &'a str;

    fn from_param(param: &'a str) -> Result<Action, &'a str> {
        Ok(match param {
            "deactivate" => Action::Deactivate,
            "activate" => Action::Activate,
            "make-admin" => Action::MakeAdmin,
            "make-user" => Action::MakeUser,
            "revoke-sessions" => Action::RevokeSessions,
            "revoke-session" => Action::RevokeSession,
            "reset-mfa" => Action::ResetMfa,
            "password-reset" => Action::PasswordReset,
            other => return Err(other),
        })
    }
}

impl Action {
    fn path(self) -> &'static str {
        match self {
            Action::Deactivate => "deactivate",
            Action::Activate => "activate",
            Action::MakeAdmin => "make-admin",
            Action::MakeUser => "make-user",
            Action::RevokeSessions => "revoke-sessions",
            Action::RevokeSession => "revoke-session",
            Action::ResetMfa => "reset-mfa",
            Action::PasswordReset => "password-reset",
        }
    }

    /// The confirmation's question, what follows, and the button.
    fn words(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Action::Deactivate => (
                "Deactivate this account?",
                "Every device is signed out at once and nobody can sign in to it until it is activated again.",
                "Deactivate",
            ),
            Action::Activate => (
                "Activate this account?",
                "Its owner can sign in again (their old devices stay signed out).",
                "Activate",
            ),
            Action::MakeAdmin => (
                "Make this user an administrator?",
                "They can then use this console: see every user and act on their accounts.",
                "Make admin",
            ),
            Action::MakeUser => (
                "Take the administrator role away?",
                "They lose this console at once; their tokens say so from their next refresh.",
                "Make a user",
            ),
            Action::RevokeSessions => (
                "Sign every device out?",
                "Every browser and app signed in to this account has to sign in again.",
                "Sign out everywhere",
            ),
            Action::RevokeSession => (
                "Sign this device out?",
                "It cannot renew its sign-in: it has to sign in again.",
                "Sign out",
            ),
            Action::ResetMfa => (
                "Reset two-factor sign-in?",
                "The authenticator and the recovery codes are removed: the password alone signs in until they set it up again. Do this only for someone whose identity you have checked.",
                "Reset two-factor sign-in",
            ),
            Action::PasswordReset => (
                "Mail a password reset link?",
                "A link to set a new password goes to the account's address; earlier links stop working.",
                "Mail the link",
            ),
        }
    }
}

#[derive(FromForm)]
struct ActionForm {
    #[field(name = "_csrf")]
    _csrf: Option<String>,
    /// The session, for `revoke-session`.
    sid: Option<String>,
}

/// The confirmation page: what the action does, and its form.
#[get("/admin/users/<id>/<action>?<sid>")]
async fn confirm(
    layout: Layout,
    me: Admin<'_>,
    id: i64,
    action: Action,
    sid: Option<&str>,
) -> PageResult<Template> {
    let record = steps(&me).user(id).await?;
    let now = now(&me);
    let session = match (action, sid) {
        (Action::RevokeSession, Some(sid)) => Some(
            record
                .sessions
                .iter()
                .find(|s| s.id == sid)
                .map(|s| SessionRow::new(s, now))
                .ok_or(ApiError::NotFound)?,
        ),
        (Action::RevokeSession, None) => return Err(ApiError::NotFound.into()),
        _ => None,
    };
    let (question, explanation, button) = action.words();
    let view = serde_json::json!({
        "user": UserRow::new(&record.listed, now),
        "action": action.path(),
        "question": question,
        "explanation": explanation,
        "button": button,
        "session": session,
    });
    Ok(layout.render("admin_confirm", Some(me.user()), view))
}

/// The confirmed action; back to the user's page with what happened.
#[post("/admin/users/<id>/<action>", data = "<form>")]
async fn act(
    me: Admin<'_>,
    id: i64,
    action: Action,
    form: CsrfForm<ActionForm>,
) -> PageResult<Flash<Redirect>> {
    let steps = steps(&me);
    let message = match action {
        Action::Deactivate => match steps.set_active(id, false).await? {
            true => "Deactivated; every device is signed out.".to_owned(),
            false => "This account was deactivated already.".to_owned(),
        },
        Action::Activate => match steps.set_active(id, true).await? {
            true => "Activated.".to_owned(),
            false => "This account was active already.".to_owned(),
        },
        Action::MakeAdmin | Action::MakeUser => {
            let role = match action {
                Action::MakeAdmin => Role::Admin,
                _ => Role::User,
            };
            match steps.set_role(id, role).await? {
                true => format!("The role is now {role}."),
                false => format!("The role was {role} already."),
            }
        }
        Action::RevokeSessions => match steps.revoke_sessions(id).await? {
            1 => "Signed out from 1 device.".to_owned(),
            n => format!("Signed out from {n} devices."),
        },
        Action::RevokeSession => {
            let sid = form.0.sid.ok_or(ApiError::NotFound)?;
            steps.revoke_session(id, &sid).await?;
            "Signed that device out.".to_owned()
        }
        Action::ResetMfa => match steps.reset_mfa(id).await? {
            true => "Two-factor sign-in is off: the password alone signs in.".to_owned(),
            false => "Two-factor sign-in was off already.".to_owned(),
        },
        Action::PasswordReset => {
            steps.mail_password_reset(id).await?;
            "A password reset link is on its way.".to_owned()
        }
    };
    let back = Redirect::to(format!("/admin/users/{id}"));
    Ok(Flash::success(back, message))
}

/// The audit log, newest first.
#[get("/admin/audit?<cursor>")]
async fn audit(layout: Layout, me: Admin<'_>, cursor: Option<&str>) -> PageResult<Template> {
    let (entries, next_cursor) = steps(&me).audit_log(None, cursor, 50).await?;
    let now = now(&me);
    let view = serde_json::json!({
        "entries": entries.iter().map(|e| AuditRow::new(e, now)).collect::<Vec<_>>(),
        "next_cursor": next_cursor,
        "first_page": cursor.is_none(),
    });
    Ok(layout.render("admin_audit", Some(me.user()), view))
}
