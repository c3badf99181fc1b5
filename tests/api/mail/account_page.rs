//! The account page `/account`: reached from home and the navigation; the name, the password,
//! the email address (a link to the new one, a notice to the old), and deleting the account.

use rocket::http::Status;
use serde_json::json;

use crate::common::*;

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.db()).await.unwrap()
}

#[rocket::async_test]
async fn the_account_page_is_linked_from_home_and_the_navigation_and_keeps_the_name() {
    let app = app().await;
    let mut laptop = ann_signed_up(&app).await;
    let home = laptop.get("/").await;
    assert!(
        home.body.matches("href=\"/account\"").count() >= 2,
        "nav and home"
    );
    let page = laptop.get("/account").await;
    assert_eq!(page.status, Status::Ok);
    for form in [
        "/account/profile",
        "/account/email",
        "/account/delete",
        "/verify-email/resend",
    ] {
        assert!(page.body.contains(&format!("action=\"{form}\"")), "{form}");
    }
    assert!(page.body.contains("href=\"/account/password\""));
    laptop
        .post("/account/profile", &[("name", "  Ann Smith ")])
        .await
        .assert_redirect("/account");
    let page = laptop.get("/account").await;
    assert!(page.body.contains("Your name is saved."));
    assert!(page.body.contains("value=\"Ann Smith\""));
    let bad = laptop
        .post("/account/profile", &[("name", &"x".repeat(101))])
        .await;
    bad.assert_redirect("/account");
    assert!(laptop
        .get("/account")
        .await
        .body
        .contains("at most 100 characters"));
    // Without a user: to sign in first.
    let mut stranger = Browser::new(&app, IPHONE);
    stranger
        .get("/account")
        .await
        .assert_redirect("/login?next=/account");
}

#[rocket::async_test]
async fn the_password_page_changes_it_and_signs_out_the_other_devices() {
    let app = app().await;
    let (mut laptop, mut phone) = laptop_and_phone(&app).await;
    assert_eq!(laptop.get("/account/password").await.status, Status::Ok);
    let wrong = laptop
        .post(
            "/account/password",
            &[
                ("current_password", "guess guess"),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status, Status::Unauthorized);
    assert!(wrong.body.contains("The password is incorrect."));
    let done = laptop
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    done.assert_redirect("/account");
    assert!(laptop
        .get("/account")
        .await
        .body
        .contains("1 other device was signed out"));
    phone.get("/").await.assert_redirect("/login");
}

#[rocket::async_test]
async fn a_new_address_is_confirmed_by_a_link_sent_to_it_and_the_old_one_is_told() {
    let app = app().await;
    let mut laptop = ann_signed_up(&app).await;
    Browser::new(&app, IPHONE).sign_up("bob@example.com").await;
    laptop.get("/account").await;
    let change =
        |email: &'static str, password: &'static str| [("email", email), ("password", password)];

    // Refused: a wrong password, the address of another account; nothing is mailed.
    for (email, password, says) in [
        (
            "ann@new.example",
            "guess guess",
            "The password is incorrect.",
        ),
        (
            "bob@example.com",
            PASSWORD,
            "An account with this email already exists.",
        ),
        ("not an address", PASSWORD, "not a valid email address"),
    ] {
        laptop
            .post("/account/email", &change(email, password))
            .await
            .assert_redirect("/account");
        assert!(laptop.get("/account").await.body.contains(says), "{says}");
    }
    assert!(app
        .mails_to("ann@new.example", CONFIRM_NEW_SUBJECT)
        .await
        .is_empty());

    laptop
        .post("/account/email", &change("Ann@New.Example", PASSWORD))
        .await
        .assert_redirect("/account");
    let page = laptop.get("/account").await;
    assert!(page.body.contains("We sent a link to ann@new.example."));
    assert!(
        page.body.contains("<strong>ann@example.com</strong>"),
        "unchanged until confirmed"
    );
    let mail = app.last_mail("ann@new.example", CONFIRM_NEW_SUBJECT).await;
    assert!(mail
        .link()
        .starts_with(&format!("{PUBLIC_URL}/account/email/confirm?token=")));
    assert!(mail.text.contains("instead of ann@example.com"));

    // The link works from any browser (the mailbox is the proof).
    let mut elsewhere = Browser::new(&app, IPHONE);
    elsewhere
        .open_mailed_link(&mail.path())
        .await
        .assert_redirect("/account");
    let page = laptop.get("/account").await;
    assert!(page.body.contains("<strong>ann@new.example</strong>"));
    assert!(page.body.contains("verified"));
    let notice = app.last_mail("ann@example.com", CHANGED_SUBJECT).await;
    assert!(notice.text.contains("ann@new.example"), "{}", notice.text);
    assert!(notice.link().ends_with("/sessions"));
    assert_eq!(
        elsewhere.get(&mail.path()).await.status,
        Status::BadRequest,
        "spent"
    );

    let body = json!({ "email": "ann@new.example", "password": PASSWORD });
    assert_eq!(
        app.post_json("/api/auth/login", body, FIREFOX)
            .await
            .status(),
        Status::Ok
    );
    let old = json!({ "email": "ann@example.com", "password": PASSWORD });
    assert_eq!(
        app.post_json("/api/auth/login", old, FIREFOX)
            .await
            .status(),
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn deleting_the_account_needs_the_password_and_leaves_only_its_events() {
    let app = app().await;
    let (mut laptop, phone) = laptop_and_phone(&app).await;
    let ann_id: i64 = count(&app, "SELECT id FROM users WHERE email = 'ann@example.com'").await;
    laptop.get("/account").await;
    let wrong = laptop
        .post("/account/delete", &[("password", "guess guess")])
        .await;
    wrong.assert_redirect("/account");
    assert!(laptop
        .get("/account")
        .await
        .body
        .contains("Your account is still here."));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, 1);

    let gone = laptop
        .post("/account/delete", &[("password", PASSWORD)])
        .await;
    gone.assert_redirect("/login");
    assert!(gone.clears_session_cookies());
    for table in ["users", "sessions", "one_time_tokens"] {
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
    let kept = count(
        &app,
        &format!("SELECT COUNT(*) FROM security_events WHERE user_id = {ann_id}"),
    )
    .await;
    assert!(
        kept >= 4,
        "registered, logins, the failed check, account_deleted: {kept}"
    );
    let deleted = count(
        &app,
        "SELECT COUNT(*) FROM security_events WHERE kind = 'account_deleted'",
    )
    .await;
    assert_eq!(deleted, 1);
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT kind, user_agent, session_id FROM security_events")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert!(
        rows.iter().all(|r| !format!("{r:?}").contains("ann@")),
        "no email: {rows:?}"
    );
    let mut phone = phone;
    phone.get("/").await.assert_redirect("/login");

    // The address is free again; the new account's id and log are its own.
    let bob = app.register("ann@example.com").await;
    assert_ne!(bob.body["user"]["id"], json!(ann_id.to_string()));
    assert_eq!(event_kinds(&app, &bob.access).await, ["registered"]);
}
