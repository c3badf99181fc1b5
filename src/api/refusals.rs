//! What a route refuses, for the OpenAPI document: `refusals!` declares one route's list, built
//! from the named sets below (what a JSON body, an access token or a signed-in user can be
//! refused with) and the route's own errors, each documented from `ApiError` itself.

use std::collections::BTreeMap;

use rocket::http::Status;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};

use crate::error::ApiError::{self, *};

/// A JSON body (`JsonBody`): unreadable, too large, or not declared `application/json`.
pub fn json_body() -> Vec<ApiError> {
    vec![MalformedJson, PayloadTooLarge, UnsupportedMediaType]
}

/// `SameSiteRequest`: sent by another site's page.
pub fn same_site() -> Vec<ApiError> {
    vec![CrossSiteRequest]
}

/// An access token (`Claims`): missing or bad, or expired.
pub fn signed_in() -> Vec<ApiError> {
    vec![Unauthorized, TokenExpired]
}

/// `CurrentUser` on a safe method: the token, and the verified address when it is required.
pub fn current_user() -> Vec<ApiError> {
    vec![Unauthorized, TokenExpired, EmailUnverified]
}

/// `CurrentUser` on an unsafe method: a cookie-borne token also needs the CSRF token.
pub fn current_user_writes() -> Vec<ApiError> {
    vec![Unauthorized, TokenExpired, CsrfFailed, EmailUnverified]
}

/// `AdminUser` on a safe method: a signed-in user who is an admin (`403 forbidden` otherwise).
pub fn admin() -> Vec<ApiError> {
    vec![
        Unauthorized,
        TokenExpired,
        EmailUnverified,
        Forbidden(crate::web::admin::ADMINS_ONLY),
    ]
}

/// An admin's change: `admin` with the CSRF token for cookies, and recent authentication.
pub fn admin_writes() -> Vec<ApiError> {
    vec![
        Unauthorized,
        TokenExpired,
        CsrfFailed,
        EmailUnverified,
        Forbidden(crate::web::admin::ADMINS_ONLY),
        ReauthRequired,
    ]
}

/// `refusals!(Name: [set, …], Variant, Variant(..), …)` declares `Name`, the refusals of one
/// route for `#[utoipa::path(responses(…, Name))]`: the named sets' errors and the listed ones,
/// one response per status, the `ErrorBody` schema with its `code` narrowed to the listed codes,
/// and each variant's own body as an example.
macro_rules! refusals {
    ($name:ident: [$($set:ident),* $(,)?] $(, $error:expr)* $(,)?) => {
        /// The refusals of the route below, for the OpenAPI document.
        struct $name;

        impl utoipa::IntoResponses for $name {
            // With no named set (`[]`), the list is only pushed to.
            #[allow(clippy::vec_init_then_push)]
            fn responses() -> std::collections::BTreeMap<
                String,
                utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
            > {
                #[allow(unused_imports)]
                use $crate::error::ApiError::*;
                let mut errors: Vec<$crate::error::ApiError> = Vec::new();
                $(errors.extend($crate::api::refusals::$set());)*
                $(errors.push($error);)*
                $crate::api::refusals::refusal_responses(&errors)
            }
        }
    };
}
pub(crate) use refusals;

/// The answers `refusals!` documents, grouped by status.
pub fn refusal_responses(errors: &[ApiError]) -> BTreeMap<String, RefOr<Response>> {
    let mut by_status: BTreeMap<u16, Vec<&ApiError>> = BTreeMap::new();
    for error in errors {
        by_status
            .entry(error.status().code)
            .or_default()
            .push(error);
    }
    by_status
        .into_iter()
        .map(|(status, errors)| (status.to_string(), refusal(status, &errors).into()))
        .collect()
}

fn refusal(status: u16, errors: &[&ApiError]) -> Response {
    let codes: Vec<&str> = errors.iter().map(|e| e.code()).collect();
    let code = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes.clone()));
    let narrowed =
        ObjectBuilder::new().property("error", ObjectBuilder::new().property("code", code));
    let schema = AllOfBuilder::new()
        .item(Ref::from_schema_name("ErrorBody"))
        .item(narrowed)
        .build();
    let examples = errors.iter().map(|e| {
        let body = serde_json::to_value(e.body()).expect("an error body is plain JSON");
        (e.code(), ExampleBuilder::new().value(Some(body)).build())
    });
    let content = ContentBuilder::new()
        .schema(Some(utoipa::openapi::Schema::AllOf(schema)))
        .examples_from_iter(examples)
        .build();
    let reason = Status::from_code(status).map_or("", |s| s.reason_lossy());
    let codes: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
    let response = ResponseBuilder::new()
        .description(format!("{reason}: {}", codes.join(", ")))
        .content("application/json", content);
    let waits = errors
        .iter()
        .any(|e| matches!(e, ApiError::RateLimited(_) | ApiError::Busy(_)));
    if !waits {
        return response.build();
    }
    let retry_after = HeaderBuilder::new()
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1)),
        ))
        .description(Some("Seconds to wait before trying again"))
        .build();
    response.header("Retry-After", retry_after).build()
}
