//! "Your devices": the home page, the list of live sessions with the account's recent security
//! events, and revoking them.

use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, Route};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::device::{describe, device_kind, known};
use crate::auth::security_events::{self, SecurityEvent};
use crate::auth::security_events::{EventKind, Severity};
use crate::auth::sessions::method_in_words;
use crate::auth::sessions::{list_sessions, ListedSession};
use crate::auth::users::{Role, User};
use crate::clock::now;
use crate::db::{Db, Pool};
use crate::error::ApiError;
use crate::pages::time::{when, When};
use crate::pages::{Confirm, CsrfForm, Layout, OneOf, PageResult, PageUser, WithCookies};
use crate::web::guards::Acting;

pub fn routes() -> Vec<Route> {
    routes![home, devices, revoke_confirm, revoke, revoke_others]
}

/// One session as the devices page shows it.
#[derive(Serialize)]
struct DeviceView {
    id: String,
    current: bool,
    /// Signed in with a second factor.
    mfa: bool,
    /// How it signed in, in words: "Password + code", "Passkey"…
    method: String,
    /// "Firefox on Windows 10".
    title: String,
    browser: String,
    version: Option<String>,
    os: String,
    /// A fixed set (it picks the icon): computer, phone, appliance, bot, other.
    kind: &'static str,
    kind_label: &'static str,
    ip: String,
    user_agent: String,
    created: When,
    last_used: When,
}

/// How many of the account's latest security events the devices page shows.
const RECENT_EVENTS: i64 = 10;

impl DeviceView {
    fn new(session: &ListedSession, current_id: &str, now: i64) -> DeviceView {
        let (kind, kind_label) = device_kind(&session.device);
        DeviceView {
            id: session.id.clone(),
            current: session.id == current_id,
            mfa: session.mfa,
            method: method_in_words(&session.method),
            title: describe(&session.browser, &session.os),
            browser: known(&session.browser)
                .unwrap_or("Unknown browser")
                .to_owned(),
            version: known(&session.browser_version).map(str::to_owned),
            os: known(&session.os).unwrap_or("Unknown system").to_owned(),
            kind,
            kind_label,
            ip: session.ip.clone().unwrap_or_else(|| "unknown".into()),
            user_agent: session.user_agent.clone(),
            created: when(session.created_at, now),
            last_used: when(session.last_used_at, now),
        }
    }
}

/// The user's live sessions, this device first, then by most recent use.
async fn device_views(db: &Pool, user: &PageUser) -> Result<Vec<DeviceView>, ApiError> {
    let now = now();
    let mut views: Vec<DeviceView> = list_sessions(db, user.user.id)
        .await?
        .iter()
        .map(|s| DeviceView::new(s, &user.session_id, now))
        .collect();
    views.sort_by_key(|v| !v.current);
    Ok(views)
}

/// One security event as the devices page shows it.
#[derive(Serialize)]
struct EventView {
    /// "Signed in", "Failed sign-in"…
    what: &'static str,
    /// Failed attempts and token reuse stand out (a fixed flag: it picks a CSS class).
    warning: bool,
    at: When,
    /// "Firefox on Windows 10".
    device: String,
    kind_label: &'static str,
    ip: String,
    user_agent: String,
}

impl EventView {
    fn new(event: &SecurityEvent, now: i64) -> EventView {
        // A kind this build does not know (a newer instance wrote it) still gets a line.
        let kind = EventKind::parse(&event.kind);
        let what = kind.map_or("Security event", EventKind::words);
        let warning = kind.is_some_and(|k| k.severity() == Severity::Warning);
        EventView {
            what,
            warning,
            at: when(event.created_at, now),
            device: describe(&event.browser, &event.os),
            kind_label: device_kind(&event.device).1,
            ip: event.ip.clone().unwrap_or_else(|| "unknown".into()),
            user_agent: event.user_agent.clone(),
        }
    }
}

async fn find_device(db: &Pool, user: &PageUser, id: &str) -> Result<DeviceView, ApiError> {
    device_views(db, user)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(ApiError::NotFound)
}

#[derive(Serialize)]
struct Profile {
    name: String,
    email: String,
    email_verified: bool,
    role: Role,
    member_since: When,
}

impl Profile {
    fn new(user: &User, now: i64) -> Profile {
        Profile {
            name: user.name.clone(),
            email: user.email.clone(),
            email_verified: user.email_verified,
            role: user.role,
            member_since: when(user.created_at, now),
        }
    }
}

/// Who am I, and on which device; in `debug`, a link to the API reference for developers.
#[get("/")]
async fn home(
    layout: Layout,
    db: &Db,
    user: PageUser,
    config: &rocket::Config,
) -> PageResult<Template> {
    let devices = device_views(db, &user).await?;
    let others = devices.iter().filter(|d| !d.current).count();
    let device = devices.into_iter().find(|d| d.current);
    let page = serde_json::json!({
        "profile": Profile::new(&user.user, now()),
        "device": device,
        "others": others,
        "api_docs": config.profile == rocket::Config::DEBUG_PROFILE,
    });
    Ok(layout.render("home", Some(&user.user), page))
}

#[get("/sessions")]
async fn devices(layout: Layout, db: &Db, user: PageUser) -> PageResult<Template> {
    let devices = device_views(db, &user).await?;
    let others = devices.iter().filter(|d| !d.current).count();
    let now = now();
    let events: Vec<EventView> = security_events::recent(db, user.user.id, RECENT_EVENTS)
        .await?
        .iter()
        .map(|e| EventView::new(e, now))
        .collect();
    let page = serde_json::json!({ "devices": devices, "others": others, "events": events });
    Ok(layout.render("devices", Some(&user.user), page))
}

#[get("/sessions/<id>/revoke")]
async fn revoke_confirm(layout: Layout, db: &Db, user: PageUser, id: &str) -> PageResult<Template> {
    let device = find_device(db, &user, id).await?;
    Ok(layout.render(
        "revoke",
        Some(&user.user),
        serde_json::json!({ "device": device }),
    ))
}

/// Revokes one device. Revoking this very device signs it out.
#[post("/sessions/<id>/revoke", data = "<_form>")]
async fn revoke(
    me: Acting<'_, PageUser>,
    id: &str,
    _form: CsrfForm<Confirm>,
) -> PageResult<OneOf<WithCookies<Flash<Redirect>>, Flash<Redirect>>> {
    let device = find_device(me.auth.db, &me.who, id).await?;
    if !me.auth.revoke_device(me.user().id, id, &me.client).await? {
        return Err(ApiError::NotFound.into());
    }
    if device.current {
        let to = Flash::success(Redirect::to("/login"), "Signed out.");
        return Ok(OneOf::Left(WithCookies::signed_out(to)));
    }
    let message = format!("Signed out from {}.", device.title);
    Ok(OneOf::Right(Flash::success(
        Redirect::to("/sessions"),
        message,
    )))
}

#[post("/sessions/revoke-others", data = "<_form>")]
async fn revoke_others(
    me: Acting<'_, PageUser>,
    _form: CsrfForm<Confirm>,
) -> PageResult<Flash<Redirect>> {
    let revoked = me
        .auth
        .revoke_other_devices(me.user(), me.sid(), &me.client)
        .await?;
    let message = match revoked {
        0 => "There were no other devices to sign out.".to_owned(),
        1 => "Signed out from 1 other device.".to_owned(),
        n => format!("Signed out from {n} other devices."),
    };
    Ok(Flash::success(Redirect::to("/sessions"), message))
}
