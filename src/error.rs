//! `ApiError`: every refusal the API can give, each with one status and a stable snake_case code.

use std::sync::atomic::{AtomicBool, Ordering};

use rocket::http::{Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket::serde::json::{self, Json};
use rocket::Response;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No usable credentials were presented, or they are not (or no longer) valid.
    Unauthorized,
    TokenExpired,
    InvalidCredentials,
    /// A refused refresh token; the refresh cookie is cleared with the answer.
    InvalidRefreshToken,
    CsrfFailed,
    /// Sign-in, sign-up, refresh or logout from a page of another site (`Sec-Fetch-Site`, `Origin`).
    CrossSiteRequest,
    /// An unsafe API request whose body is not declared `application/json`.
    UnsupportedMediaType,
    Forbidden(&'static str),
    /// Signed in, but `require_verified_email` is on and the address is not verified yet.
    EmailUnverified,
    /// A one-time token (a link from a mail) that is unknown, used, expired or of another purpose.
    InvalidToken,
    /// A sensitive step, and this session has not proved who it is in the last 10 minutes.
    ReauthRequired,
    /// A wrong, reused or malformed second-factor code.
    InvalidCode,
    /// An MFA ticket that is unknown, expired, spent or out of attempts.
    InvalidMfaToken,
    /// A passkey assertion refused: unknown, spent or expired challenge, unknown credential,
    /// bad signature, another origin or relying party, a counter that went back.
    InvalidPasskey,
    /// A new passkey refused (same reasons, at registration): `400`, same code.
    InvalidPasskeyRegistration,
    /// That credential is registered already.
    PasskeyTaken,
    NotFound,
    EmailTaken,
    /// Demoting or deactivating the last active admin would leave nobody to administer.
    LastAdmin,
    InvalidEmail,
    WeakPassword(String),
    /// The body is JSON but not of the expected shape, or a field is out of bounds.
    InvalidInput(String),
    MalformedJson,
    PayloadTooLarge,
    /// Too many attempts; the number is the `Retry-After` in seconds.
    RateLimited(u64),
    /// The database cannot serve the request now (down, restarting, unreachable, out of
    /// connections, its file unwritable): not a bug, and worth trying again.
    Unavailable,
    /// Too much waiting already (password hashes, mails queued): `503` with the `Retry-After`
    /// in seconds, rather than a queue that grows until everyone times out.
    Busy(u64),
    /// Details go to the log, never to the client.
    Internal,
    /// A status without a more specific variant (catchers for unknown routes and the like).
    Status(Status),
}

impl ApiError {
    pub fn status(&self) -> Status {
        match self {
            ApiError::Unauthorized
            | ApiError::TokenExpired
            | ApiError::InvalidCredentials
            | ApiError::InvalidRefreshToken
            | ApiError::ReauthRequired
            | ApiError::InvalidMfaToken => Status::Unauthorized,
            ApiError::InvalidPasskey => Status::Unauthorized,
            ApiError::InvalidPasskeyRegistration => Status::BadRequest,
            ApiError::PasskeyTaken => Status::Conflict,
            ApiError::CsrfFailed
            | ApiError::CrossSiteRequest
            | ApiError::Forbidden(_)
            | ApiError::EmailUnverified => Status::Forbidden,
            ApiError::InvalidToken | ApiError::InvalidCode => Status::BadRequest,
            ApiError::UnsupportedMediaType => Status::UnsupportedMediaType,
            ApiError::NotFound => Status::NotFound,
            ApiError::EmailTaken | ApiError::LastAdmin => Status::Conflict,
            ApiError::InvalidEmail | ApiError::WeakPassword(_) | ApiError::InvalidInput(_) => {
                Status::UnprocessableEntity
            }
            ApiError::MalformedJson => Status::BadRequest,
            ApiError::PayloadTooLarge => Status::PayloadTooLarge,
            ApiError::RateLimited(_) => Status::TooManyRequests,
            ApiError::Unavailable | ApiError::Busy(_) => Status::ServiceUnavailable,
            ApiError::Internal => Status::InternalServerError,
            ApiError::Status(status) => *status,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::TokenExpired => "token_expired",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::InvalidRefreshToken => "invalid_refresh_token",
            ApiError::CsrfFailed => "csrf_failed",
            ApiError::CrossSiteRequest => "cross_site_request",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::EmailUnverified => "email_unverified",
            ApiError::InvalidToken => "invalid_token",
            ApiError::ReauthRequired => "reauth_required",
            ApiError::InvalidCode => "invalid_code",
            ApiError::InvalidMfaToken => "invalid_mfa_token",
            ApiError::InvalidPasskey | ApiError::InvalidPasskeyRegistration => "invalid_passkey",
            ApiError::PasskeyTaken => "passkey_taken",
            ApiError::NotFound => "not_found",
            ApiError::EmailTaken => "email_taken",
            ApiError::LastAdmin => "last_admin",
            ApiError::InvalidEmail => "invalid_email",
            ApiError::WeakPassword(_) => "weak_password",
            ApiError::InvalidInput(_) => "invalid_input",
            ApiError::MalformedJson => "malformed_json",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Unavailable | ApiError::Busy(_) => "service_unavailable",
            ApiError::Internal => "internal_error",
            ApiError::Status(status) => match status.code {
                400 => "bad_request",
                401 => "unauthorized",
                403 => "forbidden",
                404 => "not_found",
                405 => "method_not_allowed",
                413 => "payload_too_large",
                415 => "unsupported_media_type",
                422 => "invalid_input",
                429 => "rate_limited",
                503 => "service_unavailable",
                500..=599 => "internal_error",
                _ => "error",
            },
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthorized => {
                "Sign-in required: no valid access token was presented.".into()
            }
            ApiError::TokenExpired => "The access token has expired; refresh it.".into(),
            ApiError::InvalidCredentials => "The email or password is incorrect.".into(),
            ApiError::InvalidRefreshToken => {
                "The refresh token is missing, expired, revoked or already used.".into()
            }
            ApiError::CsrfFailed => {
                "The X-CSRF-Token header (or _csrf field) must match the csrf_token cookie.".into()
            }
            ApiError::CrossSiteRequest => {
                "Signing in, up or out and refreshing are refused from another site's page.".into()
            }
            ApiError::UnsupportedMediaType => {
                "The request body must be JSON, sent as Content-Type: application/json.".into()
            }
            ApiError::Forbidden(why) => (*why).into(),
            ApiError::EmailUnverified => {
                "Confirm your email address first: follow the link we mailed you.".into()
            }
            ApiError::InvalidToken => {
                "This link is invalid, expired or already used; ask for a new one.".into()
            }
            ApiError::ReauthRequired => {
                "Confirm it is you: enter your password (and a code) again.".into()
            }
            ApiError::InvalidCode => "That code is not right, or was used already.".into(),
            ApiError::InvalidMfaToken => {
                "The sign-in step expired or was used up; sign in again.".into()
            }
            ApiError::InvalidPasskey => {
                "That passkey did not sign in; try again, or use your password.".into()
            }
            ApiError::InvalidPasskeyRegistration => {
                "The passkey could not be added; try again.".into()
            }
            ApiError::PasskeyTaken => "That passkey is registered already.".into(),
            ApiError::NotFound => "Not found.".into(),
            ApiError::EmailTaken => "An account with this email already exists.".into(),
            ApiError::LastAdmin => {
                "This is the last active administrator: make another admin first.".into()
            }
            ApiError::InvalidEmail => "That is not a valid email address.".into(),
            ApiError::WeakPassword(why) | ApiError::InvalidInput(why) => why.clone(),
            ApiError::MalformedJson => "The request body is not valid JSON.".into(),
            ApiError::PayloadTooLarge => "The request body is too large.".into(),
            ApiError::RateLimited(_) => "Too many attempts; try again later.".into(),
            ApiError::Unavailable => {
                "The service is unavailable for a moment; try again shortly.".into()
            }
            ApiError::Busy(_) => "The server is busy; try again in a moment.".into(),
            ApiError::Internal => "Something went wrong on our side.".into(),
            ApiError::Status(status) => status.reason_lossy().into(),
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.message(),
            },
        }
    }
}

/// `{"error": {"code", "message"}}`: the body of every refusal under `/api`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case, meant for programs.
    #[schema(example = "invalid_credentials")]
    pub code: &'static str,
    /// For people; may change.
    #[schema(example = "The email or password is incorrect.")]
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for ApiError {}

/// Left on a request whose answer refused its refresh token: the cookie fairing
/// (`web::cookies`) then clears the session cookies the request carried.
#[derive(Default)]
pub struct RefusedRefreshToken(pub AtomicBool);

impl ApiError {
    /// What an answer with this error does besides its body, JSON or page alike: a refused
    /// refresh token clears the session cookies; a rate limit says when to try again.
    pub fn apply_side_effects(&self, req: &Request<'_>, response: &mut Response<'_>) {
        if *self == ApiError::InvalidRefreshToken {
            req.local_cache(RefusedRefreshToken::default)
                .0
                .store(true, Ordering::Relaxed);
        }
        if let ApiError::RateLimited(seconds) | ApiError::Busy(seconds) = self {
            response.set_header(Header::new("Retry-After", seconds.to_string()));
        }
        response.set_status(self.status());
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Json(self.body()).respond_to(req)?;
        self.apply_side_effects(req, &mut response);
        Ok(response)
    }
}

/// A database that cannot serve now is `503 service_unavailable`; any other database error is a
/// bug, `500 internal_error`. `db::availability` tells them apart (and learns from each).
impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        crate::db::availability::note(&error);
        if crate::db::availability::is_unavailable(&error) {
            rocket::warn!("database unavailable: {error}");
            ApiError::Unavailable
        } else {
            rocket::error!("database error: {error}");
            ApiError::Internal
        }
    }
}

impl From<json::Error<'_>> for ApiError {
    fn from(error: json::Error<'_>) -> Self {
        match error {
            json::Error::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                ApiError::PayloadTooLarge
            }
            json::Error::Io(_) => ApiError::MalformedJson,
            json::Error::Parse(_, e) => match e.classify() {
                serde_json::error::Category::Data => ApiError::InvalidInput(e.to_string()),
                _ => ApiError::MalformedJson,
            },
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
