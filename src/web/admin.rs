//! `Admin<G>`: a signed-in user (`G`) whose role, read from the database with the user (never
//! from the token's claims), is `admin`; anyone else is refused with `403 forbidden`. A demoted
//! admin is refused from their next request, whatever their token still says.

use std::ops::Deref;

use rocket::outcome::try_outcome;
use rocket::request::{FromRequest, Outcome, Request};

use crate::auth::users::{Role, User};
use crate::error::ApiError;
use crate::web::guards::{refuse, CurrentUser, SessionGuard};
use crate::web::page_user::PageUser;

/// What a non-admin is told.
pub const ADMINS_ONLY: &str = "Only administrators may do this.";

/// `G`, an admin.
#[derive(Debug, Clone)]
pub struct Admin<G>(pub G);

/// The JSON API's admin: `CurrentUser` with the admin role.
pub type AdminUser = Admin<CurrentUser>;
/// The pages' admin: `PageUser` with the admin role.
pub type PageAdmin = Admin<PageUser>;

impl<G> Deref for Admin<G> {
    type Target = G;
    fn deref(&self) -> &G {
        &self.0
    }
}

impl<G: SessionGuard> SessionGuard for Admin<G> {
    fn user(&self) -> &User {
        self.0.user()
    }
    fn session_id(&self) -> &str {
        self.0.session_id()
    }
}

#[rocket::async_trait]
impl<'r, G> FromRequest<'r> for Admin<G>
where
    G: FromRequest<'r, Error = ApiError> + SessionGuard + Send,
{
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let signed_in = try_outcome!(req.guard::<G>().await);
        if signed_in.user().role != Role::Admin {
            return refuse(req, ApiError::Forbidden(ADMINS_ONLY));
        }
        Outcome::Success(Admin(signed_in))
    }
}
