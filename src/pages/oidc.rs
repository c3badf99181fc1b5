//! Signing in with a provider: the button's trip out (`/login/oidc/{name}`), the way back
//! (`…/callback`), "sign in with your password to link" (`/login/oidc/link`), and linking and
//! unlinking from `/account`. Thin: the steps are in `oidc/steps.rs`.

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::{Flash, Redirect};
use rocket::time::Duration;
use rocket::{get, post, routes, FromForm, Route, State};
use rocket_dyn_templates::Template;
use serde_json::json;

use crate::account::Auth;
use crate::auth::device::ClientInfo;
use crate::error::ApiError;
use crate::mfa::steps::SignIn;
use crate::oidc::flow::FLOW_TTL;
use crate::oidc::steps::{buttons, Callback, Finished, PENDING_LINK_TTL};
use crate::oidc::{OidcError, OidcSteps, Providers};
use crate::pages::mfa::to_second_step;
use crate::pages::{
    Confirm, CsrfForm, Layout, OneOf, PageResult, PageSessionUser, SafeNext, WithCookies,
};
use crate::web::same_site::SameSiteRequest;

pub fn routes() -> Vec<Route> {
    routes![start, callback, link_form, link, link_from_account, unlink]
}

/// The trips' cookies are scoped to `/login/oidc` (so no `__Host-`; `__Secure-` with
/// `cookie_secure`) and `SameSite=Lax`: the provider sends the browser back with a top-level
/// GET from its own site, which `Strict` would arrive without.
const TRIP_PATH: &str = "/login/oidc";

fn flow_cookie(secure: bool) -> &'static str {
    if secure {
        "__Secure-oidc_flow"
    } else {
        "oidc_flow"
    }
}

fn pending_cookie(secure: bool) -> &'static str {
    if secure {
        "__Secure-oidc_link"
    } else {
        "oidc_link"
    }
}

fn trip_cookie(name: &'static str, value: String, secure: bool, ttl: i64) -> Cookie<'static> {
    Cookie::build((name, value))
        .path(TRIP_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(Duration::seconds(ttl))
        .build()
}

fn forget(cookies: &CookieJar<'_>, name: &'static str) {
    cookies.remove(Cookie::build(name).path(TRIP_PATH));
}

type LoginPage = (Status, Template);

/// The sign-in page with one message and the buttons again: every way a trip can fail.
fn login_page(layout: Layout, oidc: &OidcSteps<'_>, next: &str, error: &OidcError) -> LoginPage {
    let status = match error {
        OidcError::ProviderUnavailable(_) => Status::ServiceUnavailable,
        OidcError::UnknownProvider => Status::NotFound,
        OidcError::Api(e) => e.status(),
        OidcError::Internal(_) => Status::InternalServerError,
        _ => Status::BadRequest,
    };
    if let OidcError::Refused(why) | OidcError::Internal(why) = error {
        rocket::info!("oidc sign-in refused: {why}");
    }
    let view = json!({
        "email": "",
        "next": next,
        "error": error.message(),
        "oidc_providers": buttons(oidc.providers, next),
    });
    (status, layout.render("login", None, view))
}

/// Which errors become the sign-in page; the rest (rate limits, the database) keep their own.
fn shown_on_login(error: OidcError) -> Result<OidcError, ApiError> {
    match error {
        OidcError::Api(e @ (ApiError::RateLimited(_) | ApiError::Unavailable)) => Err(e),
        OidcError::Api(ApiError::Internal) => Err(ApiError::Internal),
        other => Ok(other),
    }
}

/// The button: off to the provider, the trip bound to this browser by a cookie.
#[get("/login/oidc/<name>?<next>")]
async fn start(
    layout: Layout,
    auth: Auth<'_>,
    providers: &State<Providers>,
    cookies: &CookieJar<'_>,
    name: &str,
    next: Option<&str>,
) -> PageResult<OneOf<Redirect, LoginPage>> {
    let oidc = auth.oidc(providers);
    let next = SafeNext::parse(next);
    match oidc.begin(name, next.as_str(), None).await {
        Ok((cookie, url)) => {
            let secure = oidc.auth.settings.cookie_secure;
            cookies.add(trip_cookie(flow_cookie(secure), cookie, secure, FLOW_TTL));
            Ok(OneOf::Left(Redirect::to(url)))
        }
        Err(e) => {
            let e = shown_on_login(e)?;
            Ok(OneOf::Right(login_page(layout, &oidc, next.as_str(), &e)))
        }
    }
}

type Signed = OneOf<WithCookies<Redirect>, Redirect>;

/// Where a sign-in goes on: signed in to `next`, or to the second step.
fn signed_in(cookies: &CookieJar<'_>, secure: bool, sign_in: SignIn, next: &SafeNext) -> Signed {
    match sign_in {
        SignIn::Done(issued) => OneOf::Left(WithCookies::signed_in(
            *issued,
            Redirect::to(next.to_string()),
        )),
        SignIn::MfaRequired(ticket) => OneOf::Right(to_second_step(cookies, secure, ticket, next)),
    }
}

/// What the provider's answer carries (and `iss`, `session_state`… which are not needed).
#[derive(FromForm)]
struct CallbackQuery<'r> {
    code: Option<&'r str>,
    state: Option<&'r str>,
    error: Option<&'r str>,
}

/// The way back from the provider. Any failure: the sign-in page, one message, no session.
#[get("/login/oidc/<name>/callback?<query..>")]
async fn callback(
    layout: Layout,
    auth: Auth<'_>,
    providers: &State<Providers>,
    client: ClientInfo,
    cookies: &CookieJar<'_>,
    name: &str,
    query: CallbackQuery<'_>,
) -> PageResult<OneOf<OneOf<Signed, Flash<Redirect>>, LoginPage>> {
    let oidc = auth.oidc(providers);
    let secure = oidc.auth.settings.cookie_secure;
    let cookie = cookies
        .get(flow_cookie(secure))
        .map(|c| c.value().to_owned());
    forget(cookies, flow_cookie(secure));
    let CallbackQuery { code, state, error } = query;
    let callback = Callback { code, state, error };
    match oidc
        .finish(name, cookie.as_deref(), callback, &client)
        .await
    {
        Ok(Finished::SignedIn(sign_in, next)) => {
            let next = SafeNext::parse(Some(&next));
            Ok(OneOf::Left(OneOf::Left(signed_in(
                cookies, secure, sign_in, &next,
            ))))
        }
        Ok(Finished::Linked(provider)) => {
            let message = format!("{provider} is linked: you can sign in with it.");
            Ok(OneOf::Left(OneOf::Right(Flash::success(
                Redirect::to("/account"),
                message,
            ))))
        }
        Ok(Finished::PasswordNeeded(pending)) => {
            let value = pending.cookie;
            let ttl = PENDING_LINK_TTL;
            cookies.add(trip_cookie(pending_cookie(secure), value, secure, ttl));
            let next = SafeNext::parse(Some(&pending.next));
            let to = Redirect::to(next.url_from("/login/oidc/link"));
            let message = format!("Enter your password once to link {}.", pending.provider);
            Ok(OneOf::Left(OneOf::Right(Flash::success(to, message))))
        }
        Err(e) => {
            let e = shown_on_login(e)?;
            Ok(OneOf::Right(login_page(layout, &oidc, "/", &e)))
        }
    }
}

/// "An account uses this address: its password, once, to link."
#[get("/login/oidc/link?<next>")]
async fn link_form(
    layout: Layout,
    auth: Auth<'_>,
    providers: &State<Providers>,
    cookies: &CookieJar<'_>,
    next: Option<&str>,
) -> PageResult<OneOf<Redirect, Template>> {
    let oidc = auth.oidc(providers);
    let next = SafeNext::parse(next);
    let secure = oidc.auth.settings.cookie_secure;
    let cookie = cookies
        .get(pending_cookie(secure))
        .map(|c| c.value().to_owned());
    match oidc
        .pending(cookie.as_deref())
        .await
        .map_err(OidcError::into_api)?
    {
        Some((email, provider)) => {
            let view = json!({ "email": email, "provider": provider, "next": next.as_str() });
            Ok(OneOf::Right(layout.render("oidc_link", None, view)))
        }
        None => Ok(OneOf::Left(Redirect::to(next.login_url()))),
    }
}

#[derive(FromForm)]
struct LinkForm {
    password: String,
    next: Option<String>,
}

#[post("/login/oidc/link", data = "<form>")]
async fn link(
    _same_site: SameSiteRequest,
    layout: Layout,
    auth: Auth<'_>,
    providers: &State<Providers>,
    client: ClientInfo,
    cookies: &CookieJar<'_>,
    form: CsrfForm<LinkForm>,
) -> PageResult<OneOf<Signed, (Status, Template)>> {
    let oidc = auth.oidc(providers);
    let LinkForm { password, next } = form.0;
    let next = SafeNext::parse(next.as_deref());
    let secure = oidc.auth.settings.cookie_secure;
    let cookie = cookies
        .get(pending_cookie(secure))
        .map(|c| c.value().to_owned());
    match oidc
        .link_with_password(cookie.as_deref(), password, &client)
        .await
    {
        Ok((sign_in, _)) => {
            forget(cookies, pending_cookie(secure));
            Ok(OneOf::Left(signed_in(cookies, secure, sign_in, &next)))
        }
        Err(OidcError::Api(e @ ApiError::InvalidCredentials)) => {
            let pending = oidc
                .pending(cookie.as_deref())
                .await
                .map_err(OidcError::into_api)?;
            let (email, provider) = pending.unwrap_or_default();
            let view = json!({
                "email": email, "provider": provider, "next": next.as_str(), "error": e.message(),
            });
            Ok(OneOf::Right((
                e.status(),
                layout.render("oidc_link", None, view),
            )))
        }
        Err(e) => {
            let e = shown_on_login(e)?;
            forget(cookies, pending_cookie(secure));
            let (status, page) = login_page(layout, &oidc, next.as_str(), &e);
            Ok(OneOf::Right((status, page)))
        }
    }
}

/// From the account page: off to the provider to link it (a recent sign-in required).
#[post("/account/oidc/<name>/link", data = "<_form>")]
async fn link_from_account(
    auth: Auth<'_>,
    providers: &State<Providers>,
    user: PageSessionUser,
    cookies: &CookieJar<'_>,
    name: &str,
    _form: CsrfForm<Confirm>,
) -> PageResult<OneOf<Redirect, Flash<Redirect>>> {
    let oidc = auth.oidc(providers);
    let link_to = Some((&user.user, user.session_id.as_str()));
    match oidc.begin(name, "/account", link_to).await {
        Ok((cookie, url)) => {
            let secure = oidc.auth.settings.cookie_secure;
            cookies.add(trip_cookie(flow_cookie(secure), cookie, secure, FLOW_TTL));
            Ok(OneOf::Left(Redirect::to(url)))
        }
        Err(OidcError::Api(e)) => Err(e.into()),
        Err(e) => Ok(OneOf::Right(Flash::error(
            Redirect::to(PROVIDERS_PANEL),
            e.message(),
        ))),
    }
}

const PROVIDERS_PANEL: &str = "/account#providers";

#[post("/account/oidc/<name>/unlink", data = "<_form>")]
async fn unlink(
    auth: Auth<'_>,
    providers: &State<Providers>,
    user: PageSessionUser,
    client: ClientInfo,
    name: &str,
    _form: CsrfForm<Confirm>,
) -> PageResult<Flash<Redirect>> {
    let oidc = auth.oidc(providers);
    let to = Redirect::to(PROVIDERS_PANEL);
    match oidc
        .unlink(&user.user, &user.session_id, name, &client)
        .await
    {
        Ok(()) => Ok(Flash::success(to, "The provider is unlinked.")),
        Err(OidcError::Api(e)) => Err(e.into()),
        Err(e) => Ok(Flash::error(to, e.message())),
    }
}
