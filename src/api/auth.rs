//! `/api/auth/*`: register, login, refresh, logout, me, claims, password change.

use rocket::serde::json::Json;
use rocket::{get, post, routes, Route};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::api::answers::{LoginAnswer, MfaChallenge, NoContent, SignedIn, TokenAnswer, TokenPair};
use crate::api::refusals::refusals;
use crate::auth::tokens::AccessClaims;
use crate::auth::users::PublicUser;
use crate::error::{ApiError, ApiResult};
use crate::mfa::steps::SignIn;
use crate::web::body::{JsonBody, OptionalJsonBody};
use crate::web::guards::Acting;
use crate::web::guards::Visitor;
use crate::web::guards::{Claims, CurrentUser};
use crate::web::refresh::PresentedRefresh;
use crate::web::same_site::SameSiteRequest;

pub fn routes() -> Vec<Route> {
    routes![
        register,
        login,
        refresh,
        logout,
        me,
        claims,
        change_password
    ]
}

/// These routes in the OpenAPI document (`api/openapi.rs` mounts it at `/api`).
#[derive(OpenApi)]
#[openapi(paths(register, login, refresh, logout, me, claims, change_password))]
pub struct Doc;

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery staple"}))]
struct Credentials {
    email: String,
    /// 1 to 1024 bytes.
    #[schema(min_length = 1, max_length = 1024)]
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"email": "grace@example.com", "password": "a long passphrase", "name": "Grace"}))]
struct Registration {
    /// At most 254 bytes, one `@` and a dotted domain; stored lower-cased.
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// 8 characters to 1024 bytes, not the email address.
    #[schema(min_length = 8, max_length = 1024)]
    password: String,
    /// Up to 100 characters, no control characters.
    #[schema(max_length = 100, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    name: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"current_password": "my old passphrase", "new_password": "a new long passphrase"}))]
struct PasswordChange {
    #[schema(min_length = 1, max_length = 1024)]
    current_password: String,
    /// 8 characters to 1024 bytes, not the email address.
    #[schema(min_length = 8, max_length = 1024)]
    new_password: String,
}

/// Body mode only (`refresh_token_as_cookie = false`); cookie mode reads the cookie instead.
#[derive(Deserialize, Default, ToSchema)]
struct RefreshBody {
    refresh_token: Option<String>,
}

refusals!(RegisterRefusals: [json_body], InvalidEmail, WeakPassword("Passwords need at least 8 characters.".into()), InvalidInput("name: at most 100 characters, no control characters".into()), CrossSiteRequest, Forbidden("Registration is closed."), EmailTaken, RateLimited(60), Busy(1));
/// Creates an account and signs it in on this device.
///
/// Closed when `allow_registration` is off (`403 forbidden`). A verification link is mailed to
/// the address; the new user's `email_verified` is `false` until it is followed. Refused from
/// another site's page (`403 cross_site_request`); the body must be `application/json` (`415`).
#[utoipa::path(tag = "auth", request_body = Registration, responses(
    (status = 201, description = "Signed up and in; the refresh token as the `refresh_token` \
        cookie (cookie mode) or in the body (body mode)", body = SignedIn),
    RegisterRefusals))]
#[post("/auth/register", data = "<body>")]
async fn register(
    _same_site: SameSiteRequest,
    me: Visitor<'_>,
    body: JsonBody<Registration>,
) -> ApiResult<TokenAnswer> {
    let Registration {
        email,
        password,
        name,
    } = body.0;
    let issued = me
        .auth
        .register(&email, password, name.as_deref(), &me.client)
        .await?;
    Ok(TokenAnswer::signed_up(issued))
}

refusals!(LoginRefusals: [json_body], InvalidCredentials, InvalidInput("password: 1 to 1024 bytes".into()), CrossSiteRequest, RateLimited(60), Busy(1));
/// Signs in on this device: a new session, or (two-factor sign-in on) a ticket for the code.
///
/// With two-factor sign-in on, a right password answers `202` with `mfa_required`, an
/// `mfa_token` and `expires_in`, and starts no session: `POST /api/auth/mfa` with the ticket and
/// a code finishes the sign-in. One answer, `401 invalid_credentials`, for an unknown email, a wrong password and a
/// deactivated account. Rate-limited per IP and per email. In cookie mode the answer also sets a
/// new CSRF cookie, bound to the new session. Refused from another site's page
/// (`403 cross_site_request`); the body must be `application/json` (`415`).
#[utoipa::path(tag = "auth", request_body = Credentials, responses(
    (status = 200, description = "Signed in; the refresh token as the `refresh_token` cookie \
        (cookie mode) or in the body (body mode)", body = SignedIn),
    (status = 202, description = "Right password, two-factor sign-in on: no session yet; send the \
        ticket and a code to `POST /api/auth/mfa`", body = MfaChallenge),
    LoginRefusals))]
#[post("/auth/login", data = "<body>")]
async fn login(
    _same_site: SameSiteRequest,
    me: Visitor<'_>,
    body: JsonBody<Credentials>,
) -> ApiResult<LoginAnswer> {
    let Credentials { email, password } = body.0;
    Ok(match me.auth.sign_in(&email, password, &me.client).await? {
        SignIn::Done(issued) => LoginAnswer::Tokens(Box::new(TokenAnswer::signed_in(*issued))),
        SignIn::MfaRequired(ticket) => LoginAnswer::MfaRequired(ticket),
    })
}

refusals!(RefreshRefusals: [json_body], InvalidRefreshToken, InvalidInput("refresh_token: invalid type: integer, expected a string".into()), CsrfFailed, CrossSiteRequest, RateLimited(60));
/// Rotates the session: a new access token and a new refresh token.
///
/// The refresh token comes from the `refresh_token` cookie (cookie mode, with `X-CSRF-Token`) or
/// from the body (body mode). A refused token clears the session cookies. An old token presented
/// after the grace window revokes the whole session; within it, the same user agent gets the
/// current pair again. The CSRF token stays the session's. A body, when sent, must be
/// `application/json` (`415`); refused from another site's page (`403 cross_site_request`).
#[utoipa::path(tag = "auth", request_body(content = Option<RefreshBody>, description = "Body mode only"),
    security(("refresh_cookie" = [], "csrf" = []), ()),
    responses(
        (status = 200, description = "Rotated; the new refresh token as the cookie or in the body",
            body = TokenPair),
        RefreshRefusals))]
#[post("/auth/refresh", data = "<body>")]
async fn refresh(
    _same_site: SameSiteRequest,
    me: Visitor<'_>,
    presented: PresentedRefresh<'_>,
    body: OptionalJsonBody<RefreshBody>,
) -> ApiResult<TokenAnswer> {
    let body = body.0.and_then(|b| b.refresh_token);
    let claims = presented
        .claims(body.as_deref())
        .ok_or(ApiError::InvalidRefreshToken)?;
    let issued = me.auth.refresh(claims, &me.client).await?;
    Ok(TokenAnswer::rotated(issued))
}

refusals!(LogoutRefusals: [json_body], Unauthorized, InvalidRefreshToken, InvalidInput("refresh_token: invalid type: integer, expected a string".into()), CsrfFailed, CrossSiteRequest);
/// Signs this device out with its access token, or else with its refresh token.
///
/// The session is revoked and the session cookies cleared, also when it was already revoked.
/// A refresh token that was rotated away is reuse (`401 invalid_refresh_token`), as on refresh.
/// A body, when sent, must be `application/json` (`415`); refused from another site's page
/// (`403 cross_site_request`).
#[utoipa::path(tag = "auth", request_body(content = Option<RefreshBody>,
        description = "Body mode, without an access token"),
    security(("bearer" = []), ("access_cookie" = [], "csrf" = []), ("refresh_cookie" = [], "csrf" = []), ()),
    responses((status = 204, description = "Signed out"), LogoutRefusals))]
#[post("/auth/logout", data = "<body>")]
async fn logout(
    _same_site: SameSiteRequest,
    me: Visitor<'_>,
    claims: Result<Claims, ApiError>,
    presented: Result<PresentedRefresh<'_>, ApiError>,
    body: OptionalJsonBody<RefreshBody>,
) -> ApiResult<NoContent> {
    match claims {
        Ok(claims) => {
            me.auth
                .sign_out(claims.user_id()?, &claims.sid, &me.client)
                .await?
        }
        Err(ApiError::CsrfFailed) => return Err(ApiError::CsrfFailed),
        Err(_) => {
            let body = body.0.and_then(|b| b.refresh_token);
            let claims = presented?
                .claims(body.as_deref())
                .ok_or(ApiError::Unauthorized)?
                .map_err(|_| ApiError::Unauthorized)?;
            me.auth
                .sign_out_with_refresh_token(&claims, &me.client)
                .await?
        }
    };
    Ok(NoContent { sign_out: true })
}

refusals!(PasswordRefusals: [json_body, current_user_writes], InvalidCredentials, ReauthRequired, WeakPassword("Passwords need at least 8 characters.".into()), InvalidInput("missing field `new_password`".into()), RateLimited(60), Busy(1));
/// Changes the password and revokes every other session; this one stays signed in.
///
/// A sensitive step: the session must have signed in or re-authenticated
/// (`POST /api/auth/reauth`) in the last 10 minutes, or `401 reauth_required`. A wrong current
/// password (`401 invalid_credentials`) counts as a failed sign-in for the rate limits.
#[utoipa::path(tag = "auth", request_body = PasswordChange, security(("bearer" = []), ("access_cookie" = [], "csrf" = [])),
    responses((status = 204, description = "Changed; every other session revoked"),
        PasswordRefusals))]
#[post("/auth/password", data = "<body>")]
async fn change_password(
    me: Acting<'_, CurrentUser>,
    body: JsonBody<PasswordChange>,
) -> ApiResult<NoContent> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.0;
    let sid = me.sid();
    me.auth
        .change_password(me.user(), sid, current_password, new_password, &me.client)
        .await?;
    Ok(NoContent { sign_out: false })
}

#[derive(Serialize, ToSchema)]
struct Me {
    user: PublicUser,
}

refusals!(VerifiedSignInRequired: [current_user]);
/// The signed-in user, loaded from the database.
///
/// A revoked session or a deactivated user is `401 unauthorized` at once; an unverified address
/// is `403 email_unverified` when `require_verified_email` is on.
#[utoipa::path(tag = "auth", security(("bearer" = []), ("access_cookie" = [])),
    responses((status = 200, description = "The user", body = Me), VerifiedSignInRequired))]
#[get("/auth/me")]
fn me(current: CurrentUser) -> Json<Me> {
    Json(Me {
        user: PublicUser::from(&current.user),
    })
}

#[derive(Serialize, ToSchema)]
struct ClaimsAnswer {
    claims: AccessClaims,
}

refusals!(SignInRequired: [signed_in]);
/// The verified access-token claims, without a database query: what a stateless service sees.
///
/// A revoked session's access token stays valid here until it expires (`access_token_ttl`).
#[utoipa::path(tag = "auth", security(("bearer" = []), ("access_cookie" = [])),
    responses((status = 200, description = "The claims", body = ClaimsAnswer), SignInRequired))]
#[get("/auth/claims")]
fn claims(claims: Claims) -> Json<ClaimsAnswer> {
    Json(ClaimsAnswer { claims: claims.0 })
}
