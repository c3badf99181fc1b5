//! Security headers on every response: no framing, no MIME sniffing, no referrer to other sites,
//! HSTS on HTTPS sites, a Content-Security-Policy that allows no inline script, and
//! `Cache-Control: no-store` on everything but `/static/`. A route that sets one of these itself
//! keeps its own value (the JWKS its caching).
//!
//! One fairing sets them all, in place of Rocket's `Shield` (attached empty, which turns off its
//! default): Shield looks each header up before setting it, and every lookup in a response's
//! header map hashes the name byte by byte with SipHash, about 1.5k instructions a header. Here
//! one pass over the few headers the route set finds its own, then each missing one is set once
//! (bench/README.md, "The refresh path").

use rocket::fairing::{AdHoc, Fairing, Info, Kind};
use rocket::http::Header;
use rocket::request::Request;
use rocket::shield::Shield;
use rocket::Response;

use crate::config::Settings;

/// Pages: scripts, styles and images from this origin only; forms post only here.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";
/// JSON answers load nothing; the policy only forbids framing them and running them as a page.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// On every answer.
const ALWAYS: [(&str, &str); 5] = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    // Not `no-referrer`: under it a browser sends `Origin: null` with every form POST, and
    // sign-in could no longer tell its own pages from another site's. `same-origin` gives other
    // sites nothing either.
    ("Referrer-Policy", "same-origin"),
    // Rocket's Shield default, kept.
    ("Permissions-Policy", "interest-cohort=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
];

/// One year; sent only where `cookie_secure` says the site is served over HTTPS.
const HSTS: (&str, &str) = ("Strict-Transport-Security", "max-age=31536000");

/// Attaches the headers; needs the validated settings (`config::stage` first).
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Security headers", |rocket| async {
        // `cookie_secure` means the site is served over HTTPS: then pin browsers to it.
        let hsts = rocket.state::<Settings>().is_none_or(|s| s.cookie_secure);
        rocket
            .attach(Shield::new())
            .attach(SecurityHeaders { hsts })
    })
}

struct SecurityHeaders {
    hsts: bool,
}

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
        let is_api = path == "/api" || path.starts_with("/api/");
        let csp = (
            "Content-Security-Policy",
            if is_api { API_CSP } else { PAGE_CSP },
        );
        let no_store = ("Cache-Control", "no-store");
        let wanted = ALWAYS
            .into_iter()
            .chain([csp])
            .chain(self.hsts.then_some(HSTS))
            .chain((!path.starts_with("/static/")).then_some(no_store));
        let mut set_by_route = 0u16;
        for header in res.headers().iter() {
            for (i, (name, _)) in wanted.clone().enumerate() {
                if header.name().as_str().eq_ignore_ascii_case(name) {
                    set_by_route |= 1 << i;
                }
            }
        }
        for (i, (name, value)) in wanted.enumerate() {
            if set_by_route & (1 << i) == 0 {
                res.set_header(Header::new(name, value));
            }
        }
    }
}
