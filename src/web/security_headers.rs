//! Security headers on every response: no framing, no MIME sniffing, no referrer to other sites, HSTS on
//! HTTPS sites, and a Content-Security-Policy that allows no inline script. Rocket's `Shield`
//! sets the standard ones (replacing its default, which allows same-origin framing); a small
//! fairing adds the CSP, which Shield does not know. A route that sets one of these itself keeps
//! its own value.

use rocket::fairing::{AdHoc, Fairing, Info, Kind};
use rocket::http::Header;
use rocket::request::Request;
use rocket::shield::{Frame, Hsts, NoSniff, Referrer, Shield};
use rocket::Response;

use crate::config::Settings;

/// Pages: scripts, styles and images from this origin only; forms post only here.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";
/// JSON answers load nothing; the policy only forbids framing them and running them as a page.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// Attaches the headers; needs the validated settings (`config::stage` first).
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Security headers", |rocket| async {
        // `cookie_secure` means the site is served over HTTPS: then pin browsers to it.
        let https = rocket.state::<Settings>().is_none_or(|s| s.cookie_secure);
        let mut shield = Shield::default()
            .enable(NoSniff::Enable)
            .enable(Frame::Deny)
            // Not `no-referrer`: under it a browser sends `Origin: null` with every form POST,
            // and sign-in could no longer tell its own pages from another site's. `same-origin`
            // gives other sites nothing either.
            .enable(Referrer::SameOrigin);
        if https {
            shield = shield.enable(Hsts::Enable(rocket::time::Duration::days(365)));
        }
        rocket.attach(shield).attach(ContentSecurityPolicy)
    })
}

struct ContentSecurityPolicy;

#[rocket::async_trait]
impl Fairing for ContentSecurityPolicy {
    fn info(&self) -> Info {
        Info {
            name: "Content-Security-Policy",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let path = req.uri().path();
        let is_api = path == "/api" || path.starts_with("/api/");
        let csp = if is_api { API_CSP } else { PAGE_CSP };
        for (name, value) in [
            ("Content-Security-Policy", csp),
            ("Cross-Origin-Opener-Policy", "same-origin"),
        ] {
            if !res.headers().contains(name) {
                res.set_header(Header::new(name, value));
            }
        }
    }
}
