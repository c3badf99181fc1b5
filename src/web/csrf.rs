//! CSRF tokens: signed double-submit (OWASP). The token lives in the script-readable CSRF cookie
//! and must come back in `X-CSRF-Token` (or the `_csrf` form field) on every unsafe request that
//! relies on a cookie. It is also bound to the session: `nonce.mac`, where the MAC (HMAC-SHA256,
//! with a key derived from the signing secret) covers the nonce and the session id. A token
//! planted by a sibling subdomain or a man in the middle of plain HTTP, without the key, matches
//! no session; one from another session (sign-out, sign-in) matches none either. The nonce
//! makes every token unique; a session keeps its token across refreshes (same session id), so
//! forms open in other tabs stay good.

use ring::hmac;

use rocket::request::Request;

use crate::auth::keys::constant_time_eq;
use crate::auth::tokens::Tokens;
use crate::clock::new_id;
use crate::web::cookies::SessionCookie;
use crate::web::refresh::verified_refresh;

pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// The MAC keys, the current one first (managed state, derived from the key set).
pub struct CsrfKeys(Vec<hmac::Key>);

impl CsrfKeys {
    pub fn new(derived: Vec<[u8; 32]>) -> CsrfKeys {
        CsrfKeys(
            derived
                .iter()
                .map(|k| hmac::Key::new(hmac::HMAC_SHA256, k))
                .collect(),
        )
    }

    fn mac(key: &hmac::Key, session_id: &str, nonce: &str) -> String {
        let tag = hmac::sign(key, format!("csrf v1\0{session_id}\0{nonce}").as_bytes());
        tag.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A new token for this session (`""`: none yet, e.g. the sign-in form).
    pub fn issue(&self, session_id: &str) -> String {
        let nonce = new_id();
        match self.0.first() {
            Some(key) => format!("{nonce}.{}", Self::mac(key, session_id, &nonce)),
            None => nonce,
        }
    }

    /// Whether `token` was issued for this session, by any key still accepted.
    pub fn is_valid(&self, token: &str, session_id: &str) -> bool {
        let Some((nonce, mac)) = token.split_once('.') else {
            return false;
        };
        self.0.iter().any(|key| {
            constant_time_eq(Self::mac(key, session_id, nonce).as_bytes(), mac.as_bytes())
        })
    }
}

/// The session the request's cookies belong to, verified: the access cookie's, else (expired,
/// say) the refresh cookie's. `None` without a cookie that verifies: no session to bind to (the
/// sign-in form), or a cookie that will be refused as it is used anyway.
pub fn request_session_id<'r>(req: &'r Request<'_>) -> Option<&'r str> {
    struct RequestSession(Option<String>);
    let verified = || {
        let tokens = req.rocket().state::<Tokens>()?;
        let access = SessionCookie::Access.read(req);
        let refresh = SessionCookie::Refresh.read(req);
        access
            .and_then(|token| tokens.verify_access(token).ok())
            .map(|claims| claims.sid)
            .or_else(|| {
                refresh
                    .and_then(|token| verified_refresh(req, token).ok())
                    .map(|c| c.sid)
            })
    };
    req.local_cache(|| RequestSession(verified())).0.as_deref()
}

/// Whether the CSRF token may serve this request: any token without a session (double-submit
/// alone), only the session's own with one.
fn good_for_request(keys: &CsrfKeys, token: &str, req: &Request<'_>) -> bool {
    request_session_id(req).is_none_or(|sid| keys.is_valid(token, sid))
}

/// An unsafe request from a page's script: `X-CSRF-Token` must match the CSRF cookie (the
/// JSON endpoints of the pages, which a form's `_csrf` field cannot reach).
pub struct CsrfHeader;

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for CsrfHeader {
    type Error = crate::error::ApiError;

    async fn from_request(
        req: &'r Request<'_>,
    ) -> rocket::request::Outcome<Self, crate::error::ApiError> {
        match csrf_matches(req, None) {
            true => rocket::request::Outcome::Success(CsrfHeader),
            false => crate::web::guards::refuse(req, crate::error::ApiError::CsrfFailed),
        }
    }
}

/// True when the request proves it can read the CSRF cookie (double-submit: the header, or a
/// form field the caller passes, equals the cookie) and the cookie's token is this session's.
pub fn csrf_matches(req: &Request<'_>, form_field: Option<&str>) -> bool {
    let (Some(cookie), Some(keys)) = (
        SessionCookie::Csrf.read(req),
        req.rocket().state::<CsrfKeys>(),
    ) else {
        return false;
    };
    let presented = req.headers().get_one(CSRF_HEADER).or(form_field);
    presented.is_some_and(|p| !p.is_empty() && constant_time_eq(p.as_bytes(), cookie.as_bytes()))
        && good_for_request(keys, cookie, req)
}

/// The request's CSRF cookie when it may serve this request.
pub fn valid_cookie_token<'r>(req: &'r Request<'_>) -> Option<&'r str> {
    let keys = req.rocket().state::<CsrfKeys>()?;
    SessionCookie::Csrf
        .read(req)
        .filter(|token| good_for_request(keys, token, req))
}

/// The CSRF token a page embeds in its forms: the cookie's when it may serve, or the one this
/// response will set (the cookie fairing writes the same value), so a first visit already gets
/// working forms.
pub fn csrf_token<'r>(req: &'r Request<'_>) -> &'r str {
    match valid_cookie_token(req) {
        Some(token) => token,
        None => {
            &req.local_cache(|| NewCsrfToken(new_token_for_request(req)))
                .0
        }
    }
}

struct NewCsrfToken(String);

fn new_token_for_request(req: &Request<'_>) -> String {
    match req.rocket().state::<CsrfKeys>() {
        Some(keys) => keys.issue(request_session_id(req).unwrap_or_default()),
        None => new_id(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_good_for_its_own_session_only_and_under_an_earlier_key() {
        let old = CsrfKeys::new(vec![[1; 32]]);
        let keys = CsrfKeys::new(vec![[2; 32], [1; 32]]);
        let token = keys.issue("session-a");
        assert!(keys.is_valid(&token, "session-a"));
        assert!(!keys.is_valid(&token, "session-b"));
        assert!(!keys.is_valid(&token, ""));
        assert!(
            !old.is_valid(&token, "session-a"),
            "signed with the new key"
        );
        assert!(
            keys.is_valid(&old.issue("session-a"), "session-a"),
            "old key still accepted"
        );
        let (nonce, _) = token.split_once('.').unwrap();
        assert!(!keys.is_valid(&format!("{nonce}.{}", "0".repeat(32)), "session-a"));
        assert!(!keys.is_valid(nonce, "session-a"));
        assert_ne!(keys.issue("session-a"), token, "a new nonce every time");
    }
}
