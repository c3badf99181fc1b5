//! `CsrfForm<T>`: a page form that passed the double-submit CSRF check (`_csrf` field equal to
//! the `csrf_token` cookie) before any of its fields are read. Every page POST takes one.

use rocket::data::{self, Data, FromData, Limits};
use rocket::form::{Form, FromForm};
use rocket::http::{RawStr, Status};
use rocket::request::Request;

use crate::error::ApiError;
use crate::web::csrf::csrf_matches;
use crate::web::guards::GuardError;

pub const CSRF_FIELD: &str = "_csrf";

pub struct CsrfForm<T>(pub T);

/// A form with nothing but its CSRF token (sign out, revoke).
#[derive(FromForm)]
pub struct Confirm {
    #[field(name = "_csrf")]
    _csrf: Option<String>,
}

fn refuse<'r, T>(req: &Request<'_>, error: ApiError) -> data::Outcome<'r, T, ApiError> {
    req.local_cache(|| GuardError(Some(error.clone())));
    data::Outcome::Error((error.status(), error))
}

#[rocket::async_trait]
impl<'r, T> FromData<'r> for CsrfForm<T>
where
    T: for<'v> FromForm<'v> + Send + 'static,
{
    type Error = ApiError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        // Any other body type carries no `_csrf` field: it fails the check below.
        let body = if req.content_type().is_some_and(|ct| ct.is_form()) {
            let limit = req.limits().get("form").unwrap_or(Limits::FORM);
            match data.open(limit).into_string().await {
                Ok(body) if body.is_complete() => body.into_inner(),
                Ok(_) => return refuse(req, ApiError::PayloadTooLarge),
                Err(_) => return refuse(req, ApiError::Status(Status::BadRequest)),
            }
        } else {
            String::new()
        };
        // `values` leaves fields percent-encoded; the token is hex, but decode it all the same.
        let token = Form::values(&body)
            .find(|field| field.name == CSRF_FIELD)
            .map(|field| RawStr::new(field.value).url_decode_lossy());
        if !csrf_matches(req, token.as_deref()) {
            return refuse(req, ApiError::CsrfFailed);
        }
        match Form::<T>::parse_encoded(RawStr::new(&body)) {
            Ok(value) => data::Outcome::Success(CsrfForm(value)),
            Err(errors) => {
                let fields: Vec<String> = errors
                    .iter()
                    .filter_map(|e| e.name.as_ref().map(|n| n.to_string()))
                    .collect();
                let message = format!("Please fill in: {}.", fields.join(", "));
                refuse(req, ApiError::InvalidInput(message))
            }
        }
    }
}
