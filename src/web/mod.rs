//! The Rocket edge: who is calling (guards), the session cookies and the CSRF token around them,
//! same-site checks, JSON bodies that only a script can send, the page layout's shared state and
//! the security headers. The rooms below know nothing of requests; `api/` and `pages/` above
//! are thin handlers over both.

pub mod admin;
pub mod body;
pub mod client;
pub mod cookies;
pub mod csrf;
pub mod form;
pub mod guards;
pub mod layout;
pub mod page_user;
pub mod refresh;
pub mod same_site;
pub mod security_headers;
pub mod static_files;

use rocket::fairing::AdHoc;

use crate::auth::tokens::Tokens;

/// The CSRF keys (derived once from the signing keys) and the cookie fairing; after `auth::stage`.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Web edge", |rocket| async move {
        let Some(tokens) = rocket.state::<Tokens>() else {
            return Err(rocket);
        };
        let csrf_keys = csrf::CsrfKeys::new(tokens.keys.derive("csrf"));
        Ok(rocket.manage(csrf_keys).attach(cookies::CookieFairing))
    })
}
