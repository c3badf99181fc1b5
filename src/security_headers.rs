//! Security headers on every response: no framing, no MIME sniffing, no referrer leaks, and a
//! Content-Security-Policy that allows no inline script. A route that sets one of these itself
//! keeps its own value.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::request::Request;
use rocket::Response;

use crate::config::Settings;

/// Pages: scripts, styles and images from this origin only; forms post only here.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";
/// JSON answers load nothing; the policy only forbids framing and rendering them as a page.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

pub struct SecurityHeaders;

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "Security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let path = req.uri().path();
        let is_api = path.starts_with("/api/") || path == "/api";
        let csp = if is_api { API_CSP } else { PAGE_CSP };
        let mut headers = vec![
            ("Content-Security-Policy", csp),
            ("X-Frame-Options", "DENY"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
        ];
        // `cookie_secure` means the site is served over HTTPS: then pin browsers to it.
        if req
            .rocket()
            .state::<Settings>()
            .is_some_and(|s| s.cookie_secure)
        {
            headers.push(("Strict-Transport-Security", "max-age=31536000"));
        }
        for (name, value) in headers {
            if !res.headers().contains(name) {
                res.set_header(Header::new(name, value));
            }
        }
    }
}
