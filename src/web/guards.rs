//! Who is calling: `Claims` (stateless, from the access token), `SessionUser` (loaded from the
//! database, session still live) and `CurrentUser` (that, with a verified address when
//! `require_verified_email` is on: the one place that rule lives, `Verified`, serves the pages
//! too). A failing guard leaves its `ApiError` for the catcher.

use std::ops::Deref;

use rocket::http::Status;
use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome, Request};
use rocket_db_pools::Database;

use crate::account::Auth;
use crate::auth::device::ClientInfo;
use crate::auth::tokens::{AccessClaims, Tokens};
use crate::auth::users::{find_by_live_session, User};
use crate::config::Settings;
use crate::db::Db;
use crate::error::ApiError;
use crate::web::client::client_info;
use crate::web::cookies::{is_unsafe_method, SessionCookie};
use crate::web::csrf::csrf_matches;

/// The error a guard refused with, kept for the catcher (which only sees the status).
pub struct GuardError(pub Option<ApiError>);

pub fn refuse<T>(req: &Request<'_>, error: ApiError) -> Outcome<T, ApiError> {
    req.local_cache(|| GuardError(Some(error.clone())));
    Outcome::Error((error.status(), error))
}

/// The verified claims of the access token. No database query: use it where the token's word is
/// enough (role checks, ids). Bearer header first, else the `access_token` cookie, which on an
/// unsafe method also needs the CSRF token.
#[derive(Debug, Clone)]
pub struct Claims(pub AccessClaims);

impl Deref for Claims {
    type Target = AccessClaims;
    fn deref(&self) -> &AccessClaims {
        &self.0
    }
}

fn access_claims(req: &Request<'_>) -> Result<AccessClaims, ApiError> {
    let tokens = req.rocket().state::<Tokens>().ok_or(ApiError::Internal)?;
    if let Some(header) = req.headers().get_one("Authorization") {
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(ApiError::Unauthorized)?;
        return tokens.verify_access(token.trim());
    }
    let cookie = SessionCookie::Access
        .read(req)
        .ok_or(ApiError::Unauthorized)?;
    let claims = tokens.verify_access(cookie)?;
    if is_unsafe_method(req) && !csrf_matches(req, None) {
        return Err(ApiError::CsrfFailed);
    }
    Ok(claims)
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Claims {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        // Cached: several guards of one request verify the token once.
        match req.local_cache(|| access_claims(req)) {
            Ok(claims) => Outcome::Success(Claims(claims.clone())),
            Err(e) => refuse(req, e.clone()),
        }
    }
}

/// The signed-in user, loaded from the database: active, and the token's session neither revoked
/// nor expired. Use it (through `CurrentUser`) wherever revocation must take effect at once;
/// alone, only for what an unverified user must still be able to do (ask for a new link).
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: User,
    pub claims: AccessClaims,
}

/// `SessionUser` with a verified address when `require_verified_email` is on.
pub type CurrentUser = Verified<SessionUser>;

/// A guard that found who is signed in (the API's `SessionUser`, the pages' `PageSessionUser`).
pub trait SessionGuard {
    fn user(&self) -> &User;
    /// This device's session.
    fn session_id(&self) -> &str;
}

impl SessionGuard for SessionUser {
    fn user(&self) -> &User {
        &self.user
    }
    fn session_id(&self) -> &str {
        &self.claims.sid
    }
}

impl<G: SessionGuard> SessionGuard for Verified<G> {
    fn user(&self) -> &User {
        self.0.user()
    }
    fn session_id(&self) -> &str {
        self.0.session_id()
    }
}

/// A signed-in person taking a step: the steps' handle, who (`G`: `CurrentUser`, `PageUser`…)
/// and from which device, the three things every account step of a signed-in user needs.
pub struct Acting<'r, G> {
    pub auth: Auth<'r>,
    pub who: G,
    pub client: ClientInfo,
}

/// Nobody in particular: the `who` of a step anyone may take (sign in, a link from a mail).
pub struct Anyone;

/// Someone not (yet) signed in, taking a step.
pub type Visitor<'r> = Acting<'r, Anyone>;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Anyone {
    type Error = ApiError;

    async fn from_request(_req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        Outcome::Success(Anyone)
    }
}

impl<G: SessionGuard> Acting<'_, G> {
    pub fn user(&self) -> &User {
        self.who.user()
    }

    pub fn sid(&self) -> &str {
        self.who.session_id()
    }
}

#[rocket::async_trait]
impl<'r, G> FromRequest<'r> for Acting<'r, G>
where
    G: FromRequest<'r, Error = ApiError> + Send,
{
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let auth = try_outcome!(req.guard::<Auth<'r>>().await);
        let who = try_outcome!(req.guard::<G>().await);
        let client = client_info(req);
        Outcome::Success(Acting { auth, who, client })
    }
}

/// The verified-email rule, for the API and the pages alike: `G`, and when
/// `require_verified_email` is on, a verified address, else `403 email_unverified` (the user is
/// left in `Unverified` for the pages' "check your mail" answer).
#[derive(Debug, Clone)]
pub struct Verified<G>(pub G);

impl<G> Deref for Verified<G> {
    type Target = G;
    fn deref(&self) -> &G {
        &self.0
    }
}

/// Left by `Verified` when it refused an unverified address: who it was.
pub struct Unverified(pub Option<User>);

#[rocket::async_trait]
impl<'r, G> FromRequest<'r> for Verified<G>
where
    G: FromRequest<'r, Error = ApiError> + SessionGuard + Send,
{
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let signed_in = try_outcome!(req.guard::<G>().await);
        let required = req
            .rocket()
            .state::<Settings>()
            .is_none_or(|s| s.require_verified_email);
        if required && !signed_in.user().email_verified {
            req.local_cache(|| Unverified(Some(signed_in.user().clone())));
            return refuse(req, ApiError::EmailUnverified);
        }
        Outcome::Success(Verified(signed_in))
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SessionUser {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let Claims(claims) = try_outcome!(req.guard::<Claims>().await);
        let Some(db) = Db::fetch(req.rocket()) else {
            return refuse(req, ApiError::Internal);
        };
        let Ok(user_id) = claims.user_id() else {
            return refuse(req, ApiError::Unauthorized);
        };
        match find_by_live_session(db, user_id, &claims.sid).await {
            Ok(Some(user)) => Outcome::Success(SessionUser { user, claims }),
            Ok(None) => refuse(req, ApiError::Unauthorized),
            Err(e) => refuse(req, e),
        }
    }
}

/// The steps' handle on the app's state (`account::Auth`), for any route.
#[rocket::async_trait]
impl<'r> FromRequest<'r> for Auth<'r> {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        match Auth::of(req.rocket()) {
            Some(auth) => Outcome::Success(auth),
            None => refuse(req, ApiError::Internal),
        }
    }
}

/// Guards answer with a status; this maps a bare status back to the contract's error.
pub fn error_for(req: &Request<'_>, status: Status) -> ApiError {
    match &req.local_cache(|| GuardError(None)).0 {
        Some(error) if error.status() == status => error.clone(),
        _ => match status.code {
            401 => ApiError::Unauthorized,
            404 => ApiError::NotFound,
            _ => ApiError::Status(status),
        },
    }
}
