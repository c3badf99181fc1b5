//! `/api/account/passkeys*` and `/api/auth/passkey*`: add, list, rename and remove passkeys;
//! sign in with a passkey alone; the second step of a password sign-in with a passkey.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, routes, Route};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use crate::api::answers::{NoContent, SignedIn, TokenAnswer};
use crate::api::refusals::refusals;
use crate::config::passkeys::PASSKEYS_OFF;
use crate::error::ApiResult;
use crate::passkeys::credentials::PublicPasskey;
use crate::passkeys::steps::Started;
use crate::web::body::JsonBody;
use crate::web::guards::{Acting, CurrentUser, Visitor};
use crate::web::same_site::SameSiteRequest;

pub fn routes() -> Vec<Route> {
    routes![
        register_start,
        register_finish,
        list,
        rename,
        remove,
        sign_in_start,
        sign_in_finish,
        second_step_start,
        second_step_finish
    ]
}

/// These routes in the OpenAPI document (`api/openapi.rs` mounts it at `/api`).
#[derive(OpenApi)]
#[openapi(paths(
    register_start,
    register_finish,
    list,
    rename,
    remove,
    sign_in_start,
    sign_in_finish,
    second_step_start,
    second_step_finish
))]
pub struct Doc;

/// A ceremony's start: name `challenge_id` in its finish, give `options` to the browser.
#[derive(Serialize, ToSchema)]
struct Challenge {
    /// Names this ceremony in its finish; good for 5 minutes and one finish.
    #[schema(example = "4c1f9a572f1b3c4d5e6f9b2f0c1e8d7a")]
    challenge_id: String,
    /// `PublicKeyCredentialCreationOptionsJSON` (registration) or
    /// `PublicKeyCredentialRequestOptionsJSON` (sign-in), WebAuthn Level 3: binary fields in
    /// base64url. `PublicKeyCredential.parseCreationOptionsFromJSON` /
    /// `parseRequestOptionsFromJSON` take it as it is (or `static/js/passkeys.js`).
    #[schema(value_type = Object)]
    options: serde_json::Value,
}

impl From<Started> for Challenge {
    fn from(started: Started) -> Challenge {
        Challenge {
            challenge_id: started.challenge_id,
            options: started.options,
        }
    }
}

/// The new credential (`RegistrationResponseJSON`, what `PublicKeyCredential.toJSON()` gives).
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"challenge_id": "4c1f9a572f1b3c4d5e6f9b2f0c1e8d7a",
    "credential": {"id": "…", "rawId": "…", "type": "public-key",
        "response": {"clientDataJSON": "…", "attestationObject": "…"}},
    "name": "MacBook Touch ID"}))]
struct RegistrationFinish {
    challenge_id: String,
    #[schema(value_type = Object)]
    credential: RegisterPublicKeyCredential,
    /// 1 to 64 characters; by default the browser and system it was added on.
    #[schema(max_length = 64)]
    name: Option<String>,
}

/// A signed challenge (`AuthenticationResponseJSON`, what `PublicKeyCredential.toJSON()` gives).
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"challenge_id": "4c1f9a572f1b3c4d5e6f9b2f0c1e8d7a",
    "credential": {"id": "…", "rawId": "…", "type": "public-key",
        "response": {"clientDataJSON": "…", "authenticatorData": "…", "signature": "…",
            "userHandle": "…"}}}))]
struct Assertion {
    challenge_id: String,
    #[schema(value_type = Object)]
    credential: PublicKeyCredential,
}

/// The ticket from `login`'s `202`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"mfa_token": "eyJ…"}))]
struct TicketOnly {
    mfa_token: String,
}

/// The ticket from `login`'s `202` and a signed challenge of `second_step_start`.
#[derive(Deserialize, ToSchema)]
struct TicketAndAssertion {
    mfa_token: String,
    challenge_id: String,
    #[schema(value_type = Object)]
    credential: PublicKeyCredential,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"name": "Work laptop"}))]
struct NewName {
    /// 1 to 64 characters, no control characters.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
}

#[derive(Serialize, ToSchema)]
struct OnePasskey {
    passkey: PublicPasskey,
}

#[derive(Serialize, ToSchema)]
struct PasskeyList {
    passkeys: Vec<PublicPasskey>,
}

refusals!(RegisterStartRefusals: [current_user_writes], ReauthRequired, Forbidden(PASSKEYS_OFF));
/// Starts adding a passkey to the account: the options for `navigator.credentials.create`.
///
/// Where `public_url` is an IP address (and no `webauthn_rp_id` is set), passkeys are off and
/// every ceremony route answers `403 forbidden`: browsers refuse an IP as relying-party id.
///
/// A sensitive step: the session must have signed in or re-authenticated in the last 10 minutes
/// (`401 reauth_required`). The account's passkeys are excluded; a resident key (discoverable
/// credential) and user verification are required.
#[utoipa::path(tag = "passkeys", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    responses((status = 200, description = "The ceremony's id and the creation options",
        body = Challenge), RegisterStartRefusals))]
#[post("/account/passkeys/register/start")]
async fn register_start(me: Acting<'_, CurrentUser>) -> ApiResult<Json<Challenge>> {
    let started = me
        .auth
        .passkeys()
        .start_registration(me.user(), me.sid())
        .await?;
    Ok(Json(started.into()))
}

refusals!(RegisterFinishRefusals: [json_body, current_user_writes], InvalidPasskeyRegistration, PasskeyTaken,
    InvalidInput("name: 1 to 64 characters, no control characters".into()), Forbidden(PASSKEYS_OFF));
/// Finishes adding a passkey with the browser's new credential.
///
/// `400 invalid_passkey`: the challenge is unknown, spent, older than 5 minutes or of another
/// ceremony or account, or the attestation does not verify (another origin or relying party, no
/// user verification). `409 passkey_taken`: that credential is registered already.
#[utoipa::path(tag = "passkeys", request_body = RegistrationFinish,
    security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    responses((status = 201, description = "Added", body = OnePasskey), RegisterFinishRefusals))]
#[post("/account/passkeys/register/finish", data = "<body>")]
async fn register_finish(
    me: Acting<'_, CurrentUser>,
    body: JsonBody<RegistrationFinish>,
) -> ApiResult<(Status, Json<OnePasskey>)> {
    let RegistrationFinish {
        challenge_id,
        credential,
        name,
    } = body.0;
    let passkey = me
        .auth
        .passkeys()
        .finish_registration(
            me.user(),
            me.sid(),
            &challenge_id,
            &credential,
            name.as_deref(),
            &me.client,
        )
        .await?;
    Ok((Status::Created, Json(OnePasskey { passkey })))
}

refusals!(ListRefusals: [current_user]);
/// The account's passkeys, oldest first.
#[utoipa::path(tag = "passkeys", security(("bearer" = []), ("access_cookie" = [])),
    responses((status = 200, description = "The passkeys", body = PasskeyList), ListRefusals))]
#[get("/account/passkeys")]
async fn list(me: Acting<'_, CurrentUser>) -> ApiResult<Json<PasskeyList>> {
    let passkeys = me.auth.passkeys().list(me.user()).await?;
    Ok(Json(PasskeyList { passkeys }))
}

refusals!(RenameRefusals: [json_body, current_user_writes], NotFound,
    InvalidInput("name: 1 to 64 characters, no control characters".into()));
/// Renames one of the account's passkeys. Another account's passkey is `404`, as an unknown one.
#[utoipa::path(tag = "passkeys", operation_id = "rename_passkey", request_body = NewName,
    security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A passkey id from `GET /api/account/passkeys`")),
    responses((status = 200, description = "Renamed", body = OnePasskey), RenameRefusals))]
#[patch("/account/passkeys/<id>", data = "<body>")]
async fn rename(
    me: Acting<'_, CurrentUser>,
    id: &str,
    body: JsonBody<NewName>,
) -> ApiResult<Json<OnePasskey>> {
    let passkey = me
        .auth
        .passkeys()
        .rename(me.user(), id, &body.0.name)
        .await?;
    Ok(Json(OnePasskey { passkey }))
}

refusals!(RemoveRefusals: [current_user_writes], ReauthRequired, NotFound);
/// Removes one of the account's passkeys: it no longer signs in.
///
/// A sensitive step (`401 reauth_required` after 10 minutes). Another account's passkey is
/// `404`, as an unknown one.
#[utoipa::path(tag = "passkeys", security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A passkey id from `GET /api/account/passkeys`")),
    responses((status = 204, description = "Removed"), RemoveRefusals))]
#[delete("/account/passkeys/<id>")]
async fn remove(me: Acting<'_, CurrentUser>, id: &str) -> ApiResult<NoContent> {
    me.auth
        .passkeys()
        .remove(me.user(), me.sid(), id, &me.client)
        .await?;
    Ok(NoContent { sign_out: false })
}

refusals!(SignInStartRefusals: [same_site], RateLimited(60), Forbidden(PASSKEYS_OFF));
/// Starts a sign-in with a passkey alone: the options for `navigator.credentials.get`.
///
/// No allow-list: the authenticator offers the account (discoverable credentials), in a dialog
/// or, with `mediation: "conditional"`, in the autofill of an `autocomplete="username webauthn"`
/// field. Rate-limited per IP like password sign-ins.
#[utoipa::path(tag = "passkeys", security(()),
    responses((status = 200, description = "The ceremony's id and the request options",
        body = Challenge), SignInStartRefusals))]
#[post("/auth/passkey/start")]
async fn sign_in_start(_same_site: SameSiteRequest, me: Visitor<'_>) -> ApiResult<Json<Challenge>> {
    let started = me.auth.passkeys().start_sign_in(&me.client).await?;
    Ok(Json(started.into()))
}

refusals!(SignInFinishRefusals: [json_body], InvalidPasskey, InvalidInput("missing field `challenge_id`".into()),
    CrossSiteRequest, RateLimited(60), Forbidden(PASSKEYS_OFF));
/// Finishes a sign-in with a passkey: a new session, like `login` (no second step: a passkey is
/// two factors, the device and its user verification).
///
/// `session.method` is `passkey`. `401 invalid_passkey`: an unknown, spent or expired challenge
/// or one of another ceremony, an unknown or removed credential, a bad signature, another origin
/// or relying party, or a signature counter that went back (recorded as
/// `passkey_counter_regressed`).
#[utoipa::path(tag = "passkeys", request_body = Assertion, security(()), responses(
    (status = 200, description = "Signed in; the refresh token as the `refresh_token` cookie \
        (cookie mode) or in the body (body mode)", body = SignedIn),
    SignInFinishRefusals))]
#[post("/auth/passkey/finish", data = "<body>")]
async fn sign_in_finish(
    _same_site: SameSiteRequest,
    me: Visitor<'_>,
    body: JsonBody<Assertion>,
) -> ApiResult<TokenAnswer> {
    let Assertion {
        challenge_id,
        credential,
    } = body.0;
    let issued = me
        .auth
        .passkeys()
        .finish_sign_in(&challenge_id, &credential, &me.client)
        .await?;
    Ok(TokenAnswer::signed_in(issued))
}

refusals!(SecondStepStartRefusals: [json_body], InvalidMfaToken, InvalidPasskey,
    InvalidInput("missing field `mfa_token`".into()), CrossSiteRequest, Forbidden(PASSKEYS_OFF));
/// Starts the second step of a password sign-in with a passkey instead of a code.
///
/// The ticket from `login`'s `202`; the account's passkeys are the allow-list. An account with no
/// passkey is `401 invalid_passkey` (use a code).
#[utoipa::path(tag = "passkeys", request_body = TicketOnly, security(()),
    responses((status = 200, description = "The ceremony's id and the request options",
        body = Challenge), SecondStepStartRefusals))]
#[post("/auth/mfa/passkey/start", data = "<body>")]
async fn second_step_start(
    _same_site: SameSiteRequest,
    me: Visitor<'_>,
    body: JsonBody<TicketOnly>,
) -> ApiResult<Json<Challenge>> {
    let started = me
        .auth
        .passkeys()
        .start_second_step(&body.0.mfa_token)
        .await?;
    Ok(Json(started.into()))
}

refusals!(SecondStepFinishRefusals: [json_body], InvalidMfaToken, InvalidPasskey,
    InvalidInput("missing field `mfa_token`".into()), CrossSiteRequest, RateLimited(60),
    Forbidden(PASSKEYS_OFF));
/// Finishes a password sign-in with a passkey in place of a code: `session.method` is
/// `password+passkey`.
///
/// A refused passkey (`401 invalid_passkey`) counts as a wrong code against the ticket.
#[utoipa::path(tag = "passkeys", request_body = TicketAndAssertion, security(()), responses(
    (status = 200, description = "Signed in; the refresh token as the `refresh_token` cookie \
        (cookie mode) or in the body (body mode)", body = SignedIn),
    SecondStepFinishRefusals))]
#[post("/auth/mfa/passkey/finish", data = "<body>")]
async fn second_step_finish(
    _same_site: SameSiteRequest,
    me: Visitor<'_>,
    body: JsonBody<TicketAndAssertion>,
) -> ApiResult<TokenAnswer> {
    let TicketAndAssertion {
        mfa_token,
        challenge_id,
        credential,
    } = body.0;
    let issued = me
        .auth
        .passkeys()
        .finish_second_step(&mfa_token, &challenge_id, &credential, &me.client)
        .await?;
    Ok(TokenAnswer::signed_in(issued))
}
