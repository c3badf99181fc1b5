//! The answers several routes give: a new token pair (with the user and session when a sign-in
//! started it), the two-factor challenge, and `204 No Content` that may sign the device out.
//! Route files keep their own answers; what two share lives here.

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::sessions::{Issued, PublicSession};
use crate::auth::users::PublicUser;
use crate::config::{RefreshTransport, Settings};
use crate::mfa::steps::MfaTicket;
use crate::web::cookies::{Audience, CookieAction};

/// A new access token, and in body mode the new refresh token.
#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    access_token: String,
    #[schema(example = "Bearer")]
    token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 300)]
    expires_in: i64,
    /// Body mode only; in cookie mode the refresh token is the `refresh_token` cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    refresh_token: Option<String>,
}

/// Signed in (or up): the token pair, who, and the new session.
#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    #[serde(flatten)]
    tokens: TokenPair,
    user: PublicUser,
    session: PublicSession,
}

/// A new token pair: the refresh token goes to the cookie fairing (cookie mode) or into the body.
pub struct TokenAnswer {
    pub issued: Issued,
    pub status: Status,
    /// Login and register also describe the user and the new session.
    pub with_profile: bool,
}

/// The right password of an account with two-factor sign-in on: no session yet, a ticket for
/// the second step (`POST /api/auth/mfa`).
#[derive(Serialize, ToSchema)]
pub struct MfaChallenge {
    /// Always `true`.
    #[schema(example = true)]
    mfa_required: bool,
    /// The ticket (a JWT of its own type): good for `expires_in` seconds and a few codes.
    mfa_token: String,
    /// Seconds until the ticket expires.
    #[schema(example = 300)]
    expires_in: i64,
}

/// What `login` answers: tokens, or (MFA on) `202` with the ticket for the second step.
pub enum LoginAnswer {
    Tokens(Box<TokenAnswer>),
    MfaRequired(MfaTicket),
}

impl<'r> Responder<'r, 'static> for LoginAnswer {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        match self {
            LoginAnswer::Tokens(answer) => (*answer).respond_to(req),
            LoginAnswer::MfaRequired(ticket) => {
                let body = MfaChallenge {
                    mfa_required: true,
                    mfa_token: ticket.token,
                    expires_in: ticket.expires_in,
                };
                let mut response = Json(body).respond_to(req)?;
                response.set_status(Status::Accepted);
                Ok(response)
            }
        }
    }
}

impl TokenAnswer {
    /// `201`: signed up, and in on this device.
    pub fn signed_up(issued: Issued) -> TokenAnswer {
        TokenAnswer {
            issued,
            status: Status::Created,
            with_profile: true,
        }
    }

    /// `200`: a new session on this device.
    pub fn signed_in(issued: Issued) -> TokenAnswer {
        TokenAnswer {
            issued,
            status: Status::Ok,
            with_profile: true,
        }
    }

    /// `200`: the session's next pair.
    pub fn rotated(issued: Issued) -> TokenAnswer {
        TokenAnswer {
            issued,
            status: Status::Ok,
            with_profile: false,
        }
    }
}

impl<'r> Responder<'r, 'static> for TokenAnswer {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let TokenAnswer {
            issued,
            status,
            with_profile,
        } = self;
        let settings = req.rocket().state::<Settings>();
        let body_mode = settings.is_some_and(|s| s.refresh_transport == RefreshTransport::Body);
        // In body mode the API sets no cookie: the body carries the token.
        if !body_mode {
            CookieAction::signed_in(&issued, Audience::Api).record(req);
        }
        let tokens = TokenPair {
            access_token: issued.access_token,
            token_type: "Bearer",
            expires_in: issued.expires_in,
            refresh_token: body_mode.then_some(issued.refresh_token),
        };
        let mut response = if with_profile {
            let user = PublicUser::from(&issued.user);
            let session = issued.session.public(&issued.session.id);
            Json(SignedIn {
                tokens,
                user,
                session,
            })
            .respond_to(req)?
        } else {
            Json(tokens).respond_to(req)?
        };
        response.set_status(status);
        Ok(response)
    }
}

/// `204 No Content`; with `sign_out`, both session cookies are removed too.
pub struct NoContent {
    pub sign_out: bool,
}

impl<'r> Responder<'r, 'static> for NoContent {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        if self.sign_out {
            CookieAction::ClearSession.record(req);
        }
        Status::NoContent.respond_to(req)
    }
}
