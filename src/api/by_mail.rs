//! `/api/auth/password/{forgot,reset}` and `/api/auth/email/{verify,resend}`: what is done with a
//! link from a mail. Thin: the steps are in `auth/lifecycle.rs`.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{post, routes, Route};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::auth::NoContent;
use crate::api::body::JsonBody;
use crate::auth::account::Auth;
use crate::auth::device::ClientInfo;
use crate::auth::guards::SignedIn;
use crate::error::ApiResult;

pub fn routes() -> Vec<Route> {
    routes![
        forgot_password,
        reset_password,
        verify_email,
        resend_verification
    ]
}

type Accepted = (Status, Json<Value>);

#[derive(Deserialize)]
struct Forgot {
    email: String,
}

#[derive(Deserialize)]
struct Reset {
    token: String,
    new_password: String,
}

#[derive(Deserialize)]
struct Token {
    token: String,
}

/// `202` whether or not an account uses the address; a link is mailed when one does.
#[post("/auth/password/forgot", data = "<body>")]
async fn forgot_password(
    auth: Auth<'_>,
    client: ClientInfo,
    body: JsonBody<Forgot>,
) -> ApiResult<Accepted> {
    let Forgot { email } = body.0;
    auth.forgot_password(&email, &client).await?;
    let message = "If an account uses this address, a link to reset its password is on its way.";
    Ok((Status::Accepted, Json(json!({ "message": message }))))
}

/// Every session of the user is revoked: they sign in again with the new password.
#[post("/auth/password/reset", data = "<body>")]
async fn reset_password(
    auth: Auth<'_>,
    client: ClientInfo,
    body: JsonBody<Reset>,
) -> ApiResult<NoContent> {
    let Reset {
        token,
        new_password,
    } = body.0;
    auth.reset_password(&token, new_password, &client).await?;
    Ok(NoContent { sign_out: false })
}

#[post("/auth/email/verify", data = "<body>")]
async fn verify_email(
    auth: Auth<'_>,
    client: ClientInfo,
    body: JsonBody<Token>,
) -> ApiResult<NoContent> {
    let Token { token } = body.0;
    auth.verify_email(&token, &client).await?;
    Ok(NoContent { sign_out: false })
}

/// A new verification link; `sent: false` when the address is verified already. Open to an
/// unverified user (`SignedIn`), who needs it most.
#[post("/auth/email/resend")]
async fn resend_verification(
    auth: Auth<'_>,
    signed_in: SignedIn,
    client: ClientInfo,
) -> ApiResult<Accepted> {
    let sent = auth.resend_verification(&signed_in.0.user, &client).await?;
    Ok((Status::Accepted, Json(json!({ "sent": sent }))))
}
