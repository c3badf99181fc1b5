//! `/api/auth/mfa*` and `/api/auth/reauth`: two-factor setup, confirmation and removal, the
//! second step of sign-in, and re-authentication for sensitive steps.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, post, routes, Route};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::auth::{NoContent, TokenAnswer};
use crate::api::body::JsonBody;
use crate::auth::account::Auth;
use crate::auth::device::ClientInfo;
use crate::auth::guards::CurrentUser;
use crate::auth::origin::SameSiteRequest;
use crate::auth::second_factor::TotpSetup;
use crate::error::ApiResult;

pub fn routes() -> Vec<Route> {
    routes![setup, confirm, disable, complete, reauth]
}

#[derive(Deserialize)]
struct PasswordOnly {
    password: String,
}

#[derive(Deserialize)]
struct CodeOnly {
    code: String,
}

#[derive(Deserialize)]
struct PasswordAndCode {
    password: String,
    code: Option<String>,
}

#[derive(Deserialize)]
struct TicketAndCode {
    mfa_token: String,
    code: String,
}

/// A new secret, not in force until `confirm`.
#[post("/auth/mfa/totp/setup", data = "<body>")]
async fn setup(
    auth: Auth<'_>,
    current: CurrentUser,
    client: ClientInfo,
    body: JsonBody<PasswordOnly>,
) -> ApiResult<Json<TotpSetup>> {
    let PasswordOnly { password } = body.0;
    let sid = &current.claims.sid;
    let setup = auth
        .setup_totp(&current.user, sid, password, &client)
        .await?;
    Ok(Json(setup))
}

/// The first right code: MFA on, and the recovery codes, shown this once.
#[post("/auth/mfa/totp/confirm", data = "<body>")]
async fn confirm(
    auth: Auth<'_>,
    current: CurrentUser,
    client: ClientInfo,
    body: JsonBody<CodeOnly>,
) -> ApiResult<Json<Value>> {
    let CodeOnly { code } = body.0;
    let sid = &current.claims.sid;
    let codes = auth
        .confirm_totp(&current.user, sid, &code, &client)
        .await?;
    Ok(Json(json!({ "recovery_codes": codes })))
}

#[delete("/auth/mfa/totp", data = "<body>")]
async fn disable(
    auth: Auth<'_>,
    current: CurrentUser,
    client: ClientInfo,
    body: JsonBody<PasswordAndCode>,
) -> ApiResult<NoContent> {
    let PasswordAndCode { password, code } = body.0;
    let (user, sid) = (&current.user, &current.claims.sid);
    let code = code.unwrap_or_default();
    auth.disable_totp(user, sid, password, &code, &client)
        .await?;
    Ok(NoContent { sign_out: false })
}

/// The second step of sign-in: the ticket from `login` and a TOTP or recovery code.
#[post("/auth/mfa", data = "<body>")]
async fn complete(
    _same_site: SameSiteRequest,
    auth: Auth<'_>,
    client: ClientInfo,
    body: JsonBody<TicketAndCode>,
) -> ApiResult<TokenAnswer> {
    let TicketAndCode { mfa_token, code } = body.0;
    let issued = auth.complete_mfa(&mfa_token, &code, &client).await?;
    Ok(TokenAnswer {
        issued,
        status: Status::Ok,
        with_profile: true,
    })
}

/// This session proves who it is again (password, and a code with MFA on): sensitive steps are
/// allowed for the next 10 minutes.
#[post("/auth/reauth", data = "<body>")]
async fn reauth(
    auth: Auth<'_>,
    current: CurrentUser,
    client: ClientInfo,
    body: JsonBody<PasswordAndCode>,
) -> ApiResult<NoContent> {
    let PasswordAndCode { password, code } = body.0;
    let (user, sid) = (&current.user, &current.claims.sid);
    auth.reauthenticate(user, sid, password, code.as_deref(), &client)
        .await?;
    Ok(NoContent { sign_out: false })
}
