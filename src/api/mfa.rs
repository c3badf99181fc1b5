//! `/api/auth/mfa*` and `/api/auth/reauth`: two-factor setup, confirmation and removal, the
//! second step of sign-in, and re-authentication for sensitive steps.

use rocket::serde::json::Json;
use rocket::{delete, post, routes, Route};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::api::answers::{NoContent, SignedIn, TokenAnswer};
use crate::api::refusals::refusals;
use crate::error::ApiResult;
use crate::mfa::steps::TotpSetup;
use crate::web::body::JsonBody;
use crate::web::guards::Acting;
use crate::web::guards::CurrentUser;
use crate::web::guards::Visitor;
use crate::web::same_site::SameSiteRequest;

pub fn routes() -> Vec<Route> {
    routes![setup, confirm, disable, complete, reauth]
}

/// These routes in the OpenAPI document (`api/openapi.rs` mounts it at `/api`).
#[derive(OpenApi)]
#[openapi(paths(setup, confirm, disable, complete, reauth))]
pub struct Doc;

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"password": "correct horse battery staple"}))]
struct PasswordOnly {
    /// The account's current password.
    #[schema(min_length = 1, max_length = 1024)]
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"code": "123456"}))]
struct CodeOnly {
    /// The 6-digit code the authenticator app shows now.
    #[schema(example = "123456")]
    code: String,
}

/// The password, and with two-factor sign-in on a code (TOTP or recovery).
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"password": "correct horse battery staple", "code": "123456"}))]
struct PasswordAndCode {
    #[schema(min_length = 1, max_length = 1024)]
    password: String,
    /// A 6-digit TOTP code or a 10-character recovery code (spaces and dashes ignored).
    code: Option<String>,
}

/// The ticket from `login`'s `202` and a code.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"mfa_token": "eyJ…", "code": "123456"}))]
struct TicketAndCode {
    /// `mfa_token` from the `202` answer of `POST /api/auth/login`.
    mfa_token: String,
    /// A 6-digit TOTP code or a 10-character recovery code (spaces and dashes ignored).
    code: String,
}

/// The recovery codes: each signs in once in place of a TOTP code. Shown this once.
#[derive(Serialize, ToSchema)]
struct RecoveryCodes {
    #[schema(example = json!(["a3k9x2m7qp", "7hw2c9d4ze"]))]
    recovery_codes: Vec<String>,
}

refusals!(SetupRefusals: [json_body, current_user_writes], InvalidCredentials, InvalidInput("Two-factor sign-in is on already; turn it off first.".into()), RateLimited(60));
/// Starts two-factor setup: a new TOTP secret, not in force until `confirm`.
///
/// The password first (`401 invalid_credentials`, counted as a failed sign-in for the rate
/// limits). Already on is `422 invalid_input`. A new setup replaces a pending one.
#[utoipa::path(tag = "mfa", request_body = PasswordOnly,
    security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    responses((status = 200, description = "The pending secret, as text, link and QR code",
        body = TotpSetup), SetupRefusals))]
#[post("/auth/mfa/totp/setup", data = "<body>")]
async fn setup(
    me: Acting<'_, CurrentUser>,
    body: JsonBody<PasswordOnly>,
) -> ApiResult<Json<TotpSetup>> {
    let PasswordOnly { password } = body.0;
    let sid = me.sid();
    let setup = me
        .auth
        .second_factor()
        .setup(me.user(), sid, password, &me.client)
        .await?;
    Ok(Json(setup))
}

refusals!(ConfirmRefusals: [json_body, current_user_writes], InvalidCode, InvalidInput("missing field `code`".into()), RateLimited(60));
/// Confirms two-factor setup with the first right code: MFA on, and the recovery codes.
///
/// No pending setup, or a wrong or reused code, is `400 invalid_code`. From now on a right
/// password at `login` answers `202` and a ticket instead of tokens.
#[utoipa::path(tag = "mfa", request_body = CodeOnly,
    security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    responses((status = 200, description = "Two-factor sign-in on; the recovery codes, shown \
        this once", body = RecoveryCodes), ConfirmRefusals))]
#[post("/auth/mfa/totp/confirm", data = "<body>")]
async fn confirm(
    me: Acting<'_, CurrentUser>,
    body: JsonBody<CodeOnly>,
) -> ApiResult<Json<RecoveryCodes>> {
    let CodeOnly { code } = body.0;
    let sid = me.sid();
    let codes = me
        .auth
        .second_factor()
        .confirm(me.user(), sid, &code, &me.client)
        .await?;
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

refusals!(DisableRefusals: [json_body, current_user_writes], InvalidCredentials, InvalidCode, InvalidInput("Two-factor sign-in is off already.".into()), RateLimited(60));
/// Turns two-factor sign-in off: the password and a code, both entered now.
///
/// A wrong password is `401 invalid_credentials`, a wrong code `400 invalid_code` (both counted
/// as failed sign-ins for the rate limits); already off is `422 invalid_input`. The secret and
/// the recovery codes are deleted.
#[utoipa::path(tag = "mfa", request_body = PasswordAndCode,
    security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    responses((status = 204, description = "Two-factor sign-in off"), DisableRefusals))]
#[delete("/auth/mfa/totp", data = "<body>")]
async fn disable(
    me: Acting<'_, CurrentUser>,
    body: JsonBody<PasswordAndCode>,
) -> ApiResult<NoContent> {
    let PasswordAndCode { password, code } = body.0;
    let (user, sid) = (me.user(), me.sid());
    let code = code.unwrap_or_default();
    me.auth
        .second_factor()
        .disable(user, sid, password, &code, &me.client)
        .await?;
    Ok(NoContent { sign_out: false })
}

refusals!(CompleteRefusals: [json_body], InvalidMfaToken, InvalidCode, InvalidInput("missing field `mfa_token`".into()), CrossSiteRequest, RateLimited(60));
/// The second step of sign-in: the ticket from `login` and a TOTP or recovery code.
///
/// Answers like a sign-in without two-factor: a new session (`session.mfa` is `true`, the access
/// token's `amr` is `["pwd", "otp"]`). A wrong code is `400 invalid_code` and the ticket may be
/// tried again until its attempts run out; an unknown, expired or spent ticket is
/// `401 invalid_mfa_token`. Refused from another site's page (`403 cross_site_request`); the
/// body must be `application/json` (`415`).
#[utoipa::path(tag = "mfa", request_body = TicketAndCode, security(()), responses(
    (status = 200, description = "Signed in; the refresh token as the `refresh_token` cookie \
        (cookie mode) or in the body (body mode)", body = SignedIn),
    CompleteRefusals))]
#[post("/auth/mfa", data = "<body>")]
async fn complete(
    _same_site: SameSiteRequest,
    me: Visitor<'_>,
    body: JsonBody<TicketAndCode>,
) -> ApiResult<TokenAnswer> {
    let TicketAndCode { mfa_token, code } = body.0;
    let issued = me
        .auth
        .second_factor()
        .complete_sign_in(&mfa_token, &code, &me.client)
        .await?;
    Ok(TokenAnswer::signed_in(issued))
}

refusals!(ReauthRefusals: [json_body, current_user_writes], InvalidCredentials, InvalidCode, InvalidInput("missing field `password`".into()), RateLimited(60));
/// This session proves who it is again (password, and a code with MFA on): sensitive steps are
/// allowed for the next 10 minutes.
///
/// Sensitive steps (changing the password, signing out every other device) answer
/// `401 reauth_required` when the session last proved who it is more than 10 minutes ago. A
/// wrong password is `401 invalid_credentials`; with MFA on, a missing or wrong code is
/// `400 invalid_code`.
#[utoipa::path(tag = "mfa", request_body = PasswordAndCode,
    security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    responses((status = 204, description = "Re-authenticated for 10 minutes"), ReauthRefusals))]
#[post("/auth/reauth", data = "<body>")]
async fn reauth(
    me: Acting<'_, CurrentUser>,
    body: JsonBody<PasswordAndCode>,
) -> ApiResult<NoContent> {
    let PasswordAndCode { password, code } = body.0;
    let (user, sid) = (me.user(), me.sid());
    me.auth
        .second_factor()
        .reauthenticate(user, sid, password, code.as_deref(), &me.client)
        .await?;
    Ok(NoContent { sign_out: false })
}
