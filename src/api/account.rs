//! `/api/account`: the account itself for a script or mobile client: rename, move to a new
//! address, delete, export. The same steps as the account page.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, routes, Route};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::account::export::AccountExport;
use crate::api::answers::NoContent;
use crate::api::refusals::refusals;
use crate::auth::users::{find_by_id, PublicUser};
use crate::error::{ApiError, ApiResult};
use crate::web::body::JsonBody;
use crate::web::guards::{Acting, CurrentUser};

pub fn routes() -> Vec<Route> {
    routes![rename, change_email, delete_account, export]
}

/// These routes in the OpenAPI document (`api/openapi.rs` mounts it at `/api`).
#[derive(OpenApi)]
#[openapi(paths(rename, change_email, delete_account, export))]
pub struct Doc;

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"name": "Ada Lovelace"}))]
struct Rename {
    /// Up to 100 characters, no control characters; may be empty.
    #[schema(max_length = 100, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    name: String,
}

#[derive(Serialize, ToSchema)]
struct UserAnswer {
    user: PublicUser,
}

refusals!(RenameRefusals: [current_user_writes, json_body], InvalidInput("name: at most 100 characters, no control characters".into()));
/// Renames the account.
#[utoipa::path(tag = "account", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    request_body = Rename,
    responses((status = 200, description = "The renamed user", body = UserAnswer),
        RenameRefusals))]
#[patch("/account", data = "<body>")]
async fn rename(
    me: Acting<'_, CurrentUser>,
    body: JsonBody<Rename>,
) -> ApiResult<Json<UserAnswer>> {
    me.auth.rename(me.user(), &body.0.name).await?;
    let user = find_by_id(me.auth.db, me.user().id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(UserAnswer {
        user: PublicUser::from(&user),
    }))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"email": "ada@new.example.com", "password": "correct horse battery staple"}))]
struct EmailChange {
    /// The new address; the account moves there when the link mailed to it is followed.
    #[schema(format = Email, max_length = 254)]
    email: String,
    #[schema(min_length = 1, max_length = 1024)]
    password: String,
}

refusals!(EmailRefusals: [current_user_writes, json_body], ReauthRequired, InvalidCredentials, InvalidEmail, InvalidInput("That is already your address.".into()), EmailTaken, RateLimited(60), Busy(1));
/// Starts moving the account to a new address, as the account page does.
///
/// A sensitive step (recent authentication, and the password, counted like a sign-in). A link
/// goes to the new address; nothing changes until it is followed.
#[utoipa::path(tag = "account", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    request_body = EmailChange,
    responses((status = 202, description = "A confirmation link is on its way to the new address"),
        EmailRefusals))]
#[post("/account/email", data = "<body>")]
async fn change_email(
    me: Acting<'_, CurrentUser>,
    body: JsonBody<EmailChange>,
) -> ApiResult<Status> {
    let EmailChange { email, password } = body.0;
    me.auth
        .by_mail()
        .request_email_change(me.user(), me.sid(), &email, password, &me.client)
        .await?;
    Ok(Status::Accepted)
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"password": "correct horse battery staple"}))]
struct PasswordConfirmation {
    #[schema(min_length = 1, max_length = 1024)]
    password: String,
}

refusals!(DeleteRefusals: [current_user_writes, json_body], ReauthRequired, InvalidCredentials, LastAdmin, InvalidInput("expected struct PasswordConfirmation".into()), RateLimited(60));
/// Deletes the account: the user, their sessions and pending links go; their security events
/// stay under the id, which is never reused. This device's cookies are cleared.
///
/// A sensitive step: recent authentication, and the password (counted like a sign-in). The last
/// active admin cannot delete their account (`409 last_admin`).
#[utoipa::path(tag = "account", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    request_body = PasswordConfirmation,
    responses((status = 204, description = "The account is gone"), DeleteRefusals))]
#[delete("/account", data = "<body>")]
async fn delete_account(
    me: Acting<'_, CurrentUser>,
    body: JsonBody<PasswordConfirmation>,
) -> ApiResult<NoContent> {
    let password = body.0.password;
    me.auth
        .delete_account(me.user(), me.sid(), password, &me.client)
        .await?;
    Ok(NoContent { sign_out: true })
}

refusals!(ExportRefusals: [current_user], ReauthRequired);
/// Everything stored about the caller: the user, every session, every security event, the
/// second factor's state. No secrets: no password hash, token, TOTP secret or recovery code.
///
/// A sensitive step: recent authentication.
#[utoipa::path(tag = "account", security(("bearer" = []), ("access_cookie" = [])),
    responses((status = 200, description = "The caller's data", body = AccountExport),
        ExportRefusals))]
#[get("/account/export")]
async fn export(me: Acting<'_, CurrentUser>) -> ApiResult<Json<AccountExport>> {
    Ok(Json(me.auth.export(me.user(), me.sid()).await?))
}
