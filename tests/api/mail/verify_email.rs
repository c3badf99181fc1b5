//! Verifying the address: the link mailed at sign-up, asking for a new one, `email_verified` in
//! the API and on the home page, and `require_verified_email`.

use rocket::http::Status;
use serde_json::Value;

use crate::common::*;

#[rocket::async_test]
async fn the_link_mailed_at_sign_up_verifies_the_address_once() {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    assert_eq!(ann.body["user"]["email_verified"], false);
    let mail = app.last_mail("ann@example.com", VERIFY_SUBJECT).await;

    assert_eq!(
        app.verify_email(&mail.token()).await.status(),
        Status::NoContent
    );
    app.assert_email_verified(&ann, true).await;
    assert_eq!(event_kinds(&app, &ann.access).await[0], "email_verified");

    let again = app.verify_email(&mail.token()).await;
    assert_eq!(again.status(), Status::BadRequest);
    assert_eq!(error_code(again).await, "invalid_token");
}

#[rocket::async_test]
async fn the_home_page_says_whether_the_address_is_verified_and_the_link_page_confirms_it() {
    let app = app().await;
    let mut laptop = ann_signed_up(&app).await;
    let home = laptop.get("/").await;
    assert!(home.body.contains("not verified yet"), "{}", home.body);
    let mail = app.last_mail("ann@example.com", VERIFY_SUBJECT).await;
    laptop
        .open_mailed_link(&mail.path())
        .await
        .assert_redirect("/");
    let home = laptop.get("/").await;
    assert!(home.body.contains("Your email address is confirmed."));
    assert!(home.body.contains("verified") && !home.body.contains("not verified yet"));
    // A used link: the readable 400 page.
    let dead = laptop.get(&mail.path()).await;
    assert_eq!(dead.status, Status::BadRequest);
    assert!(
        dead.body.contains("This link does not work"),
        "{}",
        dead.body
    );
}

#[rocket::async_test]
async fn a_new_link_replaces_the_old_one_and_asking_is_rate_limited() {
    let app = app_with(|f| f.merge(("rate_limit_mail_per_address", "2/h"))).await;
    let ann = app.register("ann@example.com").await;
    let first = app.last_mail("ann@example.com", VERIFY_SUBJECT).await;
    let response = app.resend_verification(&ann).await;
    assert_eq!(response.status(), Status::Accepted);
    assert_eq!(response.into_json::<Value>().await.unwrap()["sent"], true);
    let second = app.last_mail("ann@example.com", VERIFY_SUBJECT).await;
    assert_ne!(first.token(), second.token());

    // The sign-up's own mail counted: two in the hour, the third request waits.
    assert_rate_limited(app.resend_verification(&ann).await).await;
    assert_eq!(
        app.mails_to("ann@example.com", VERIFY_SUBJECT).await.len(),
        2
    );

    let newest = app.last_mail("ann@example.com", VERIFY_SUBJECT).await;
    assert_eq!(
        app.verify_email(&first.token()).await.status(),
        Status::BadRequest
    );
    assert_eq!(
        app.verify_email(&newest.token()).await.status(),
        Status::NoContent
    );
}

#[rocket::async_test]
async fn a_verified_address_gets_no_new_link() {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    let mail = app.last_mail("ann@example.com", VERIFY_SUBJECT).await;
    app.verify_email(&mail.token()).await;
    let response = app.resend_verification(&ann).await;
    assert_eq!(response.status(), Status::Accepted);
    assert_eq!(response.into_json::<Value>().await.unwrap()["sent"], false);
    assert_eq!(
        app.mails_to("ann@example.com", VERIFY_SUBJECT).await.len(),
        1
    );
}

#[rocket::async_test]
async fn required_verification_answers_403_email_unverified_until_the_link_is_followed() {
    let app = app_with(|f| f.merge(("require_verified_email", true))).await;
    // Signing up and in still works.
    let ann = app.register("ann@example.com").await;
    for path in ["/api/auth/me", "/api/sessions", "/api/security-events"] {
        let response = app.get_with(path, &ann.access).await;
        assert_eq!(response.status(), Status::Forbidden, "{path}");
        assert_eq!(error_code(response).await, "email_unverified", "{path}");
    }
    // What an unverified user still needs works: a new link, the claims, signing out.
    assert_eq!(
        app.resend_verification(&ann).await.status(),
        Status::Accepted
    );
    let claims = app.get_with("/api/auth/claims", &ann.access).await;
    assert_eq!(claims.status(), Status::Ok);

    let mail = app.last_mail("ann@example.com", VERIFY_SUBJECT).await;
    assert_eq!(
        app.verify_email(&mail.token()).await.status(),
        Status::NoContent
    );
    app.assert_email_verified(&ann, true).await;
}

#[rocket::async_test]
async fn required_verification_shows_pages_a_check_your_mail_page_but_not_the_account_page() {
    let app = app_with(|f| f.merge(("require_verified_email", true))).await;
    let mut laptop = ann_signed_up(&app).await;
    for path in ["/", "/sessions"] {
        let page = laptop.get(path).await;
        assert_eq!(page.status, Status::Forbidden, "{path}");
        assert!(page.body.contains("Check your mail"), "{}", page.body);
        assert!(page.body.contains("ann@example.com"));
        assert!(page.body.contains("action=\"/verify-email/resend\""));
    }
    assert_eq!(laptop.get("/account").await.status, Status::Ok);
    let resent = laptop.post("/verify-email/resend", &[]).await;
    resent.assert_redirect("/verify-email");
    let page = laptop.get("/verify-email").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("We sent a new link to ann@example.com."));

    let mail = app.last_mail("ann@example.com", VERIFY_SUBJECT).await;
    laptop
        .open_mailed_link(&mail.path())
        .await
        .assert_redirect("/");
    assert_eq!(laptop.get("/sessions").await.status, Status::Ok);
    // Signing out needs no verified address either.
    let mut phone = Browser::new(&app, IPHONE);
    phone.sign_in("ann@example.com").await;
    assert_eq!(phone.get("/").await.status, Status::Ok);
}
