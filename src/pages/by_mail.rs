//! The pages of what is done by mail: a forgotten password (`/forgot-password`,
//! `/reset-password`), the address's verification (`/verify-email`) and the confirmation of a
//! new address (`/account/email/confirm`). Thin: the steps are in `account/by_mail.rs`.

use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, FromForm, Route};
use rocket_dyn_templates::Template;
use serde_json::json;

use crate::account::auth::Auth;
use crate::account::by_mail::VERIFY_EMAIL_PATH;
use crate::error::ApiError;
use crate::pages::errors::check_email_view;
use crate::pages::{
    Confirm, CsrfForm, Layout, OneOf, PageError, PageResult, PageSessionUser, SafeNext, WithCookies,
};
use crate::web::guards::Acting;
use crate::web::guards::Visitor;

pub fn routes() -> Vec<Route> {
    routes![
        forgot_form,
        forgot,
        reset_form,
        reset,
        verify_email,
        resend,
        confirm_email_change
    ]
}

type FormPage = (Status, Template);

#[get("/forgot-password")]
fn forgot_form(layout: Layout) -> Template {
    layout.render("forgot_password", None, json!({ "email": "" }))
}

#[derive(FromForm)]
struct ForgotForm {
    email: String,
}

/// The same page whether or not an account uses the address.
#[post("/forgot-password", data = "<form>")]
async fn forgot(
    layout: Layout,
    me: Visitor<'_>,
    form: CsrfForm<ForgotForm>,
) -> PageResult<FormPage> {
    let email = form.0.email.trim().to_owned();
    match me.auth.by_mail().forgot_password(&email, &me.client).await {
        Ok(()) => {
            let expires =
                crate::clock::in_words(me.auth.settings.password_reset_ttl.unsigned_abs());
            let page = json!({ "email": email, "sent": true, "expires": expires });
            Ok((Status::Ok, layout.render("forgot_password", None, page)))
        }
        Err(e @ ApiError::InvalidEmail) => {
            let page = json!({ "email": email, "error": e.message() });
            Ok((e.status(), layout.render("forgot_password", None, page)))
        }
        Err(e) => Err(e.into()),
    }
}

/// The new-password form, or the "this link does not work" page (400) for a dead link.
#[get("/reset-password?<token>")]
async fn reset_form(layout: Layout, auth: Auth<'_>, token: Option<&str>) -> PageResult<Template> {
    let token = token.unwrap_or_default();
    if !auth.by_mail().reset_link_works(token).await? {
        return Err(ApiError::InvalidToken.into());
    }
    Ok(layout.render("reset_password", None, json!({ "token": token })))
}

#[derive(FromForm)]
struct ResetForm {
    token: String,
    password: String,
}

/// Every session of the account is revoked, this browser's too: to the sign-in page.
#[post("/reset-password", data = "<form>")]
async fn reset(
    layout: Layout,
    me: Visitor<'_>,
    form: CsrfForm<ResetForm>,
) -> PageResult<OneOf<WithCookies<Flash<Redirect>>, FormPage>> {
    let ResetForm { token, password } = form.0;
    match me
        .auth
        .by_mail()
        .reset_password(&token, password, &me.client)
        .await
    {
        Ok(()) => {
            let message = "Your password is changed and every device is signed out. \
                           Sign in with the new password.";
            let to = Flash::success(Redirect::to("/login"), message);
            Ok(OneOf::Left(WithCookies::signed_out(to)))
        }
        Err(e @ ApiError::WeakPassword(_)) => {
            let page = json!({ "token": token, "error": e.message() });
            Ok(OneOf::Right((
                e.status(),
                layout.render("reset_password", None, page),
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// With `token`: confirms the address. Without: the "check your mail" page of the signed-in
/// user (where a new link can be asked for).
#[get("/verify-email?<token>")]
async fn verify_email(
    layout: Layout,
    me: Visitor<'_>,
    user: Option<PageSessionUser>,
    token: Option<&str>,
) -> PageResult<OneOf<Flash<Redirect>, OneOf<Redirect, Template>>> {
    if let Some(token) = token {
        me.auth.by_mail().verify_email(token, &me.client).await?;
        let to = Flash::success(Redirect::to("/"), "Your email address is confirmed.");
        return Ok(OneOf::Left(to));
    }
    let Some(PageSessionUser { user, .. }) = user else {
        let next = SafeNext::parse(Some(VERIFY_EMAIL_PATH));
        return Ok(OneOf::Right(OneOf::Left(Redirect::to(next.login_url()))));
    };
    let page = check_email_view(&user);
    Ok(OneOf::Right(OneOf::Right(layout.render(
        "check_email",
        Some(&user),
        page,
    ))))
}

/// Another verification link (rate-limited per IP and per address).
#[post("/verify-email/resend", data = "<_form>")]
async fn resend(
    me: Acting<'_, PageSessionUser>,
    _form: CsrfForm<Confirm>,
) -> PageResult<Flash<Redirect>> {
    if !me
        .auth
        .by_mail()
        .resend_verification(me.user(), &me.client)
        .await?
    {
        let to = Flash::success(
            Redirect::to("/"),
            "Your email address is confirmed already.",
        );
        return Ok(to);
    }
    let message = format!("We sent a new link to {}.", me.user().email);
    Ok(Flash::success(Redirect::to(VERIFY_EMAIL_PATH), message))
}

/// The link mailed to a new address: the account moves to it.
#[get("/account/email/confirm?<token>")]
async fn confirm_email_change(me: Visitor<'_>, token: Option<&str>) -> PageResult<Flash<Redirect>> {
    let token = token.unwrap_or_default();
    let email = me
        .auth
        .by_mail()
        .confirm_email_change(token, &me.client)
        .await
        .map_err(PageError)?;
    let message = format!("Your email address is now {email}.");
    Ok(Flash::success(Redirect::to("/account"), message))
}
