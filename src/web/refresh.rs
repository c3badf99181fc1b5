//! The refresh token a request presents: where it travels (cookie or JSON body, as
//! `Settings::refresh_transport` says, decided there once) and its verification, done once per
//! request however many steps look at it (the CSRF check binds to its session, then the rotation).

use rocket::request::{FromRequest, Outcome, Request};

use crate::auth::tokens::{RefreshClaims, RefreshRefused, Tokens};
use crate::config::{RefreshTransport, Settings};
use crate::error::ApiError;
use crate::web::cookies::{is_unsafe_method, SessionCookie};
use crate::web::csrf::csrf_matches;
use crate::web::guards::refuse;

/// The refresh token's claims, verified once per request: a second look at the same token gets
/// the first answer (a request carries one refresh token; another one is verified on its own).
pub fn verified_refresh(req: &Request<'_>, token: &str) -> Result<RefreshClaims, RefreshRefused> {
    struct Verified(String, Result<RefreshClaims, RefreshRefused>);
    // Without the token codec (never, once the app ignited) nothing verifies.
    let Some(tokens) = req.rocket().state::<Tokens>() else {
        return Err(RefreshRefused::Invalid);
    };
    let cached = req.local_cache(|| Verified(token.to_owned(), tokens.verify_refresh(token)));
    match cached.0 == token {
        true => cached.1.clone(),
        false => tokens.verify_refresh(token),
    }
}

/// Where this request's refresh token is. In cookie mode, the `refresh_token` cookie (on an
/// unsafe method only with the CSRF token); in body mode, the JSON body the handler reads.
pub enum PresentedRefresh<'r> {
    Cookie {
        req: &'r Request<'r>,
        token: Option<&'r str>,
    },
    Body {
        req: &'r Request<'r>,
    },
}

impl PresentedRefresh<'_> {
    /// The verified claims of the token: the cookie's, or in body mode `body`'s. No token is
    /// `None`; a token that does not verify is its error.
    pub fn claims(&self, body: Option<&str>) -> Option<Result<RefreshClaims, RefreshRefused>> {
        match self {
            PresentedRefresh::Cookie { req, token } => token.map(|t| verified_refresh(req, t)),
            PresentedRefresh::Body { req } => body.map(|t| verified_refresh(req, t)),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PresentedRefresh<'r> {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let Some(settings) = req.rocket().state::<Settings>() else {
            return refuse(req, ApiError::Internal);
        };
        if settings.refresh_transport == RefreshTransport::Body {
            return Outcome::Success(PresentedRefresh::Body { req });
        }
        let token = SessionCookie::Refresh.read(req);
        if token.is_some() && is_unsafe_method(req) && !csrf_matches(req, None) {
            return refuse(req, ApiError::CsrfFailed);
        }
        Outcome::Success(PresentedRefresh::Cookie { req, token })
    }
}
