//! Errors as pages: `PageError` for handlers, and the HTML catcher for everything outside `/api`
//! (unknown pages, refused guards and forms, 401 → the sign-in page).

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Redirect, Responder};
use rocket::{catch, Catcher};
use serde::Serialize;

use crate::auth::users::User;
use crate::error::ApiError;
use crate::pages::next::SafeNext;
use crate::pages::time::wait;
use crate::pages::OneOf;
use crate::web::cookies::is_unsafe_method;
use crate::web::guards::{error_for, Unverified};
use crate::web::layout::Layout;
use crate::web::page_user::SignInRequired;

/// A handler's refusal, shown as the error page with the error's status.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError(error)
    }
}

pub type PageResult<T> = Result<T, PageError>;

#[derive(Serialize)]
struct ErrorView {
    status: u16,
    title: &'static str,
    message: String,
}

fn error_view(error: &ApiError) -> ErrorView {
    let status = error.status();
    let (title, message) = match error {
        ApiError::CsrfFailed => (
            "This form has expired",
            "The form was sent without its security token, or from another site. Go back, \
             reload the page and try again."
                .to_owned(),
        ),
        ApiError::Forbidden(why) => ("Not allowed", (*why).to_owned()),
        ApiError::CrossSiteRequest => (
            "Sent from another site",
            "This was sent from a page of another site, so it was refused. Open this site \
             directly and try again."
                .to_owned(),
        ),
        ApiError::InvalidInput(why) | ApiError::WeakPassword(why) => {
            ("That did not work", why.clone())
        }
        ApiError::InvalidToken => (
            "This link does not work",
            "The link is invalid, has expired, or was used already. Ask for a new one.".to_owned(),
        ),
        ApiError::EmailTaken | ApiError::LastAdmin => ("That did not work", error.message()),
        ApiError::RateLimited(seconds) => (
            "Too many attempts",
            format!("Please wait {} and try again.", wait(*seconds)),
        ),
        _ => match status.code {
            401 => (
                "Please sign in",
                "This page needs you to be signed in.".to_owned(),
            ),
            403 => ("Not allowed", "You may not do that.".to_owned()),
            404 => (
                "Page not found",
                "There is nothing here, or it is not yours to see.".to_owned(),
            ),
            413 => ("Too large", "What you sent is too large.".to_owned()),
            422 => (
                "That did not work",
                "The form was incomplete or not understood.".to_owned(),
            ),
            429 => (
                "Too many attempts",
                "Please wait a minute and try again.".to_owned(),
            ),
            503 => (
                "Back in a moment",
                "We cannot reach our database right now. Nothing is lost: please try again \
                 in a moment."
                    .to_owned(),
            ),
            500..=599 => (
                "Something went wrong",
                "Something went wrong on our side. Please try again in a moment.".to_owned(),
            ),
            _ => ("Error", status.reason_lossy().to_owned()),
        },
    };
    ErrorView {
        status: status.code,
        title,
        message,
    }
}

/// The "check your mail" page: the address the link went to, and a way to get another.
pub fn check_email_view(user: &User) -> serde_json::Value {
    serde_json::json!({ "email": user.email })
}

impl<'r> Responder<'r, 'static> for PageError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        if self.0 == ApiError::ReauthRequired {
            // A sensitive form on a session that has not proved itself lately: ask, then back to
            // the page the form was on.
            let path = req.uri().path().as_str();
            let admin_page: String = path.split('/').take(4).collect::<Vec<_>>().join("/");
            let back = match path {
                p if p.starts_with("/sessions") => "/sessions",
                "/account/password" => "/account/password",
                // An admin's action: back to the user's page.
                p if p.starts_with("/admin/users/") => admin_page.as_str(),
                _ => "/account",
            };
            let to = SafeNext::parse(Some(back)).url_from("/reauth");
            return Redirect::to(to).respond_to(req);
        }
        let layout = Layout::without_flash(req);
        let page = match (&self.0, &req.local_cache(|| Unverified(None)).0) {
            // `PageUser` refused an unverified address: what to do about it, not an error.
            (ApiError::EmailUnverified, Some(user)) => {
                layout.render("check_email", Some(user), check_email_view(user))
            }
            _ => layout.render("error", None, error_view(&self.0)),
        };
        let mut response = page.respond_to(req)?;
        self.0.apply_side_effects(req, &mut response);
        Ok(response)
    }
}

/// Every error outside `/api`. A page that forwarded for want of a user (`PageUser`) sends the
/// browser to sign in, coming back to the same page afterwards (for a GET).
#[catch(default)]
pub fn html_catcher(status: Status, req: &Request<'_>) -> OneOf<Redirect, PageError> {
    if status == Status::Unauthorized && req.local_cache(|| SignInRequired(false)).0 {
        let next = if is_unsafe_method(req) {
            // A form's target is no page to come back to.
            SafeNext::parse(None)
        } else {
            SafeNext::parse(Some(&req.uri().to_string()))
        };
        return OneOf::Left(Redirect::to(next.login_url()));
    }
    OneOf::Right(PageError(error_for(req, status)))
}

pub fn catchers() -> Vec<Catcher> {
    rocket::catchers![html_catcher]
}
