//! The pages of what is done by mail: a forgotten password (`/forgot-password`,
//! `/reset-password`), the address's verification (`/verify-email`) and the confirmation of a
//! new address (`/account/email/confirm`) or its cancellation (`/account/email/cancel`). Thin:
//! the steps are in `account/by_mail.rs`.
//!
//! A GET never spends a token: a mailed link opens a page whose button (a CSRF-checked POST
//! carrying the token) does the step, so a mail scanner that follows links changes nothing.

use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, FromForm, Route};
use rocket_dyn_templates::Template;
use serde_json::json;

use crate::account::auth::Auth;
use crate::account::by_mail::{CANCEL_EMAIL_CHANGE_PATH, CONFIRM_EMAIL_PATH, VERIFY_EMAIL_PATH};
use crate::account::one_time::Purpose;
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
        verify_email_button,
        resend,
        confirm_email_change,
        confirm_email_change_button,
        cancel_email_change,
        cancel_email_change_button
    ]
}

/// The page a mailed link opens: what the button does, and the button.
fn link_page(
    layout: Layout,
    (title, text, button): (&str, &str, &str),
    action: &str,
    token: &str,
) -> Template {
    let page = json!({
        "title": title, "text": text, "button": button, "action": action, "token": token,
    });
    layout.render("mail_link", None, page)
}

/// A link's page, or the "this link does not work" page (400) for a dead one.
async fn live_link(auth: &Auth<'_>, token: Option<&str>, purpose: Purpose) -> PageResult<String> {
    let token = token.unwrap_or_default();
    match auth.by_mail().link_works(token, purpose).await? {
        true => Ok(token.to_owned()),
        false => Err(ApiError::InvalidToken.into()),
    }
}

#[derive(FromForm)]
struct TokenForm {
    token: String,
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

/// With `token`: the page whose button confirms the address. Without: the "check your mail"
/// page of the signed-in user (where a new link can be asked for).
#[get("/verify-email?<token>")]
async fn verify_email(
    layout: Layout,
    me: Visitor<'_>,
    user: Option<PageSessionUser>,
    token: Option<&str>,
) -> PageResult<OneOf<Template, OneOf<Redirect, Template>>> {
    if token.is_some() {
        let token = live_link(&me.auth, token, Purpose::VerifyEmail).await?;
        let words = (
            "Confirm your email address",
            "This is the address of your account: confirm it with the button.",
            "Confirm my address",
        );
        let page = link_page(layout, words, VERIFY_EMAIL_PATH, &token);
        return Ok(OneOf::Left(page));
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

/// The button of the verification link's page: the address is confirmed.
#[post("/verify-email", data = "<form>")]
async fn verify_email_button(
    me: Visitor<'_>,
    form: CsrfForm<TokenForm>,
) -> PageResult<Flash<Redirect>> {
    me.auth
        .by_mail()
        .verify_email(&form.0.token, &me.client)
        .await?;
    Ok(Flash::success(
        Redirect::to("/"),
        "Your email address is confirmed.",
    ))
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

/// The link mailed to a new address: the page whose button moves the account to it.
#[get("/account/email/confirm?<token>")]
async fn confirm_email_change(
    layout: Layout,
    auth: Auth<'_>,
    token: Option<&str>,
) -> PageResult<Template> {
    let token = live_link(&auth, token, Purpose::ChangeEmail).await?;
    let words = (
        "Confirm your new email address",
        "The account will use this address from now on: confirm it with the button.",
        "Use this address",
    );
    Ok(link_page(layout, words, CONFIRM_EMAIL_PATH, &token))
}

/// The button of the new address's page: the account moves to it.
#[post("/account/email/confirm", data = "<form>")]
async fn confirm_email_change_button(
    me: Visitor<'_>,
    form: CsrfForm<TokenForm>,
) -> PageResult<Flash<Redirect>> {
    let email = me
        .auth
        .by_mail()
        .confirm_email_change(&form.0.token, &me.client)
        .await
        .map_err(PageError)?;
    let message = format!("Your email address is now {email}.");
    Ok(Flash::success(Redirect::to("/account"), message))
}

/// The link mailed to the old address: the page whose button cancels the change.
#[get("/account/email/cancel?<token>")]
async fn cancel_email_change(
    layout: Layout,
    auth: Auth<'_>,
    token: Option<&str>,
) -> PageResult<Template> {
    let token = live_link(&auth, token, Purpose::CancelEmailChange).await?;
    let words = (
        "Cancel the change of your email address",
        "Someone signed in to your account asked to move it to another address. Cancel it if \
         it was not you, then change your password.",
        "Cancel the change",
    );
    Ok(link_page(layout, words, CANCEL_EMAIL_CHANGE_PATH, &token))
}

/// The button of the old address's page: the pending change is void.
#[post("/account/email/cancel", data = "<form>")]
async fn cancel_email_change_button(
    me: Visitor<'_>,
    form: CsrfForm<TokenForm>,
) -> PageResult<Flash<Redirect>> {
    let email = me
        .auth
        .by_mail()
        .cancel_email_change(&form.0.token, &me.client)
        .await?;
    let message = format!(
        "The change is cancelled: your account keeps {email}. If it was not you, change your \
         password."
    );
    Ok(Flash::success(Redirect::to("/"), message))
}
