//! The account page `/account` and its forms: name, password, email address, deletion. Open to
//! an unverified address (`PageSessionUser`): a mistyped address is fixed here. Thin: the steps
//! are in `account/auth.rs` and `account/by_mail.rs`.

use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, FromForm, Route, State};
use rocket_dyn_templates::Template;
use serde_json::json;

use crate::account::auth::Auth;
use crate::error::ApiError;
use crate::oidc::{OidcError, Providers};
use crate::pages::{CsrfForm, Layout, OneOf, PageResult, PageSessionUser, WithCookies};
use crate::web::guards::Acting;

pub fn routes() -> Vec<Route> {
    routes![
        account,
        rename,
        password_form,
        change_password,
        change_email,
        delete
    ]
}

const ACCOUNT: &str = "/account";

/// Back to the account page with what happened.
fn back(result: Result<String, String>) -> Flash<Redirect> {
    match result {
        Ok(message) => Flash::success(Redirect::to(ACCOUNT), message),
        Err(message) => Flash::error(Redirect::to(ACCOUNT), message),
    }
}

/// The refusals a person can fix on the form; anything else is an error page (429, 500…).
fn fixable(error: ApiError) -> Result<String, ApiError> {
    match error {
        ApiError::InvalidCredentials => Ok("The password is incorrect.".into()),
        ApiError::InvalidEmail
        | ApiError::InvalidInput(_)
        | ApiError::WeakPassword(_)
        | ApiError::EmailTaken => Ok(error.message()),
        other => Err(other),
    }
}

#[get("/account")]
async fn account(
    layout: Layout,
    auth: Auth<'_>,
    providers: &State<Providers>,
    user: PageSessionUser,
) -> PageResult<Template> {
    let oidc_providers = auth.oidc(providers).linked(&user.user).await;
    let (pending, codes_left) = if user.user.mfa_enabled {
        (
            None,
            auth.second_factor().recovery_codes_left(&user.user).await?,
        )
    } else {
        (auth.second_factor().pending(&user.user).await?, 0)
    };
    let page = json!({
        "name": user.user.name,
        "email": user.user.email,
        "email_verified": user.user.email_verified,
        "mfa_enabled": user.user.mfa_enabled,
        "mfa_pending": pending,
        "recovery_codes_left": codes_left,
        "oidc_providers": oidc_providers.map_err(OidcError::into_api)?,
        "passkeys": super::passkeys::panel(&auth, &user.user).await?,
    });
    Ok(layout.render("account", Some(&user.user), page))
}

#[derive(FromForm)]
struct NameForm {
    name: String,
}

#[post("/account/profile", data = "<form>")]
async fn rename(
    auth: Auth<'_>,
    user: PageSessionUser,
    form: CsrfForm<NameForm>,
) -> PageResult<Flash<Redirect>> {
    let result = match auth.rename(&user.user, &form.0.name).await {
        Ok(()) => Ok("Your name is saved.".to_owned()),
        Err(e) => Err(fixable(e)?),
    };
    Ok(back(result))
}

#[get("/account/password")]
fn password_form(layout: Layout, user: PageSessionUser) -> Template {
    layout.render("account_password", Some(&user.user), json!({}))
}

#[derive(FromForm)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// Every other device is signed out; this one stays.
#[post("/account/password", data = "<form>")]
async fn change_password(
    layout: Layout,
    me: Acting<'_, PageSessionUser>,
    form: CsrfForm<PasswordForm>,
) -> PageResult<OneOf<Flash<Redirect>, (Status, Template)>> {
    let PasswordForm {
        current_password,
        new_password,
    } = form.0;
    let changed = me
        .auth
        .change_password(
            me.user(),
            me.sid(),
            current_password,
            new_password,
            &me.client,
        )
        .await;
    match changed {
        Ok(revoked) => {
            let message = match revoked {
                0 => "Your password is changed.".to_owned(),
                1 => "Your password is changed; 1 other device was signed out.".to_owned(),
                n => format!("Your password is changed; {n} other devices were signed out."),
            };
            Ok(OneOf::Left(back(Ok(message))))
        }
        Err(e) => {
            let status = e.status();
            let page = json!({ "error": fixable(e)? });
            let form = layout.render("account_password", Some(me.user()), page);
            Ok(OneOf::Right((status, form)))
        }
    }
}

#[derive(FromForm)]
struct EmailForm {
    email: String,
    password: String,
}

/// Mails a link to the new address; the account moves there when it is followed.
#[post("/account/email", data = "<form>")]
async fn change_email(
    me: Acting<'_, PageSessionUser>,
    form: CsrfForm<EmailForm>,
) -> PageResult<Flash<Redirect>> {
    let EmailForm { email, password } = form.0;
    let requested = me
        .auth
        .by_mail()
        .request_email_change(me.user(), me.sid(), &email, password, &me.client)
        .await;
    let result = match requested {
        Ok(new) => Ok(format!(
            "We sent a link to {}. Your address changes when you follow it.",
            new.as_str()
        )),
        Err(e) => Err(fixable(e)?),
    };
    Ok(back(result))
}

#[derive(FromForm)]
struct DeleteForm {
    password: String,
}

/// With the password: the account, its sessions and links are gone; this browser is signed out.
#[post("/account/delete", data = "<form>")]
async fn delete(
    me: Acting<'_, PageSessionUser>,
    form: CsrfForm<DeleteForm>,
) -> PageResult<OneOf<WithCookies<Flash<Redirect>>, Flash<Redirect>>> {
    let deleted = me
        .auth
        .delete_account(me.user(), me.sid(), form.0.password, &me.client)
        .await;
    match deleted {
        Ok(()) => {
            let to = Flash::success(Redirect::to("/login"), "Your account is deleted.");
            Ok(OneOf::Left(WithCookies::signed_out(to)))
        }
        Err(e) => {
            let message = format!("{} Your account is still here.", fixable(e)?);
            Ok(OneOf::Right(back(Err(message))))
        }
    }
}
