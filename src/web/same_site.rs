//! `SameSiteRequest`: the request was not sent by a page of another site. Sign-in, sign-up,
//! refresh and logout (API and pages) take it, so another site can neither sign a visitor in as
//! someone else (login CSRF) nor sign them out.
//!
//! The browser says where a request comes from: `Origin` on every cross-origin request and every
//! POST, `Sec-Fetch-Site` on every request of a current browser. An `Origin` is accepted when its
//! host is the request's own `Host` (the scheme is left out: a TLS-terminating proxy changes it)
//! or it is listed in `allowed_origins`; without `Origin`, `Sec-Fetch-Site: cross-site` is
//! refused. A client that sends neither (curl, a mobile app, a service) is not a browser page and
//! passes: these requests carry no ambient credentials of a victim.

use rocket::request::{FromRequest, Outcome, Request};

use crate::config::Settings;
use crate::error::ApiError;
use crate::web::guards::refuse;

pub struct SameSiteRequest;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SameSiteRequest {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        match is_same_site(req) {
            true => Outcome::Success(SameSiteRequest),
            false => refuse(req, ApiError::CrossSiteRequest),
        }
    }
}

fn is_same_site(req: &Request<'_>) -> bool {
    let headers = req.headers();
    match headers.get_one("Origin") {
        Some(origin) => {
            let settings = req.rocket().state::<Settings>();
            let allowed = settings.map_or(&[][..], |s| &s.allowed_origins[..]);
            is_own_origin(origin, headers.get_one("Host"), allowed)
        }
        None => headers.get_one("Sec-Fetch-Site") != Some("cross-site"),
    }
}

/// `origin` is `scheme://host[:port]` (or `null`, which is nobody's).
pub fn is_own_origin(origin: &str, host: Option<&str>, allowed: &[String]) -> bool {
    let origin = origin.trim().trim_end_matches('/');
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let authority = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .filter(|rest| !rest.is_empty() && !rest.contains('/'));
    match (authority, host) {
        (Some(authority), Some(host)) => authority.eq_ignore_ascii_case(host.trim()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_own_origin;

    #[test]
    fn an_origin_is_own_when_its_host_is_the_requests_or_it_is_allowed() {
        let host = Some("app.example.com");
        assert!(is_own_origin("https://app.example.com", host, &[]));
        assert!(is_own_origin("http://APP.example.com", host, &[]));
        assert!(!is_own_origin("https://evil.example", host, &[]));
        assert!(!is_own_origin("https://app.example.com.evil", host, &[]));
        assert!(!is_own_origin("null", host, &[]));
        assert!(!is_own_origin("https://app.example.com", None, &[]));
        assert!(!is_own_origin("https://app.example.com:8443", host, &[]));
        assert!(is_own_origin(
            "http://localhost:8000",
            Some("localhost:8000"),
            &[]
        ));
        let spa = ["https://spa.example.org".to_owned()];
        assert!(is_own_origin("https://spa.example.org", host, &spa));
        assert!(!is_own_origin("https://spa.example.org.evil", host, &spa));
    }
}
