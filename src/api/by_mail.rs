//! `/api/auth/password/{forgot,reset}` and `/api/auth/email/{verify,resend}`: what is done with a
//! link from a mail. Thin: the steps are in `account/by_mail.rs`.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{post, routes, Route};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::api::answers::NoContent;
use crate::api::refusals::refusals;
use crate::error::ApiResult;
use crate::web::body::JsonBody;
use crate::web::guards::Acting;
use crate::web::guards::SessionUser;
use crate::web::guards::Visitor;

pub fn routes() -> Vec<Route> {
    routes![
        forgot_password,
        reset_password,
        verify_email,
        resend_verification,
        cancel_email_change
    ]
}

/// These routes in the OpenAPI document (`api/openapi.rs` mounts it at `/api`).
#[derive(OpenApi)]
#[openapi(paths(
    forgot_password,
    reset_password,
    verify_email,
    resend_verification,
    cancel_email_change
))]
pub struct Doc;

type Accepted<T> = (Status, Json<T>);

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"email": "ada@example.com"}))]
struct Forgot {
    /// The account's address.
    #[schema(max_length = 254)]
    email: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"token": "the token from the mailed link", "new_password": "a new long passphrase"}))]
struct Reset {
    /// The `token` of the link in the reset mail.
    token: String,
    /// 8 characters to 1024 bytes, not the email address, not a common password.
    #[schema(min_length = 8, max_length = 1024)]
    new_password: String,
}

/// The `token` of the link in the verification mail.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"token": "the token from the mailed link"}))]
struct Token {
    token: String,
}

/// The same answer whether or not an account uses the address.
#[derive(Serialize, ToSchema)]
struct ResetMailed {
    #[schema(
        example = "If an account uses this address, a link to reset its password is on its way."
    )]
    message: &'static str,
}

#[derive(Serialize, ToSchema)]
struct VerificationMailed {
    /// `false` when the address is verified already: no mail is sent.
    sent: bool,
}

refusals!(ForgotRefusals: [json_body], InvalidEmail, InvalidInput("missing field `email`".into()), RateLimited(3600), Busy(1));
/// Mails a link to reset the password, when an active account uses the address.
///
/// `202` whether or not an account uses the address, and as fast. Rate-limited per IP and per
/// address.
#[utoipa::path(tag = "auth", request_body = Forgot, security(()), responses(
    (status = 202, description = "Accepted; a link is on its way if an account uses the address",
        body = ResetMailed),
    ForgotRefusals))]
#[post("/auth/password/forgot", data = "<body>")]
async fn forgot_password(
    me: Visitor<'_>,
    body: JsonBody<Forgot>,
) -> ApiResult<Accepted<ResetMailed>> {
    let Forgot { email } = body.0;
    me.auth
        .by_mail()
        .forgot_password(&email, &me.client)
        .await?;
    let message = "If an account uses this address, a link to reset its password is on its way.";
    Ok((Status::Accepted, Json(ResetMailed { message })))
}

refusals!(ResetRefusals: [json_body], InvalidToken, WeakPassword("Passwords need at least 8 characters.".into()), InvalidInput("missing field `new_password`".into()), Busy(1));
/// Sets a new password with the token of a reset link.
///
/// Every session of the user is revoked: they sign in again with the new password. The address
/// counts as verified. A weak password (`422 weak_password`) does not spend the token.
#[utoipa::path(tag = "auth", request_body = Reset, security(()), responses(
    (status = 204, description = "The password is set; every session revoked"),
    ResetRefusals))]
#[post("/auth/password/reset", data = "<body>")]
async fn reset_password(me: Visitor<'_>, body: JsonBody<Reset>) -> ApiResult<NoContent> {
    let Reset {
        token,
        new_password,
    } = body.0;
    me.auth
        .by_mail()
        .reset_password(&token, new_password, &me.client)
        .await?;
    Ok(NoContent { sign_out: false })
}

refusals!(VerifyRefusals: [json_body], InvalidToken, InvalidInput("missing field `token`".into()));
/// Verifies the address with the token of a verification link: `email_verified` becomes `true`.
#[utoipa::path(tag = "auth", request_body = Token, security(()), responses(
    (status = 204, description = "Verified"),
    VerifyRefusals))]
#[post("/auth/email/verify", data = "<body>")]
async fn verify_email(me: Visitor<'_>, body: JsonBody<Token>) -> ApiResult<NoContent> {
    let Token { token } = body.0;
    me.auth.by_mail().verify_email(&token, &me.client).await?;
    Ok(NoContent { sign_out: false })
}

refusals!(ResendRefusals: [signed_in], CsrfFailed, RateLimited(3600), Busy(1));
/// Mails a new verification link; older ones are void.
///
/// `sent: false` when the address is verified already. Open to an unverified user (never
/// `403 email_unverified`), who needs it most. Rate-limited per IP and per address.
#[utoipa::path(tag = "auth", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    responses(
        (status = 202, description = "A new link is on its way, or none was needed",
            body = VerificationMailed),
        ResendRefusals))]
#[post("/auth/email/resend")]
async fn resend_verification(
    me: Acting<'_, SessionUser>,
) -> ApiResult<Accepted<VerificationMailed>> {
    let sent = me
        .auth
        .by_mail()
        .resend_verification(me.user(), &me.client)
        .await?;
    Ok((Status::Accepted, Json(VerificationMailed { sent })))
}

refusals!(CancelRefusals: [json_body], InvalidToken, InvalidInput("missing field `token`".into()));
/// Cancels a pending email change with the token of the link mailed to the old address.
///
/// The link to the new address stops working; the account keeps its address.
#[utoipa::path(tag = "auth", request_body = Token, security(()), responses(
    (status = 204, description = "Cancelled"),
    CancelRefusals))]
#[post("/auth/email/cancel", data = "<body>")]
async fn cancel_email_change(me: Visitor<'_>, body: JsonBody<Token>) -> ApiResult<NoContent> {
    let Token { token } = body.0;
    me.auth
        .by_mail()
        .cancel_email_change(&token, &me.client)
        .await?;
    Ok(NoContent { sign_out: false })
}
