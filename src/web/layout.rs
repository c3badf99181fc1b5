//! What every page's layout needs: the CSRF token for its forms, the flash message of the last
//! action, and who is signed in (for the header).

use std::convert::Infallible;

use rocket::request::{FlashMessage, FromRequest, Outcome, Request};
use rocket_dyn_templates::{context, Template};
use serde::Serialize;

use crate::auth::users::{Role, User};
use crate::config::Settings;
use crate::web::csrf::csrf_token;

pub struct Layout {
    csrf: String,
    flash: Option<FlashView>,
    /// Passkeys are on (`public_url` is a domain name): the pages offer them.
    passkeys: bool,
}

fn passkeys_on(req: &Request<'_>) -> bool {
    req.rocket()
        .state::<Settings>()
        .is_some_and(|s| s.passkeys.enabled())
}

#[derive(Serialize)]
struct FlashView {
    /// One of a fixed set: it becomes a CSS class.
    kind: &'static str,
    message: String,
}

#[derive(Serialize)]
struct Viewer<'a> {
    name: &'a str,
    email: &'a str,
    /// The navigation links the admin console for admins only.
    admin: bool,
}

impl Layout {
    /// The layout without reading (and so without consuming) the flash message: for error pages.
    pub fn without_flash(req: &Request<'_>) -> Layout {
        Layout {
            csrf: csrf_token(req).to_owned(),
            flash: None,
            passkeys: passkeys_on(req),
        }
    }

    /// Renders `templates/<name>.html.tera` with `page` as its own context.
    pub fn render(
        self,
        name: &'static str,
        viewer: Option<&User>,
        page: impl Serialize,
    ) -> Template {
        let viewer = viewer.map(|v| Viewer {
            name: &v.name,
            email: &v.email,
            admin: v.role == Role::Admin,
        });
        Template::render(
            name,
            context! { csrf: self.csrf, flash: self.flash, passkeys: self.passkeys, viewer, page },
        )
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Layout {
    type Error = Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Infallible> {
        let flash = match req.guard::<Option<FlashMessage<'_>>>().await {
            Outcome::Success(Some(flash)) => {
                let (kind, message) = flash.into_inner();
                let kind = match kind.as_str() {
                    "success" => "success",
                    "error" => "error",
                    _ => "info",
                };
                Some(FlashView { kind, message })
            }
            _ => None,
        };
        Outcome::Success(Layout {
            csrf: csrf_token(req).to_owned(),
            flash,
            passkeys: passkeys_on(req),
        })
    }
}
