//! A forgotten password: the same answer for every address (and as quick), the mailed link,
//! the reset that signs every device out, the rate limits, and the pages.

use std::time::Duration;

use rocket::http::Status;
use serde_json::{json, Value};

use crate::common::*;

async fn login_status(app: &TestApp, password: &str) -> Status {
    let body = json!({ "email": "ann@example.com", "password": password });
    app.post_json("/api/auth/login", body, FIREFOX)
        .await
        .status()
}

#[rocket::async_test]
async fn forgot_then_the_mailed_link_then_sign_in_with_the_new_password() {
    let app = app().await;
    let laptop = app.register("ann@example.com").await;
    let phone = app.login("ann@example.com", IPHONE).await;
    assert_eq!(
        app.forgot_password("Ann@Example.com").await.status(),
        Status::Accepted
    );
    let mail = app.last_mail("ann@example.com", RESET_SUBJECT).await;
    assert!(mail
        .link()
        .starts_with(&format!("{PUBLIC_URL}/reset-password?token=")));
    assert!(mail.text.contains("30 minutes"), "{}", mail.text);

    assert_eq!(
        app.reset_password(&mail.token(), NEW_PASSWORD)
            .await
            .status(),
        Status::NoContent
    );
    // Every session is revoked, both devices.
    for device in [&laptop, &phone] {
        assert_eq!(app.refresh(device).await.status(), Status::Unauthorized);
        let me = app.get_with("/api/auth/me", &device.access).await;
        assert_eq!(me.status(), Status::Unauthorized);
    }
    assert_eq!(live_sessions(&app).await, 0);
    assert_eq!(login_status(&app, PASSWORD).await, Status::Unauthorized);
    let again = app.login_with("ann@example.com", NEW_PASSWORD).await;
    assert_eq!(
        again.body["user"]["email_verified"], true,
        "the link proved the address"
    );
    let kinds = event_kinds(&app, &again.access).await;
    assert!(kinds.contains(&"password_reset".to_owned()), "{kinds:?}");
    assert!(
        kinds.contains(&"password_reset_requested".to_owned()),
        "{kinds:?}"
    );
    // The link is spent.
    let reused = app
        .reset_password(&mail.token(), "yet another passphrase")
        .await;
    assert_eq!(error_code(reused).await, "invalid_token");
}

#[rocket::async_test]
async fn every_address_gets_the_same_answer_and_only_an_account_gets_a_mail() {
    let app = app().await;
    app.register("ann@example.com").await;
    let mut answers = Vec::new();
    for email in ["ann@example.com", "nobody@example.com"] {
        let response = app.forgot_password(email).await;
        let status = response.status();
        let mut headers: Vec<String> = response
            .headers()
            .iter()
            .map(|h| h.name().to_string())
            .collect();
        headers.sort();
        let body: Value = response.into_json().await.unwrap();
        answers.push((status, headers, body));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, Status::Accepted);
    let resets: Vec<_> = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.subject == RESET_SUBJECT)
        .collect();
    assert_eq!(resets.len(), 1);
    assert_eq!(resets[0].to, "ann@example.com");
    // A malformed address names no account: said so, which tells nothing about accounts.
    let bad = app.forgot_password("not an address").await;
    assert_eq!(error_code(bad).await, "invalid_email");
}

/// Holds the database's write lock (SQLite) or the tokens table (PostgreSQL) until dropped.
async fn block_writes(
    app: &TestApp,
) -> sqlx::Transaction<'static, rocket_auth_template::db::Engine> {
    let mut tx = app.db().begin().await.unwrap();
    #[cfg(feature = "sqlite")]
    sqlx::query("UPDATE users SET name = name")
        .execute(&mut *tx)
        .await
        .unwrap();
    #[cfg(feature = "postgres")]
    sqlx::query("LOCK TABLE one_time_tokens IN EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

#[rocket::async_test]
async fn the_answer_does_not_wait_for_the_work_an_existing_account_needs() {
    // An account's reset needs a token written; an unknown address needs nothing. With writes
    // blocked, an answer that waited for that work would take seconds (or fail).
    let app = app().await;
    app.register("ann@example.com").await;
    app.mail_settled().await;
    let lock = block_writes(&app).await;
    let answered = rocket::tokio::time::timeout(
        Duration::from_millis(1500),
        app.forgot_password("ann@example.com"),
    )
    .await;
    let status = answered
        .expect("answered while the account's work still waits")
        .status();
    assert_eq!(status, Status::Accepted);
    lock.rollback().await.unwrap();
    // The work is done after all, off the request path.
    app.last_mail("ann@example.com", RESET_SUBJECT).await;
}

#[rocket::async_test]
async fn forgot_password_is_rate_limited_per_address_and_per_ip() {
    let app = app_with(|f| {
        f.merge(("rate_limit_mail_per_address", "2/h"))
            .merge(("rate_limit_mail_per_ip", "4/h"))
    })
    .await;
    // Per address, from any IP, whether or not an account uses it.
    for email in ["ann@example.com", "nobody@example.com"] {
        for ip in ["192.0.2.1", "192.0.2.2"] {
            let response = post_from(
                &app,
                "/api/auth/password/forgot",
                json!({ "email": email }),
                ip,
            )
            .await;
            assert_eq!(response.status(), Status::Accepted, "{email} {ip}");
        }
        let response = post_from(
            &app,
            "/api/auth/password/forgot",
            json!({ "email": email }),
            "192.0.2.3",
        )
        .await;
        assert_rate_limited(response).await;
    }
    // Per IP: 192.0.2.3 has used none; 192.0.2.1 two, two more and it is out.
    for email in ["c@example.com", "d@example.com"] {
        let response = post_from(
            &app,
            "/api/auth/password/forgot",
            json!({ "email": email }),
            "192.0.2.1",
        )
        .await;
        assert_eq!(response.status(), Status::Accepted);
    }
    let response = post_from(
        &app,
        "/api/auth/password/forgot",
        json!({ "email": "e@example.com" }),
        "192.0.2.1",
    )
    .await;
    assert_rate_limited(response).await;
    let response = post_from(
        &app,
        "/api/auth/password/forgot",
        json!({ "email": "e@example.com" }),
        "192.0.2.9",
    )
    .await;
    assert_eq!(response.status(), Status::Accepted);
}

#[rocket::async_test]
async fn a_weak_password_spends_nothing_and_the_link_still_works() {
    let app = app().await;
    app.register("ann@example.com").await;
    app.forgot_password("ann@example.com").await;
    let token = app
        .last_mail("ann@example.com", RESET_SUBJECT)
        .await
        .token();
    for weak in ["short", "ann@example.com"] {
        let response = app.reset_password(&token, weak).await;
        assert_eq!(error_code(response).await, "weak_password");
    }
    assert_eq!(login_status(&app, PASSWORD).await, Status::Ok);
    assert_eq!(
        app.reset_password(&token, NEW_PASSWORD).await.status(),
        Status::NoContent
    );
}

#[rocket::async_test]
async fn the_pages_take_a_forgotten_password_to_a_new_one() {
    let app = app().await;
    let mut laptop = ann_signed_up(&app).await;
    let mut stranger = Browser::new(&app, IPHONE);
    let login = stranger.get("/login").await;
    assert!(login.body.contains("href=\"/forgot-password\""));
    assert_eq!(stranger.get("/forgot-password").await.status, Status::Ok);
    let sent = stranger
        .post("/forgot-password", &[("email", "ann@example.com")])
        .await;
    assert_eq!(sent.status, Status::Ok);
    assert!(sent.body.contains("Check your mail"), "{}", sent.body);
    let nobody = stranger
        .post("/forgot-password", &[("email", "nobody@example.com")])
        .await;
    assert_eq!(
        nobody.body.replace("nobody@example.com", "ADDRESS"),
        sent.body.replace("ann@example.com", "ADDRESS")
    );

    let mail = app.last_mail("ann@example.com", RESET_SUBJECT).await;
    let form = stranger.get(&mail.path()).await;
    assert_eq!(form.status, Status::Ok);
    assert!(form.body.contains(&format!("value=\"{}\"", mail.token())));
    let weak = stranger
        .post(
            "/reset-password",
            &[("token", &mail.token()), ("password", "short")],
        )
        .await;
    assert_eq!(weak.status, Status::UnprocessableEntity);
    let done = stranger
        .post(
            "/reset-password",
            &[("token", &mail.token()), ("password", NEW_PASSWORD)],
        )
        .await;
    done.assert_redirect("/login");
    // The laptop's session went with the old password.
    laptop.get("/").await.assert_redirect("/login");
    let dead = stranger.get(&mail.path()).await;
    assert_eq!(dead.status, Status::BadRequest);
    assert!(dead.body.contains("This link does not work"));
    stranger.get("/login").await;
    let signed_in = stranger
        .post(
            "/login",
            &[("email", "ann@example.com"), ("password", NEW_PASSWORD)],
        )
        .await;
    assert!(signed_in.sets_session_cookies(), "{signed_in:?}");
}
