//! Cookie housekeeping around the guards: the refresh/access cookies a handler asked for, the CSRF
//! cookie, and `Cache-Control`. Handlers record *what* should happen; the fairing writes the
//! headers with the contract's flags, so no route can forget one.

use std::sync::atomic::Ordering;
use std::sync::Mutex;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Cookie, SameSite};
use rocket::request::Request;
use rocket::time::{Duration, OffsetDateTime};
use rocket::Response;

use crate::auth::sessions::Issued;
use crate::config::{RefreshTransport, Settings};
use crate::error::RefusedRefreshToken;
use crate::web::csrf::{self, CsrfKeys};

/// The three cookies of a browser session. With `cookie_secure` their names carry the `__Host-`
/// prefix: the browser then accepts them only over HTTPS, for the whole host, from the host
/// itself, so a sibling subdomain or a plain-HTTP man in the middle cannot plant one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCookie {
    Refresh,
    Access,
    /// Readable by scripts on purpose: the JS client copies it into `X-CSRF-Token`.
    Csrf,
}

impl SessionCookie {
    pub fn name(self, secure: bool) -> &'static str {
        match (self, secure) {
            (SessionCookie::Refresh, false) => "refresh_token",
            (SessionCookie::Access, false) => "access_token",
            (SessionCookie::Csrf, false) => "csrf_token",
            (SessionCookie::Refresh, true) => "__Host-refresh_token",
            (SessionCookie::Access, true) => "__Host-access_token",
            (SessionCookie::Csrf, true) => "__Host-csrf_token",
        }
    }

    /// This cookie's value on the request, under the configured name only.
    pub fn read<'r>(self, req: &'r Request<'_>) -> Option<&'r str> {
        let secure = req
            .rocket()
            .state::<Settings>()
            .is_none_or(|s| s.cookie_secure);
        req.cookies().get(self.name(secure)).map(|c| c.value())
    }
}

/// What a handler wants done with the session cookies of its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieAction {
    /// A new token pair: the refresh cookie (in cookie mode) and, for pages, the access cookie.
    /// A page sign-in (`access: Some`) sets the refresh cookie in body mode too: a browser
    /// navigating pages has no body to keep it in, and the JSON API ignores that cookie in body mode.
    SetSession {
        session_id: String,
        refresh_token: String,
        refresh_max_age: i64,
        access: Option<(String, i64)>,
    },
    /// Sign-out or a refused refresh token: the session cookies the request carried are removed
    /// (never one it did not carry: a cookieless cross-site request cannot sign anyone out).
    ClearSession,
}

#[derive(Default)]
struct Pending(Mutex<Option<CookieAction>>);

/// Who a new token pair is handed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A script calling the JSON API: it keeps the access token from the body; the refresh
    /// token goes into the cookie in cookie mode.
    Api,
    /// A browser navigating pages: both tokens in HttpOnly cookies.
    Pages,
}

impl CookieAction {
    /// The one conversion from a freshly issued pair to cookies, for the API and pages alike.
    pub fn signed_in(issued: &Issued, audience: Audience) -> CookieAction {
        CookieAction::SetSession {
            session_id: issued.session.id.clone(),
            refresh_token: issued.refresh_token.clone(),
            refresh_max_age: issued.refresh_expires_in,
            access: match audience {
                Audience::Api => None,
                Audience::Pages => Some((issued.access_token.clone(), issued.expires_in)),
            },
        }
    }

    /// Records the action for this request's response; the last one recorded wins.
    pub fn record(self, req: &Request<'_>) {
        let pending = req.local_cache(Pending::default);
        if let Ok(mut slot) = pending.0.lock() {
            *slot = Some(self);
        }
    }

    fn take(req: &Request<'_>) -> Option<CookieAction> {
        req.local_cache(Pending::default).0.lock().ok()?.take()
    }
}

fn session_cookie(
    name: &'static str,
    value: String,
    max_age: i64,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(Duration::seconds(max_age))
        .build()
}

fn removal_cookie(name: &'static str, secure: bool) -> Cookie<'static> {
    Cookie::build((name, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(Duration::ZERO)
        .expires(OffsetDateTime::UNIX_EPOCH)
        .build()
}

pub fn is_unsafe_method(req: &Request<'_>) -> bool {
    use rocket::http::Method;
    !matches!(
        req.method(),
        Method::Get | Method::Head | Method::Options | Method::Trace
    )
}

pub struct CookieFairing;

#[rocket::async_trait]
impl Fairing for CookieFairing {
    fn info(&self) -> Info {
        Info {
            name: "Session cookies",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let (Some(settings), Some(keys)) = (
            req.rocket().state::<Settings>(),
            req.rocket().state::<CsrfKeys>(),
        ) else {
            return;
        };
        let secure = settings.cookie_secure;
        let carried = |which: SessionCookie| which.read(req).is_some();
        // The CSRF cookie: a new one for a new session and after a sign-out; otherwise only where
        // a page needs one and the request's is missing or not this session's.
        let mut new_csrf = None;
        let refused = req
            .local_cache(RefusedRefreshToken::default)
            .0
            .load(Ordering::Relaxed);
        let action = match CookieAction::take(req) {
            _ if refused => Some(CookieAction::ClearSession),
            action => action,
        };
        match action {
            Some(CookieAction::SetSession {
                session_id,
                refresh_token,
                refresh_max_age,
                access,
            }) => {
                let name = SessionCookie::Refresh.name(secure);
                let mut cookie_session = false;
                if settings.refresh_transport == RefreshTransport::Cookie || access.is_some() {
                    res.adjoin_header(session_cookie(name, refresh_token, refresh_max_age, secure));
                    cookie_session = true;
                }
                if let Some((token, max_age)) = access {
                    let name = SessionCookie::Access.name(secure);
                    res.adjoin_header(session_cookie(name, token, max_age, secure));
                }
                // A refresh keeps the session, and so its token: forms open in other tabs stay good.
                let kept = SessionCookie::Csrf
                    .read(req)
                    .is_some_and(|token| keys.is_valid(token, &session_id));
                if cookie_session && !kept {
                    new_csrf = Some(keys.issue(&session_id));
                }
            }
            Some(CookieAction::ClearSession) => {
                let mut cleared = false;
                for which in [SessionCookie::Refresh, SessionCookie::Access] {
                    if carried(which) {
                        res.adjoin_header(removal_cookie(which.name(secure), secure));
                        cleared = true;
                    }
                }
                if cleared {
                    new_csrf = Some(keys.issue(""));
                }
            }
            None => {}
        }
        let is_page = res.content_type().is_some_and(|ct| ct == ContentType::HTML);
        if new_csrf.is_none() && is_page && csrf::valid_cookie_token(req).is_none() {
            // The token the page embedded, if it rendered one.
            new_csrf = Some(csrf::csrf_token(req).to_owned());
        }
        if let Some(token) = new_csrf {
            let csrf = Cookie::build((SessionCookie::Csrf.name(secure), token))
                .path("/")
                .same_site(SameSite::Lax)
                .secure(secure)
                .build();
            res.adjoin_header(csrf);
        }
    }
}
