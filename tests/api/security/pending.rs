//! Credential changes end what was pending (docs/API.md, "Credential changes end what was
//! pending"): a password change or reset, "sign out everywhere", two-factor on or off,
//! deactivation and an admin's reset each void the user's mailed links and sign-in tickets;
//! turning two-factor on signs every other session out; an email change is told to the old
//! address at once, with a link that cancels it. And no GET spends a token.

use rocket::http::Status;
use serde_json::json;

use crate::admin::{admin_ok, app_with_admin, user_id};
use crate::common::*;

const ANN: &str = "ann@example.com";
const NEW: &str = "ann@new.example";

/// Ann asks, signed in, to move her account to `NEW`: the confirmation link's path.
async fn ask_for_email_change(app: &TestApp, ann: &Login) -> String {
    let body = json!({ "email": NEW, "password": PASSWORD });
    let asked = app.post_as(ann, "/api/account/email", body).await;
    assert_eq!(asked.status(), Status::Accepted);
    app.last_mail(NEW, CONFIRM_NEW_SUBJECT).await.path()
}

/// A reset link for Ann, mailed: its token.
async fn reset_link(app: &TestApp) -> String {
    app.forgot_password(ANN).await;
    app.last_mail(ANN, RESET_SUBJECT).await.token()
}

async fn assert_dead_link(app: &TestApp, path: &str) {
    let mut stranger = Browser::new(app, IPHONE);
    let page = stranger.open_mailed_link(path).await;
    assert_eq!(page.status, Status::BadRequest, "{}", page.body);
}

async fn email_of(app: &TestApp, by: &Login) -> String {
    let me: serde_json::Value = app
        .get_with("/api/auth/me", &by.access)
        .await
        .into_json()
        .await
        .unwrap();
    me["user"]["email"].as_str().unwrap().to_owned()
}

#[rocket::async_test]
async fn a_password_reset_voids_a_pending_email_change() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let confirm = ask_for_email_change(&app, &ann).await;
    let token = reset_link(&app).await;
    assert_eq!(
        app.reset_password(&token, NEW_PASSWORD).await.status(),
        Status::NoContent
    );
    assert_dead_link(&app, &confirm).await;
    let body = json!({ "email": ANN, "password": NEW_PASSWORD });
    let login = app.post_json("/api/auth/login", body, FIREFOX).await;
    assert_eq!(login.status(), Status::Ok, "the account kept its address");
}

#[rocket::async_test]
async fn a_password_change_voids_reset_links_and_email_changes() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let confirm = ask_for_email_change(&app, &ann).await;
    let token = reset_link(&app).await;
    let changed = change_password(&app, &ann.access, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status(), Status::NoContent);
    let late = app.reset_password(&token, "yet another passphrase").await;
    assert_eq!(error_code(late).await, "invalid_token");
    assert_dead_link(&app, &confirm).await;
    assert_eq!(email_of(&app, &ann).await, ANN);
}

#[rocket::async_test]
async fn signing_out_everywhere_voids_pending_links() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let confirm = ask_for_email_change(&app, &ann).await;
    let token = reset_link(&app).await;
    assert_eq!(app.revoke_others(&ann).await.status(), Status::Ok);
    let late = app.reset_password(&token, NEW_PASSWORD).await;
    assert_eq!(error_code(late).await, "invalid_token");
    assert_dead_link(&app, &confirm).await;
}

#[rocket::async_test]
async fn turning_two_factor_on_signs_out_every_other_session_and_voids_links() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let phone = app.login(ANN, IPHONE).await;
    let token = reset_link(&app).await;
    app.enable_mfa(&ann).await;
    let refused = app.refresh(&phone).await;
    assert_eq!(refused.status(), Status::Unauthorized);
    assert_eq!(
        app.refresh(&ann).await.status(),
        Status::Ok,
        "this one stays"
    );
    let late = app.reset_password(&token, NEW_PASSWORD).await;
    assert_eq!(error_code(late).await, "invalid_token");
}

#[rocket::async_test]
async fn turning_two_factor_off_voids_links_and_tickets() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let mut enrolled = app.enable_mfa(&ann).await;
    let ticket = app.mfa_ticket(ANN).await;
    let token = reset_link(&app).await;
    let body = json!({ "password": PASSWORD, "code": enrolled.next_code() });
    let off = app
        .client
        .delete("/api/auth/mfa/totp")
        .header(rocket::http::ContentType::JSON)
        .header(bearer(&ann.access))
        .body(body.to_string())
        .dispatch()
        .await;
    assert_eq!(off.status(), Status::NoContent);
    let late = app.reset_password(&token, NEW_PASSWORD).await;
    assert_eq!(error_code(late).await, "invalid_token");
    let spent = app.complete_mfa(&ticket, &enrolled.recovery_codes[0]).await;
    assert_eq!(spent.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn a_password_reset_voids_sign_in_tickets_waiting_for_a_code_on_a_verified_account() {
    let app = app().await;
    let ann = app.register(ANN).await;
    app.verify_email(&app.verification_token(ANN).await).await;
    let enrolled = app.enable_mfa(&ann).await;
    // Someone who knows the old password holds a ticket...
    let ticket = app.mfa_ticket(ANN).await;
    let token = reset_link(&app).await;
    assert_eq!(
        app.reset_password(&token, NEW_PASSWORD).await.status(),
        Status::NoContent
    );
    // ...which the reset ended, whatever code comes with it.
    let late = app.complete_mfa(&ticket, &enrolled.recovery_codes[0]).await;
    assert_eq!(late.status(), Status::Unauthorized);
    assert_eq!(error_code(late).await, "invalid_mfa_token");
}

#[rocket::async_test]
async fn deactivation_and_an_admins_second_factor_reset_void_links_and_tickets() {
    let (app, root) = app_with_admin().await;
    let ann = app.register(ANN).await;
    let enrolled = app.enable_mfa(&ann).await;
    let path = format!("/api/admin/users/{}", user_id(&ann));

    let ticket = app.mfa_ticket(ANN).await;
    let token = reset_link(&app).await;
    admin_ok(
        &app,
        &root,
        "DELETE",
        &format!("{path}/mfa"),
        None,
        Status::NoContent,
    )
    .await;
    let late = app.reset_password(&token, NEW_PASSWORD).await;
    assert_eq!(error_code(late).await, "invalid_token");
    let late = app.complete_mfa(&ticket, &enrolled.recovery_codes[0]).await;
    assert_eq!(late.status(), Status::Unauthorized);

    let token = reset_link(&app).await;
    let deactivate = format!("{path}/deactivate");
    admin_ok(&app, &root, "POST", &deactivate, None, Status::NoContent).await;
    let activate = format!("{path}/activate");
    admin_ok(&app, &root, "POST", &activate, None, Status::NoContent).await;
    let late = app.reset_password(&token, NEW_PASSWORD).await;
    assert_eq!(error_code(late).await, "invalid_token");
}

#[rocket::async_test]
async fn an_email_change_is_told_to_the_old_address_at_once_and_its_link_cancels_it() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let confirm = ask_for_email_change(&app, &ann).await;
    let notice = app.last_mail(ANN, CHANGE_ASKED_SUBJECT).await;
    assert!(notice.text.contains(NEW), "{}", notice.text);
    assert!(notice
        .link()
        .starts_with(&format!("{PUBLIC_URL}/account/email/cancel?token=")));

    // Whoever reads the old mailbox cancels it, from any browser; the new link is dead.
    let mut owner = Browser::new(&app, IPHONE);
    owner
        .open_mailed_link(&notice.path())
        .await
        .assert_redirect("/");
    assert_dead_link(&app, &confirm).await;
    assert_eq!(email_of(&app, &ann).await, ANN);
    assert!(event_kinds(&app, &ann.access)
        .await
        .contains(&"email_change_cancelled".to_owned()));
    // Spent: once.
    assert_dead_link(&app, &notice.path()).await;
}

#[rocket::async_test]
async fn opening_a_mailed_link_spends_nothing_only_its_button_does() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let verify = app.last_mail(ANN, VERIFY_SUBJECT).await;
    let confirm = ask_for_email_change(&app, &ann).await;

    // A mail scanner follows every link, twice: nothing changes.
    let mut scanner = Browser::new(&app, FIREFOX);
    for path in [
        verify.path(),
        confirm.clone(),
        verify.path(),
        confirm.clone(),
    ] {
        let page = scanner.get(&path).await;
        assert_eq!(page.status, Status::Ok, "{path}");
        assert!(
            page.body.contains("<button type=\"submit\""),
            "{}",
            page.body
        );
    }
    app.assert_email_verified(&ann, false).await;
    assert_eq!(email_of(&app, &ann).await, ANN);

    // The button without the CSRF token is refused.
    let token = verify.token();
    let forged = scanner
        .post_raw("/verify-email", &[("token", &token)])
        .await;
    assert_eq!(forged.status, Status::Forbidden);
    app.assert_email_verified(&ann, false).await;

    // The button: confirmed.
    let mut owner = Browser::new(&app, FIREFOX);
    owner
        .open_mailed_link(&verify.path())
        .await
        .assert_redirect("/");
    app.assert_email_verified(&ann, true).await;
    owner
        .open_mailed_link(&confirm)
        .await
        .assert_redirect("/account");
    assert_eq!(email_of(&app, &ann).await, NEW);
}
