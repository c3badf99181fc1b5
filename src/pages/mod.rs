//! The server-rendered pages (Tera templates in `templates/`): thin handlers over `auth/`.
//! `PageUser` decides who is browsing, `CsrfForm` guards every form, and the HTML catcher turns
//! errors into pages and "no user" into a trip to `/login?next=…`.

mod account;
mod admin;
mod by_mail;
mod devices;
mod errors;
mod mfa;
mod next;
mod oidc;
mod passkeys;
mod settings;
mod time;

use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket::Route;

use crate::auth::sessions::Issued;
use crate::web::cookies::{Audience, CookieAction};

pub use crate::web::form::{Confirm, CsrfForm};
pub use crate::web::layout::Layout;
pub use crate::web::page_user::{PageSessionUser, PageUser};
pub use errors::{catchers, PageError, PageResult};
pub use next::SafeNext;

pub fn routes() -> Vec<Route> {
    let mut routes = account::routes();
    routes.extend(admin::routes());
    routes.extend(by_mail::routes());
    routes.extend(devices::routes());
    routes.extend(mfa::routes());
    routes.extend(oidc::routes());
    routes.extend(passkeys::routes());
    routes.extend(settings::routes());
    routes
}

/// A response that also sets or clears this browser's session cookies (the fairing writes them).
pub struct WithCookies<R> {
    action: CookieAction,
    inner: R,
}

impl<R> WithCookies<R> {
    /// Signed in on this device: both HttpOnly cookies, access and refresh.
    pub fn signed_in(issued: Issued, inner: R) -> Self {
        WithCookies {
            action: CookieAction::signed_in(&issued, Audience::Pages),
            inner,
        }
    }

    pub fn signed_out(inner: R) -> Self {
        WithCookies {
            action: CookieAction::ClearSession,
            inner,
        }
    }
}

impl<'r, 'o: 'r, R: Responder<'r, 'o>> Responder<'r, 'o> for WithCookies<R> {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'o> {
        self.action.record(req);
        self.inner.respond_to(req)
    }
}

/// One of two responses (Rocket's own `Either` is not public API).
#[derive(rocket::Responder)]
pub enum OneOf<A, B> {
    Left(A),
    Right(B),
}
