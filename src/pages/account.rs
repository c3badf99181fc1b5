//! Signing in, signing up, renewing and signing out: `/login`, `/register`, `/auth/refresh`,
//! `/logout`.

use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, FromForm, Route, State};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::account::auth::Auth;
use crate::error::ApiError;
use crate::mfa::steps::SignIn;
use crate::oidc::steps::{buttons, ProviderButton};
use crate::oidc::Providers;
use crate::pages::mfa::to_second_step;
use crate::pages::{
    Confirm, CsrfForm, Layout, OneOf, PageResult, PageSessionUser, SafeNext, WithCookies,
};
use crate::web::cookies::SessionCookie;
use crate::web::guards::Acting;
use crate::web::guards::Visitor;
use crate::web::same_site::SameSiteRequest;

pub fn routes() -> Vec<Route> {
    routes![login_form, login, register_form, register, refresh, logout]
}

/// The form again, with what the person typed (never the password) and what went wrong.
#[derive(Serialize, Default)]
struct FormView<'a> {
    email: &'a str,
    name: &'a str,
    next: &'a str,
    error: Option<String>,
    /// "Continue with …": one button per OpenID Connect provider.
    oidc_providers: Vec<ProviderButton>,
}

type FormPage = (Status, Template);

#[get("/login?<next>")]
fn login_form(
    layout: Layout,
    providers: &State<Providers>,
    user: Option<PageSessionUser>,
    next: Option<&str>,
) -> OneOf<Redirect, Template> {
    let next = SafeNext::parse(next);
    if user.is_some() {
        return OneOf::Left(Redirect::to(next.to_string()));
    }
    let view = FormView {
        next: next.as_str(),
        oidc_providers: buttons(providers, next.as_str()),
        ..Default::default()
    };
    OneOf::Right(layout.render("login", None, view))
}

#[derive(FromForm)]
struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

#[post("/login", data = "<form>")]
async fn login(
    _same_site: SameSiteRequest,
    layout: Layout,
    me: Visitor<'_>,
    providers: &State<Providers>,
    cookies: &CookieJar<'_>,
    form: CsrfForm<LoginForm>,
) -> PageResult<OneOf<OneOf<WithCookies<Redirect>, Redirect>, FormPage>> {
    let LoginForm {
        email,
        password,
        next,
    } = form.0;
    let next = SafeNext::parse(next.as_deref());
    match me.auth.sign_in(&email, password, &me.client).await {
        Ok(SignIn::Done(issued)) => {
            let to = Redirect::to(next.to_string());
            Ok(OneOf::Left(OneOf::Left(WithCookies::signed_in(
                *issued, to,
            ))))
        }
        Ok(SignIn::MfaRequired(ticket)) => {
            let secure = me.auth.settings.cookie_secure;
            let to = to_second_step(cookies, secure, ticket, &next);
            Ok(OneOf::Left(OneOf::Right(to)))
        }
        // One answer for unknown email, wrong password and an unusable password field.
        Err(ApiError::InvalidCredentials | ApiError::InvalidInput(_)) => {
            let view = FormView {
                email: email.trim(),
                next: next.as_str(),
                error: Some(ApiError::InvalidCredentials.message()),
                oidc_providers: buttons(providers, next.as_str()),
                ..Default::default()
            };
            let page = layout.render("login", None, view);
            Ok(OneOf::Right((Status::Unauthorized, page)))
        }
        Err(e) => Err(e.into()),
    }
}

#[get("/register?<next>")]
fn register_form(
    layout: Layout,
    auth: Auth<'_>,
    providers: &State<Providers>,
    next: Option<&str>,
) -> PageResult<Template> {
    auth.registration_open()?;
    let next = SafeNext::parse(next);
    let view = FormView {
        next: next.as_str(),
        oidc_providers: buttons(providers, next.as_str()),
        ..Default::default()
    };
    Ok(layout.render("register", None, view))
}

#[derive(FromForm)]
struct RegisterForm {
    email: String,
    name: Option<String>,
    password: String,
    next: Option<String>,
}

#[post("/register", data = "<form>")]
async fn register(
    _same_site: SameSiteRequest,
    layout: Layout,
    me: Visitor<'_>,
    providers: &State<Providers>,
    form: CsrfForm<RegisterForm>,
) -> PageResult<OneOf<WithCookies<Flash<Redirect>>, FormPage>> {
    let RegisterForm {
        email,
        name,
        password,
        next,
    } = form.0;
    let next = SafeNext::parse(next.as_deref());
    let created = me
        .auth
        .register(&email, password, name.as_deref(), &me.client);
    match created.await {
        Ok(issued) => {
            let message = format!(
                "Welcome! Your account is ready. We sent a link to {} to confirm your address.",
                issued.user.email
            );
            let to = Flash::success(Redirect::to(next.to_string()), message);
            Ok(OneOf::Left(WithCookies::signed_in(issued, to)))
        }
        Err(
            e @ (ApiError::InvalidEmail
            | ApiError::WeakPassword(_)
            | ApiError::InvalidInput(_)
            | ApiError::EmailTaken),
        ) => {
            let view = FormView {
                email: email.trim(),
                name: name.as_deref().unwrap_or("").trim(),
                next: next.as_str(),
                error: Some(e.message()),
                oidc_providers: buttons(providers, next.as_str()),
            };
            Ok(OneOf::Right((
                e.status(),
                layout.render("register", None, view),
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// Renews the access cookie from the refresh cookie and goes back to `next`; to the sign-in
/// page when the refresh cookie is missing or no longer good. Rate-limited, it shows the 429
/// page and keeps the cookies: the session is fine, only this renewal has to wait.
#[get("/auth/refresh?<next>")]
async fn refresh(
    _same_site: SameSiteRequest,
    me: Visitor<'_>,
    cookies: &CookieJar<'_>,
    next: Option<&str>,
) -> PageResult<WithCookies<Redirect>> {
    let next = SafeNext::parse(next);
    let name = SessionCookie::Refresh.name(me.auth.settings.cookie_secure);
    let Some(token) = cookies.get(name).map(|c| c.value().to_owned()) else {
        return Ok(WithCookies::signed_out(Redirect::to(next.login_url())));
    };
    match me
        .auth
        .refresh(me.auth.tokens.verify_refresh(&token), &me.client)
        .await
    {
        Ok(issued) => Ok(WithCookies::signed_in(
            issued,
            Redirect::to(next.to_string()),
        )),
        Err(ApiError::InvalidRefreshToken) => {
            Ok(WithCookies::signed_out(Redirect::to(next.login_url())))
        }
        Err(e) => Err(e.into()),
    }
}

/// Signs this device out: its session is revoked and both cookies cleared.
#[post("/logout", data = "<_form>")]
async fn logout(
    _same_site: SameSiteRequest,
    me: Acting<'_, PageSessionUser>,
    _form: CsrfForm<Confirm>,
) -> PageResult<WithCookies<Flash<Redirect>>> {
    me.auth.sign_out(me.user().id, me.sid(), &me.client).await?;
    let to = Flash::success(Redirect::to("/login"), "Signed out.");
    Ok(WithCookies::signed_out(to))
}
