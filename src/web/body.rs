//! JSON request bodies that only a script can send. Rocket's `Json` guard reads any body whatever
//! its `Content-Type`, so a cross-site `<form enctype="text/plain">` could post JSON-looking text
//! to the API without a CORS preflight. These guards want `Content-Type: application/json`
//! (or `…+json`) first: `415 unsupported_media_type` otherwise.

use rocket::data::{self, Data, FromData};
use rocket::request::Request;
use rocket::serde::json::Json;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::web::guards::GuardError;

/// A required JSON body, parsed into `T`.
pub struct JsonBody<T>(pub T);

/// A JSON body that may be absent altogether (no `Content-Type`, no bytes): the refresh token in
/// the body is optional where the cookie can carry it.
pub struct OptionalJsonBody<T>(pub Option<T>);

fn declares_json(req: &Request<'_>) -> bool {
    req.content_type()
        .is_some_and(|ct| ct.is_json() || ct.sub().as_str().to_ascii_lowercase().ends_with("+json"))
}

fn refuse<'r, T>(req: &Request<'_>, error: ApiError) -> data::Outcome<'r, T, ApiError> {
    req.local_cache(|| GuardError(Some(error.clone())));
    data::Outcome::Error((error.status(), error))
}

async fn parse<'r, T: DeserializeOwned>(
    req: &'r Request<'_>,
    data: Data<'r>,
) -> data::Outcome<'r, T, ApiError> {
    if !declares_json(req) {
        return refuse(req, ApiError::UnsupportedMediaType);
    }
    match Json::<T>::from_data(req, data).await {
        data::Outcome::Success(Json(value)) => data::Outcome::Success(value),
        data::Outcome::Error((_, e)) => refuse(req, ApiError::from(e)),
        data::Outcome::Forward(f) => data::Outcome::Forward(f),
    }
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = ApiError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        parse(req, data).await.map(JsonBody)
    }
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for OptionalJsonBody<T> {
    type Error = ApiError;

    async fn from_data(req: &'r Request<'_>, mut data: Data<'r>) -> data::Outcome<'r, Self> {
        let declared_other = req.content_type().is_some() && !declares_json(req);
        if !declared_other && data.peek(1).await.is_empty() {
            return data::Outcome::Success(OptionalJsonBody(None));
        }
        parse(req, data)
            .await
            .map(|value| OptionalJsonBody(Some(value)))
    }
}
