//! What every page's layout needs: the CSRF token for its forms, the flash message of the last
//! action, and who is signed in (for the header).

use std::convert::Infallible;
use std::path::PathBuf;

use rocket::fairing::Fairing;

use rocket::request::{FlashMessage, FromRequest, Outcome, Request};
use rocket_dyn_templates::{context, Template};
use serde::Serialize;

use crate::assets::{bare_name, Source};
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

    /// Renders `templates/<name>.html.tera` (named `<name>.html`: see `assets`) with `page` as
    /// its own context.
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
            format!("{name}.html"),
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

/// The pages' templates, from `source` (see `assets`). rocket_dyn_templates also loads every
/// `.tera` file under `template_dir` by its bare name and, in a debug build, loads them again
/// when one changes (running this again, so the named copies follow).
pub fn templates(source: Source) -> impl Fairing {
    Template::try_custom(move |engines| {
        let tera = &mut engines.tera;
        let mut named = Vec::new();
        for (name, text) in source.templates()? {
            let bare = bare_name(&name);
            if bare != name && tera.get_template(bare).is_err() {
                named.push((bare.to_owned(), text.clone()));
            }
            named.push((name, text));
        }
        tera.add_raw_templates(named)?;
        Ok(())
    })
}

/// What rocket_dyn_templates should scan for `.tera` files (it insists on one existing path):
/// the operator's folder; in a debug build the source tree's, so an edit reloads the pages;
/// in a release build the binary itself, a file and no template, so only the embedded ones count.
pub fn template_scan_path(source: &Source) -> PathBuf {
    match source {
        Source::Folder(dir) => dir.clone(),
        Source::Embedded => source_tree_or_binary(),
    }
}

#[cfg(debug_assertions)]
fn source_tree_or_binary() -> PathBuf {
    PathBuf::from(rocket::fs::relative!("templates"))
}

/// Never the source tree's path: a release binary names nothing outside itself.
#[cfg(not(debug_assertions))]
fn source_tree_or_binary() -> PathBuf {
    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"))
}
