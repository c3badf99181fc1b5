//! `PageUser`: who is browsing a page that needs a user. It renews an expired access cookie from
//! a good refresh cookie on the spot; with neither it forwards, and the 401 catcher sends the
//! browser to `/login?next=…`. It only records cookie changes: the cookie fairing writes them.
//! A renewal refused by the rate limit refuses the page with 429 and leaves the cookies alone.
//! With `require_verified_email`, `PageUser` (`Verified<PageSessionUser>`) refuses an unverified
//! address with 403 and the "check your mail" page; `PageSessionUser` lets them through.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

use crate::account::Auth;
use crate::auth::device::ClientInfo;
use crate::auth::users::{find_by_live_session, User};
use crate::error::ApiError;
use crate::web::cookies::{Audience, CookieAction, SessionCookie};
use crate::web::guards::{refuse, SessionGuard, Verified};
use crate::web::refresh::verified_refresh;

/// A signed-in user on a live session, address verified or not: for the pages an unverified
/// user must still reach (the account page, a new verification link, signing out).
#[derive(Debug, Clone)]
pub struct PageSessionUser {
    pub user: User,
    /// This device's session.
    pub session_id: String,
}

/// `PageSessionUser` with a verified address when `require_verified_email` is on (else 403 and the
/// "check your mail" page). A route that takes it cannot run without one.
pub type PageUser = Verified<PageSessionUser>;

impl SessionGuard for PageSessionUser {
    fn user(&self) -> &User {
        &self.user
    }
    fn session_id(&self) -> &str {
        &self.session_id
    }
}

/// Left by `PageSessionUser` when it forwarded for want of a user: the 401 catcher then redirects to
/// the sign-in page instead of showing an error.
pub struct SignInRequired(pub bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PageSessionUser {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        // Cached: a refresh token must be rotated at most once per request.
        match req.local_cache_async(identify(req)).await {
            Ok(Some(user)) => Outcome::Success(user.clone()),
            Ok(None) => {
                req.local_cache(|| SignInRequired(true));
                Outcome::Forward(Status::Unauthorized)
            }
            Err(e) => refuse(req, e.clone()),
        }
    }
}

async fn identify(req: &Request<'_>) -> Result<Option<PageSessionUser>, ApiError> {
    let auth = match req.guard::<Auth<'_>>().await {
        Outcome::Success(auth) => auth,
        _ => return Err(ApiError::Internal),
    };
    let access = SessionCookie::Access.read(req);
    if let Some(claims) = access.and_then(|c| auth.tokens.verify_access(c).ok()) {
        if let Ok(user_id) = claims.user_id() {
            if let Some(user) = find_by_live_session(auth.db, user_id, &claims.sid).await? {
                return Ok(Some(PageSessionUser {
                    user,
                    session_id: claims.sid,
                }));
            }
        }
    }
    // No usable access cookie (missing, expired, forged, or its session revoked): the refresh
    // cookie decides. Pages read it in body mode too (see `CookieAction::SetSession`).
    let Some(refresh) = SessionCookie::Refresh.read(req) else {
        if access.is_some() {
            CookieAction::ClearSession.record(req);
        }
        return Ok(None);
    };
    let client = match req.guard::<ClientInfo>().await {
        Outcome::Success(client) => client,
        _ => return Err(ApiError::Internal),
    };
    // Any error but a refused token (rate limit, database) keeps the cookies: the session may
    // well be good, this request just could not renew it.
    match auth.refresh(verified_refresh(req, refresh), &client).await {
        Ok(issued) => {
            CookieAction::signed_in(&issued, Audience::Pages).record(req);
            Ok(Some(PageSessionUser {
                user: issued.user,
                session_id: issued.session.id,
            }))
        }
        Err(ApiError::InvalidRefreshToken) => {
            CookieAction::ClearSession.record(req);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
