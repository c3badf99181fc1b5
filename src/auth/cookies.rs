//! Cookie housekeeping around the guards: the refresh/access cookies a handler asked for, the CSRF
//! cookie, and `Cache-Control`. Handlers record *what* should happen; the fairing writes the
//! headers with the contract's flags, so no route can forget one.

use std::sync::Mutex;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Cookie, Header, SameSite};
use rocket::request::Request;
use rocket::time::{Duration, OffsetDateTime};
use rocket::Response;

use crate::auth::sessions::Issued;
use crate::clock::new_id;
use crate::config::Settings;

pub const REFRESH_COOKIE: &str = "refresh_token";
pub const ACCESS_COOKIE: &str = "access_token";
pub const CSRF_COOKIE: &str = "csrf_token";
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// What a handler wants done with the session cookies of its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieAction {
    /// A new token pair: the refresh cookie (in cookie mode) and, for pages, the access cookie.
    /// A page sign-in (`access: Some`) sets the refresh cookie in body mode too: a browser
    /// navigating pages has no body to keep it in, and the JSON API ignores that cookie in body mode.
    SetSession {
        refresh_token: String,
        refresh_max_age: i64,
        access: Option<(String, i64)>,
    },
    /// Sign-out or a refused refresh token: both session cookies are removed.
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

/// True when the request proves it can read the `csrf_token` cookie (double-submit): the header,
/// or a form field the caller passes, equals the cookie.
pub fn csrf_matches(req: &Request<'_>, form_field: Option<&str>) -> bool {
    let Some(cookie) = req.cookies().get(CSRF_COOKIE) else {
        return false;
    };
    let presented = req.headers().get_one(CSRF_HEADER).or(form_field);
    presented
        .is_some_and(|p| !p.is_empty() && constant_time_eq(p.as_bytes(), cookie.value().as_bytes()))
}

/// The CSRF token a page embeds in its forms: the `csrf_token` cookie, or the one this response
/// will set (the fairing writes the same value), so a first visit already gets working forms.
pub fn csrf_token<'r>(req: &'r Request<'_>) -> &'r str {
    match req.cookies().get(CSRF_COOKIE) {
        Some(cookie) => cookie.value(),
        None => &req.local_cache(|| NewCsrfToken(new_id())).0,
    }
}

struct NewCsrfToken(String);

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
        let Some(settings) = req.rocket().state::<Settings>() else {
            return;
        };
        let secure = settings.cookie_secure;
        match CookieAction::take(req) {
            Some(CookieAction::SetSession {
                refresh_token,
                refresh_max_age,
                access,
            }) => {
                if settings.refresh_token_as_cookie || access.is_some() {
                    res.adjoin_header(session_cookie(
                        REFRESH_COOKIE,
                        refresh_token,
                        refresh_max_age,
                        secure,
                    ));
                }
                if let Some((token, max_age)) = access {
                    res.adjoin_header(session_cookie(ACCESS_COOKIE, token, max_age, secure));
                }
            }
            Some(CookieAction::ClearSession) => {
                res.adjoin_header(removal_cookie(REFRESH_COOKIE, secure));
                res.adjoin_header(removal_cookie(ACCESS_COOKIE, secure));
            }
            None => {}
        }
        if req.cookies().get(CSRF_COOKIE).is_none() {
            // Readable by scripts on purpose: the JS client copies it into X-CSRF-Token.
            let csrf = Cookie::build((CSRF_COOKIE, csrf_token(req).to_owned()))
                .path("/")
                .same_site(SameSite::Lax)
                .secure(secure)
                .build();
            res.adjoin_header(csrf);
        }
        if !req.uri().path().starts_with("/static/") && !res.headers().contains("Cache-Control") {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
    }
}
