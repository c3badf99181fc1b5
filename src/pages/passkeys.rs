//! The passkey parts of the pages: the JSON endpoints `static/js/passkeys-page.js` calls from
//! `/login`, `/login/mfa` and `/account` (a page sign-in sets both HttpOnly cookies, as the
//! password form does), and the rename and remove forms of the account page's passkeys panel.
//! Thin: the steps are in `passkeys/steps.rs`.

use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::serde::json::Json;
use rocket::{post, routes, FromForm, Route};
use serde::{Deserialize, Serialize};
use serde_json::json;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use crate::account::auth::Auth;
use crate::auth::users::User;
use crate::clock::now;
use crate::error::{ApiError, ApiResult};
use crate::pages::mfa::{forget_ticket, ticket_of};
use crate::pages::time::when;
use crate::pages::{Confirm, CsrfForm, PageResult, PageSessionUser, SafeNext, WithCookies};
use crate::passkeys::credentials::PublicPasskey;
use crate::passkeys::steps::Started;
use crate::web::body::JsonBody;
use crate::web::csrf::CsrfHeader;
use crate::web::guards::{Acting, Visitor};
use crate::web::same_site::SameSiteRequest;

pub fn routes() -> Vec<Route> {
    routes![
        sign_in,
        second_step_start,
        second_step,
        add_start,
        add_finish,
        rename,
        remove
    ]
}

const PANEL: &str = "/account#passkeys";

#[derive(Serialize)]
struct Challenge {
    challenge_id: String,
    options: serde_json::Value,
}

impl From<Started> for Challenge {
    fn from(started: Started) -> Challenge {
        Challenge {
            challenge_id: started.challenge_id,
            options: started.options,
        }
    }
}

#[derive(Deserialize)]
struct SignInBody {
    challenge_id: String,
    credential: PublicKeyCredential,
    next: Option<String>,
}

/// Where the script goes once signed in.
#[derive(Serialize)]
struct GoTo {
    location: String,
}

/// `/login`'s passkey sign-in (its start is the API's `POST /api/auth/passkey/start`).
#[post("/login/passkey", data = "<body>")]
async fn sign_in(
    _same_site: SameSiteRequest,
    me: Visitor<'_>,
    body: JsonBody<SignInBody>,
) -> ApiResult<WithCookies<Json<GoTo>>> {
    let SignInBody {
        challenge_id,
        credential,
        next,
    } = body.0;
    let issued = me
        .auth
        .passkeys()
        .finish_sign_in(&challenge_id, &credential, &me.client)
        .await?;
    let location = SafeNext::parse(next.as_deref()).to_string();
    Ok(WithCookies::signed_in(issued, Json(GoTo { location })))
}

/// `/login/mfa`'s passkey: the ticket is the page's cookie.
#[post("/login/mfa/passkey/start")]
async fn second_step_start(
    _same_site: SameSiteRequest,
    me: Visitor<'_>,
    cookies: &CookieJar<'_>,
) -> ApiResult<Json<Challenge>> {
    let ticket = ticket_of(cookies, me.auth.settings.cookie_secure);
    let started = me.auth.passkeys().start_second_step(&ticket).await?;
    Ok(Json(started.into()))
}

#[post("/login/mfa/passkey", data = "<body>")]
async fn second_step(
    _same_site: SameSiteRequest,
    me: Visitor<'_>,
    cookies: &CookieJar<'_>,
    body: JsonBody<SignInBody>,
) -> ApiResult<WithCookies<Json<GoTo>>> {
    let SignInBody {
        challenge_id,
        credential,
        next,
    } = body.0;
    let secure = me.auth.settings.cookie_secure;
    let ticket = ticket_of(cookies, secure);
    let done = me
        .auth
        .passkeys()
        .finish_second_step(&ticket, &challenge_id, &credential, &me.client)
        .await;
    if matches!(done, Ok(_) | Err(ApiError::InvalidMfaToken)) {
        forget_ticket(cookies, secure);
    }
    let location = SafeNext::parse(next.as_deref()).to_string();
    Ok(WithCookies::signed_in(done?, Json(GoTo { location })))
}

/// The account page's "Add a passkey" (a sensitive step: `401 reauth_required` sends the script
/// to `/reauth` first).
#[post("/account/passkeys/start")]
async fn add_start(
    _csrf: CsrfHeader,
    me: Acting<'_, PageSessionUser>,
) -> ApiResult<Json<Challenge>> {
    let started = me
        .auth
        .passkeys()
        .start_registration(me.user(), me.sid())
        .await?;
    Ok(Json(started.into()))
}

#[derive(Deserialize)]
struct AddBody {
    challenge_id: String,
    credential: RegisterPublicKeyCredential,
    name: Option<String>,
}

#[derive(Serialize)]
struct Added {
    passkey: PublicPasskey,
}

#[post("/account/passkeys/finish", data = "<body>")]
async fn add_finish(
    _csrf: CsrfHeader,
    me: Acting<'_, PageSessionUser>,
    body: JsonBody<AddBody>,
) -> ApiResult<(Status, Json<Added>)> {
    let AddBody {
        challenge_id,
        credential,
        name,
    } = body.0;
    let passkey = me
        .auth
        .passkeys()
        .finish_registration(
            me.user(),
            me.sid(),
            &challenge_id,
            &credential,
            name.as_deref(),
            &me.client,
        )
        .await?;
    Ok((Status::Created, Json(Added { passkey })))
}

#[derive(FromForm)]
struct NameForm {
    name: String,
}

#[post("/account/passkeys/<id>/rename", data = "<form>")]
async fn rename(
    me: Acting<'_, PageSessionUser>,
    id: &str,
    form: CsrfForm<NameForm>,
) -> PageResult<Flash<Redirect>> {
    match me.auth.passkeys().rename(me.user(), id, &form.0.name).await {
        Ok(passkey) => Ok(Flash::success(
            Redirect::to(PANEL),
            format!("Renamed to “{}”.", passkey.name),
        )),
        Err(e @ ApiError::InvalidInput(_)) => Ok(Flash::error(Redirect::to(PANEL), e.message())),
        Err(e) => Err(e.into()),
    }
}

/// Removes a passkey: a sensitive step (an old session goes to `/reauth` first, and back here).
#[post("/account/passkeys/<id>/remove", data = "<form>")]
async fn remove(
    me: Acting<'_, PageSessionUser>,
    id: &str,
    form: CsrfForm<Confirm>,
) -> PageResult<Flash<Redirect>> {
    let CsrfForm(_) = form;
    me.auth
        .passkeys()
        .remove(me.user(), me.sid(), id, &me.client)
        .await?;
    let message = "Passkey removed: it no longer signs in.";
    Ok(Flash::success(Redirect::to(PANEL), message))
}

/// The account page's passkeys panel: each passkey, its times in words.
pub(super) async fn panel(auth: &Auth<'_>, user: &User) -> ApiResult<Vec<serde_json::Value>> {
    let now = now();
    let rows = auth.passkeys().held(user).await?;
    Ok(rows
        .iter()
        .map(|row| {
            json!({
                "id": row.id,
                "name": row.name,
                "created": when(row.created_at, now),
                "last_used": row.last_used_at.map(|at| when(at, now)),
                "backed_up": row.backed_up,
            })
        })
        .collect())
}
