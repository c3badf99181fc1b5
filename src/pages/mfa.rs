//! Two-factor pages: the second sign-in step `/login/mfa`, the MFA forms of `/account` (set up,
//! confirm, recovery codes, turn off) and `/reauth`, which sensitive forms send a session to
//! when it has not proved who it is in the last 10 minutes. Thin: the steps are in
//! `mfa/steps.rs`.

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::{Flash, Redirect};
use rocket::time::Duration;
use rocket::{get, post, routes, FromForm, Route, State};
use rocket_dyn_templates::Template;
use serde_json::json;

use crate::config::Settings;
use crate::error::ApiError;
use crate::mfa::steps::MfaTicket;
use crate::mfa::tickets::TICKET_TTL;
use crate::pages::next::encode_value;
use crate::pages::{CsrfForm, Layout, OneOf, PageResult, PageSessionUser, SafeNext, WithCookies};
use crate::web::guards::Acting;
use crate::web::guards::Visitor;
use crate::web::same_site::SameSiteRequest;

pub fn routes() -> Vec<Route> {
    routes![
        second_step_form,
        second_step,
        setup,
        confirm,
        disable,
        reauth_form,
        reauth
    ]
}

/// The MFA ticket rides in an HttpOnly cookie scoped to `/login/mfa`, not in a URL. Scoped to a
/// path, it cannot take `__Host-`; with `cookie_secure` it takes `__Secure-`.
fn ticket_cookie(secure: bool) -> &'static str {
    if secure {
        "__Secure-mfa_ticket"
    } else {
        "mfa_ticket"
    }
}
const SECOND_STEP: &str = "/login/mfa";

/// Continues a sign-in with a right password to the second step.
pub fn to_second_step(
    cookies: &CookieJar<'_>,
    secure: bool,
    ticket: MfaTicket,
    next: &SafeNext,
) -> Redirect {
    let cookie = Cookie::build((ticket_cookie(secure), ticket.token))
        .path(SECOND_STEP)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(Duration::seconds(TICKET_TTL))
        .build();
    cookies.add(cookie);
    Redirect::to(next.url_from(SECOND_STEP))
}

pub(super) fn forget_ticket(cookies: &CookieJar<'_>, secure: bool) {
    cookies.remove(Cookie::build(ticket_cookie(secure)).path(SECOND_STEP));
}

/// The ticket this browser carries to the second step; empty when it has none.
pub(super) fn ticket_of(cookies: &CookieJar<'_>, secure: bool) -> String {
    cookies
        .get(ticket_cookie(secure))
        .map(|c| c.value().to_owned())
        .unwrap_or_default()
}

#[get("/login/mfa?<next>")]
fn second_step_form(
    layout: Layout,
    settings: &State<Settings>,
    cookies: &CookieJar<'_>,
    next: Option<&str>,
) -> OneOf<Redirect, Template> {
    let next = SafeNext::parse(next);
    if cookies.get(ticket_cookie(settings.cookie_secure)).is_none() {
        return OneOf::Left(Redirect::to(next.login_url()));
    }
    let view = json!({ "next": next.as_str() });
    OneOf::Right(layout.render("login_mfa", None, view))
}

#[derive(FromForm)]
struct CodeForm {
    code: String,
    next: Option<String>,
}

#[post("/login/mfa", data = "<form>")]
async fn second_step(
    _same_site: SameSiteRequest,
    layout: Layout,
    me: Visitor<'_>,
    cookies: &CookieJar<'_>,
    form: CsrfForm<CodeForm>,
) -> PageResult<OneOf<WithCookies<Redirect>, OneOf<Flash<Redirect>, (Status, Template)>>> {
    let CodeForm { code, next } = form.0;
    let next = SafeNext::parse(next.as_deref());
    let secure = me.auth.settings.cookie_secure;
    let ticket = cookies
        .get(ticket_cookie(secure))
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    match me
        .auth
        .second_factor()
        .complete_sign_in(&ticket, &code, &me.client)
        .await
    {
        Ok(issued) => {
            forget_ticket(cookies, secure);
            let to = Redirect::to(next.to_string());
            Ok(OneOf::Left(WithCookies::signed_in(issued, to)))
        }
        Err(e @ ApiError::InvalidCode) => {
            let view = json!({ "next": next.as_str(), "error": e.message() });
            let page = layout.render("login_mfa", None, view);
            Ok(OneOf::Right(OneOf::Right((e.status(), page))))
        }
        Err(ApiError::InvalidMfaToken) => {
            forget_ticket(cookies, secure);
            let message = ApiError::InvalidMfaToken.message();
            let to = Flash::error(Redirect::to(next.login_url()), message);
            Ok(OneOf::Right(OneOf::Left(to)))
        }
        Err(e) => Err(e.into()),
    }
}

const MFA_PANEL: &str = "/account#mfa";

fn back(result: Result<String, String>) -> Flash<Redirect> {
    match result {
        Ok(message) => Flash::success(Redirect::to(MFA_PANEL), message),
        Err(message) => Flash::error(Redirect::to(MFA_PANEL), message),
    }
}

/// The refusals a person can fix on the form; anything else is an error page.
fn fixable(error: ApiError) -> Result<String, ApiError> {
    match error {
        ApiError::InvalidCredentials => Ok("The password is incorrect.".into()),
        ApiError::InvalidCode | ApiError::InvalidInput(_) => Ok(error.message()),
        other => Err(other),
    }
}

#[derive(FromForm)]
struct PasswordForm {
    password: String,
}

/// A new secret; the account page shows its QR code and key until it is confirmed.
#[post("/account/mfa/setup", data = "<form>")]
async fn setup(
    me: Acting<'_, PageSessionUser>,
    form: CsrfForm<PasswordForm>,
) -> PageResult<Flash<Redirect>> {
    let started = me
        .auth
        .second_factor()
        .setup(me.user(), me.sid(), form.0.password, &me.client)
        .await;
    Ok(back(match started {
        Ok(_) => Ok("Scan the QR code (or type the key), then enter the code it shows.".into()),
        Err(e) => Err(fixable(e)?),
    }))
}

#[derive(FromForm)]
struct ConfirmForm {
    code: String,
}

/// The first code: MFA is on, and the recovery codes are shown, this once.
#[post("/account/mfa/confirm", data = "<form>")]
async fn confirm(
    layout: Layout,
    me: Acting<'_, PageSessionUser>,
    form: CsrfForm<ConfirmForm>,
) -> PageResult<OneOf<Template, Flash<Redirect>>> {
    let confirmed = me
        .auth
        .second_factor()
        .confirm(me.user(), me.sid(), &form.0.code, &me.client)
        .await;
    match confirmed {
        Ok(codes) => {
            let text = format!(
                "Recovery codes for {} (each works once):\n{}\n",
                me.user().email,
                codes.join("\n")
            );
            let download = format!("data:text/plain;charset=utf-8,{}", encode_value(&text));
            let view = json!({ "codes": codes, "download": download });
            Ok(OneOf::Left(layout.render(
                "mfa_recovery_codes",
                Some(me.user()),
                view,
            )))
        }
        Err(e) => Ok(OneOf::Right(back(Err(fixable(e)?)))),
    }
}

#[derive(FromForm)]
struct PasswordAndCodeForm {
    password: String,
    code: Option<String>,
    next: Option<String>,
}

#[post("/account/mfa/disable", data = "<form>")]
async fn disable(
    me: Acting<'_, PageSessionUser>,
    form: CsrfForm<PasswordAndCodeForm>,
) -> PageResult<Flash<Redirect>> {
    let PasswordAndCodeForm { password, code, .. } = form.0;
    let code = code.unwrap_or_default();
    let disabled = me
        .auth
        .second_factor()
        .disable(me.user(), me.sid(), password, &code, &me.client)
        .await;
    Ok(back(match disabled {
        Ok(()) => Ok("Two-factor sign-in is off.".into()),
        Err(e) => Err(fixable(e)?),
    }))
}

#[get("/reauth?<next>")]
fn reauth_form(layout: Layout, user: PageSessionUser, next: Option<&str>) -> Template {
    let next = SafeNext::parse(next);
    let view = json!({ "next": next.as_str(), "mfa": user.user.mfa_enabled });
    layout.render("reauth", Some(&user.user), view)
}

/// The password (and a code with MFA on) again: sensitive forms work for 10 minutes.
#[post("/reauth", data = "<form>")]
async fn reauth(
    layout: Layout,
    me: Acting<'_, PageSessionUser>,
    form: CsrfForm<PasswordAndCodeForm>,
) -> PageResult<OneOf<Flash<Redirect>, (Status, Template)>> {
    let PasswordAndCodeForm {
        password,
        code,
        next,
    } = form.0;
    let next = SafeNext::parse(next.as_deref());
    let done = me
        .auth
        .second_factor()
        .reauthenticate(me.user(), me.sid(), password, code.as_deref(), &me.client)
        .await;
    match done {
        Ok(()) => {
            let message = "Thank you. You can go on for the next 10 minutes.";
            Ok(OneOf::Left(Flash::success(
                Redirect::to(next.to_string()),
                message,
            )))
        }
        Err(e) => {
            let status = e.status();
            let error = fixable(e)?;
            let view =
                json!({ "next": next.as_str(), "mfa": me.user().mfa_enabled, "error": error });
            Ok(OneOf::Right((
                status,
                layout.render("reauth", Some(me.user()), view),
            )))
        }
    }
}
