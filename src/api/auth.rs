//! `/api/auth/*`: register, login, refresh, logout, me.

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route};
use serde::Deserialize;
use serde_json::json;

use crate::api::body::{JsonBody, OptionalJsonBody};
use crate::auth::account::Auth;
use crate::auth::cookies::{Audience, CookieAction};
use crate::auth::device::ClientInfo;
use crate::auth::guards::{Claims, CurrentUser, RefreshCookie};
use crate::auth::origin::SameSiteRequest;
use crate::auth::second_factor::{MfaTicket, SignIn};
use crate::auth::sessions::Issued;
use crate::auth::users::{parse_name, Email, NewPassword, NewUser, PublicUser, Role};
use crate::config::Settings;
use crate::error::{ApiError, ApiResult};

pub fn routes() -> Vec<Route> {
    routes![
        register,
        login,
        refresh,
        logout,
        me,
        claims,
        change_password
    ]
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Deserialize)]
struct Registration {
    email: String,
    password: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

#[derive(Deserialize, Default)]
struct RefreshBody {
    refresh_token: Option<String>,
}

/// A new token pair: the refresh token goes to the cookie fairing (cookie mode) or into the body.
pub(crate) struct TokenAnswer {
    pub issued: Issued,
    pub status: Status,
    /// Login and register also describe the user and the new session.
    pub with_profile: bool,
}

/// What `login` answers: tokens, or (MFA on) `202` with the ticket for the second step.
enum LoginAnswer {
    Tokens(Box<TokenAnswer>),
    MfaRequired(MfaTicket),
}

impl<'r> Responder<'r, 'static> for LoginAnswer {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        match self {
            LoginAnswer::Tokens(answer) => (*answer).respond_to(req),
            LoginAnswer::MfaRequired(ticket) => {
                let body = json!({
                    "mfa_required": true,
                    "mfa_token": ticket.token,
                    "expires_in": ticket.expires_in,
                });
                let mut response = Json(body).respond_to(req)?;
                response.set_status(Status::Accepted);
                Ok(response)
            }
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
        let cookie_mode = req
            .rocket()
            .state::<Settings>()
            .is_none_or(|s| s.refresh_token_as_cookie);
        let mut body = json!({
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
        });
        if with_profile {
            body["user"] = json!(PublicUser::from(&issued.user));
            body["session"] = json!(issued.session.public(&issued.session.id));
        }
        // In body mode the fairing sets no cookie for the API; the body carries the token.
        CookieAction::signed_in(&issued, Audience::Api).record(req);
        if !cookie_mode {
            body["refresh_token"] = json!(issued.refresh_token);
        }
        let mut response = Json(body).respond_to(req)?;
        response.set_status(status);
        Ok(response)
    }
}

#[post("/auth/register", data = "<body>")]
async fn register(
    _same_site: SameSiteRequest,
    auth: Auth<'_>,
    client: ClientInfo,
    body: JsonBody<Registration>,
) -> ApiResult<TokenAnswer> {
    if !auth.settings.allow_registration {
        return Err(ApiError::Forbidden("Registration is closed."));
    }
    let Registration {
        email,
        password,
        name,
    } = body.0;
    let email = Email::parse(&email)?;
    let new = NewUser {
        password: NewPassword::parse(password, &email)?,
        name: parse_name(name.as_deref())?,
        role: Role::User,
        email_verified: false,
        email,
    };
    let issued = auth.register(new, &client).await?;
    Ok(TokenAnswer {
        issued,
        status: Status::Created,
        with_profile: true,
    })
}

#[post("/auth/login", data = "<body>")]
async fn login(
    _same_site: SameSiteRequest,
    auth: Auth<'_>,
    client: ClientInfo,
    body: JsonBody<Credentials>,
) -> ApiResult<LoginAnswer> {
    let Credentials { email, password } = body.0;
    Ok(match auth.sign_in(&email, password, &client).await? {
        SignIn::Done(issued) => LoginAnswer::Tokens(Box::new(TokenAnswer {
            issued: *issued,
            status: Status::Ok,
            with_profile: true,
        })),
        SignIn::MfaRequired(ticket) => LoginAnswer::MfaRequired(ticket),
    })
}

/// The refresh token from the cookie (cookie mode) or the body (body mode).
fn presented_refresh_token(
    settings: &Settings,
    cookie: RefreshCookie,
    body: OptionalJsonBody<RefreshBody>,
) -> Option<String> {
    if settings.refresh_token_as_cookie {
        cookie.0
    } else {
        body.0.and_then(|b| b.refresh_token)
    }
}

#[post("/auth/refresh", data = "<body>")]
async fn refresh(
    _same_site: SameSiteRequest,
    auth: Auth<'_>,
    client: ClientInfo,
    cookie: RefreshCookie,
    body: OptionalJsonBody<RefreshBody>,
) -> ApiResult<TokenAnswer> {
    let token = presented_refresh_token(auth.settings, cookie, body)
        .ok_or(ApiError::InvalidRefreshToken)?;
    let issued = auth.refresh(&token, &client).await?;
    Ok(TokenAnswer {
        issued,
        status: Status::Ok,
        with_profile: false,
    })
}

/// Signs this device out with its access token, or else with its refresh token.
#[post("/auth/logout", data = "<body>")]
async fn logout(
    _same_site: SameSiteRequest,
    auth: Auth<'_>,
    client: ClientInfo,
    claims: Result<Claims, ApiError>,
    cookie: Result<RefreshCookie, ApiError>,
    body: OptionalJsonBody<RefreshBody>,
) -> ApiResult<NoContent> {
    match claims {
        Ok(claims) => {
            auth.sign_out(claims.user_id()?, &claims.sid, &client)
                .await?
        }
        Err(ApiError::CsrfFailed) => return Err(ApiError::CsrfFailed),
        Err(_) => {
            let token = presented_refresh_token(auth.settings, cookie?, body)
                .ok_or(ApiError::Unauthorized)?;
            auth.sign_out_with_refresh_token(&token, &client).await?
        }
    };
    Ok(NoContent { sign_out: true })
}

/// Changes the password and revokes every other session; this one stays signed in.
#[post("/auth/password", data = "<body>")]
async fn change_password(
    auth: Auth<'_>,
    current: CurrentUser,
    client: ClientInfo,
    body: JsonBody<PasswordChange>,
) -> ApiResult<NoContent> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.0;
    let sid = &current.claims.sid;
    auth.change_password(&current.user, sid, current_password, new_password, &client)
        .await?;
    Ok(NoContent { sign_out: false })
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

#[get("/auth/me")]
fn me(current: CurrentUser) -> Json<serde_json::Value> {
    Json(json!({ "user": PublicUser::from(&current.user) }))
}

/// The verified access-token claims, without a database query: what a stateless service sees.
/// A revoked session's access token stays valid here until it expires (`access_token_ttl`).
#[get("/auth/claims")]
fn claims(claims: Claims) -> Json<serde_json::Value> {
    Json(json!({ "claims": claims.0 }))
}
