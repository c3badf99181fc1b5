//! The MFA pages: the account panel (QR code, key, confirm, recovery codes, turn off) and the
//! second sign-in step at `/login/mfa`.

use rocket::http::Status;

use crate::common::*;

const ANN: &str = "ann@example.com";

/// The text between `start` and the next `end` in `html`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {html}"))
        + start.len();
    let len = html[from..].find(end).expect("end");
    &html[from..from + len]
}

#[rocket::async_test]
async fn enrol_on_the_account_page_then_sign_in_with_the_second_step() {
    let app = app().await;
    let mut laptop = ann_signed_up(&app).await;
    // On an address not proved yet, the panel says to confirm it first.
    let account = laptop.get("/account").await;
    assert!(account
        .body
        .contains("once your email address is confirmed"));
    assert!(!account.body.contains("Set up two-factor sign-in"));
    app.verify_email(&app.verification_token("ann@example.com").await)
        .await;
    let account = laptop.get("/account").await;
    assert!(account.body.contains("Set up two-factor sign-in"));
    laptop
        .post("/account/mfa/setup", &[("password", PASSWORD)])
        .await
        .assert_redirect("/account#mfa");
    let account = laptop.get("/account").await;
    assert!(account.body.contains("<svg"), "the QR code inline");
    let secret = between(&account.body, "<code class=\"mfa-secret\">", "</code>").to_owned();
    let step = current_step();
    let wrong = laptop
        .post("/account/mfa/confirm", &[("code", "12345")])
        .await;
    wrong.assert_redirect("/account#mfa");
    let codes = laptop
        .post("/account/mfa/confirm", &[("code", &code_at(&secret, step))])
        .await;
    assert_eq!(codes.status, Status::Ok);
    assert_eq!(codes.body.matches("<li><code>").count(), 10);
    assert!(codes
        .body
        .contains("href=\"data:text/plain;charset=utf-8,Recovery%20codes"));
    assert!(codes.body.contains("download=\"recovery-codes.txt\""));
    let account = laptop.get("/account").await;
    assert!(
        account.body.contains("10 recovery codes left"),
        "{}",
        account.body
    );

    laptop.post("/logout", &[]).await;
    laptop.get("/login").await;
    let first = laptop
        .post(
            "/login",
            &[
                ("email", ANN),
                ("password", PASSWORD),
                ("next", "/sessions"),
            ],
        )
        .await;
    first.assert_redirect("/login/mfa?next=/sessions");
    assert!(!first.sets_session_cookies());
    let ticket = first.set_cookie("mfa_ticket").expect("ticket cookie");
    assert!(ticket.http_only().unwrap_or(false));
    assert_eq!(ticket.path(), Some("/login/mfa"));

    let form = laptop.get("/login/mfa?next=/sessions").await;
    assert!(form.body.contains("One more step"));
    let wrong = laptop
        .post("/login/mfa", &[("code", "000000"), ("next", "/sessions")])
        .await;
    assert_eq!(wrong.status, Status::BadRequest);
    assert!(wrong.body.contains("That code is not right"));
    let done = laptop
        .post(
            "/login/mfa",
            &[("code", &code_at(&secret, step + 1)), ("next", "/sessions")],
        )
        .await;
    done.assert_redirect("/sessions");
    assert!(done.sets_session_cookies());
    let devices = laptop.get("/sessions").await;
    assert!(devices.body.contains(">MFA</span>"), "{}", devices.body);
    assert!(devices
        .body
        .contains("with <span class=\"method\">Password + code</span>"));
}

#[rocket::async_test]
async fn the_second_step_without_a_ticket_goes_back_to_sign_in() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    browser.get("/login/mfa").await.assert_redirect("/login");
    browser.get("/login").await;
    let page = browser.post("/login/mfa", &[("code", "123456")]).await;
    page.assert_redirect("/login");
}

#[rocket::async_test]
async fn turning_mfa_off_on_the_account_page_needs_the_password_and_a_code() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let enrolled = app.enable_mfa(&ann).await;
    let mut laptop = Browser::new(&app, FIREFOX);
    laptop.get("/login").await;
    laptop
        .post("/login", &[("email", ANN), ("password", PASSWORD)])
        .await;
    laptop
        .post("/login/mfa", &[("code", &enrolled.recovery_codes[0])])
        .await
        .assert_redirect("/");
    let account = laptop.get("/account").await;
    assert!(account.body.contains("9 recovery codes left"));
    laptop
        .post(
            "/account/mfa/disable",
            &[("password", PASSWORD), ("code", "000000")],
        )
        .await
        .assert_redirect("/account#mfa");
    assert!(laptop
        .get("/account")
        .await
        .body
        .contains("Turn two-factor sign-in off"));
    let code = &enrolled.recovery_codes[1];
    laptop
        .post(
            "/account/mfa/disable",
            &[("password", PASSWORD), ("code", code)],
        )
        .await
        .assert_redirect("/account#mfa");
    assert!(laptop
        .get("/account")
        .await
        .body
        .contains("Set up two-factor sign-in"));
}
