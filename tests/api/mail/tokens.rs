//! One-time tokens: forged, reused, expired or of another purpose, they answer
//! `400 invalid_token` and change nothing; only a hash is stored; a new one voids the older;
//! each is bound to the address it was mailed to; two racing uses spend it once; housekeeping
//! purges them.

use rocket::http::Status;
use rocket::local::asynchronous::LocalResponse;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::common::*;

async fn assert_invalid(response: LocalResponse<'_>) {
    assert_eq!(response.status(), Status::BadRequest);
    assert_eq!(error_code(response).await, "invalid_token");
}

/// Ann: still her password, still signed in, still unverified.
async fn assert_unchanged(app: &TestApp, ann: &Login) {
    app.assert_email_verified(ann, false).await;
    assert!(session_is_live(app, &ann.session_id()).await);
    let body = json!({ "email": "ann@example.com", "password": PASSWORD });
    let login = app.post_json("/api/auth/login", body, FIREFOX).await;
    assert_eq!(login.status(), Status::Ok);
}

async fn sql(app: &TestApp, statement: &str) {
    sqlx::query(statement).execute(app.db()).await.unwrap();
}

#[rocket::async_test]
async fn forged_reused_expired_or_wrong_purpose_tokens_answer_invalid_token_and_change_nothing() {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    assert_eq!(
        app.forgot_password("ann@example.com").await.status(),
        Status::Accepted
    );
    let verify_token = app
        .last_mail("ann@example.com", VERIFY_SUBJECT)
        .await
        .token();
    let reset_token = app
        .last_mail("ann@example.com", RESET_SUBJECT)
        .await
        .token();

    let forged = [
        String::new(),
        "x".into(),
        "A".repeat(43),
        format!("{}x", &verify_token),
        verify_token.to_uppercase(),
    ];
    for token in &forged {
        assert_invalid(app.verify_email(token).await).await;
        assert_invalid(app.reset_password(token, NEW_PASSWORD).await).await;
    }
    // Of another purpose: each refused by the other's route, and left unspent.
    assert_invalid(app.reset_password(&verify_token, NEW_PASSWORD).await).await;
    assert_invalid(app.verify_email(&reset_token).await).await;
    assert_unchanged(&app, &ann).await;

    // Expired.
    sql(&app, "UPDATE one_time_tokens SET expires_at = expires_at - 1801 WHERE purpose = 'reset_password'").await;
    assert_invalid(app.reset_password(&reset_token, NEW_PASSWORD).await).await;
    assert_unchanged(&app, &ann).await;

    // Reused: the verification link works once.
    assert_eq!(
        app.verify_email(&verify_token).await.status(),
        Status::NoContent
    );
    assert_invalid(app.verify_email(&verify_token).await).await;
    let kinds = event_kinds(&app, &ann.access).await;
    assert!(!kinds.contains(&"password_reset".to_owned()), "{kinds:?}");
}

#[rocket::async_test]
async fn an_expired_verification_link_verifies_nothing() {
    let app = app().await;
    let ann = app.register("ann@example.com").await;
    let token = app
        .last_mail("ann@example.com", VERIFY_SUBJECT)
        .await
        .token();
    sql(&app, "UPDATE one_time_tokens SET expires_at = created_at").await;
    assert_invalid(app.verify_email(&token).await).await;
    assert_unchanged(&app, &ann).await;
}

#[rocket::async_test]
async fn tokens_expire_after_their_configured_lifetime() {
    let app = app_with(|f| {
        f.merge(("password_reset_ttl", 600))
            .merge(("email_verify_ttl", 900))
    })
    .await;
    app.register("ann@example.com").await;
    assert_eq!(
        app.forgot_password("ann@example.com").await.status(),
        Status::Accepted
    );
    app.mail_settled().await;
    let lifetimes: Vec<(String, i64)> = sqlx::query_as(
        "SELECT purpose, expires_at - created_at FROM one_time_tokens ORDER BY purpose",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    let expected = [
        ("reset_password".to_owned(), 600),
        ("verify_email".to_owned(), 900),
    ];
    assert_eq!(lifetimes, expected);
    let reset = app.last_mail("ann@example.com", RESET_SUBJECT).await;
    assert!(reset.text.contains("10 minutes"), "{}", reset.text);
}

#[rocket::async_test]
async fn only_a_sha256_of_each_token_is_stored() {
    let app = app().await;
    app.register("ann@example.com").await;
    let token = app
        .last_mail("ann@example.com", VERIFY_SUBJECT)
        .await
        .token();
    assert!(token.len() >= 22, "at least 128 bits in base64url");
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT token_hash, email, purpose FROM one_time_tokens")
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(rows.len(), 1);
    let digest: String = Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        rows[0],
        (digest, "ann@example.com".into(), "verify_email".into())
    );
    for column in [&rows[0].0, &rows[0].1, &rows[0].2] {
        assert!(!column.contains(&token));
    }
}

#[rocket::async_test]
async fn a_new_link_voids_the_older_one_of_its_purpose_only() {
    let app = app().await;
    app.register("ann@example.com").await;
    assert_eq!(
        app.forgot_password("ann@example.com").await.status(),
        Status::Accepted
    );
    let first = app
        .last_mail("ann@example.com", RESET_SUBJECT)
        .await
        .token();
    assert_eq!(
        app.forgot_password("ann@example.com").await.status(),
        Status::Accepted
    );
    let second = app
        .last_mail("ann@example.com", RESET_SUBJECT)
        .await
        .token();
    assert_ne!(first, second);
    assert_invalid(app.reset_password(&first, NEW_PASSWORD).await).await;
    // The verification link (another purpose) survived both new reset links.
    let verify_token = app
        .last_mail("ann@example.com", VERIFY_SUBJECT)
        .await
        .token();
    assert_eq!(
        app.verify_email(&verify_token).await.status(),
        Status::NoContent
    );
    assert_eq!(
        app.reset_password(&second, NEW_PASSWORD).await.status(),
        Status::NoContent
    );
}

#[rocket::async_test]
async fn two_uses_at_once_spend_a_token_once() {
    let app = app().await;
    app.register("ann@example.com").await;
    let token = app
        .last_mail("ann@example.com", VERIFY_SUBJECT)
        .await
        .token();
    let (a, b) =
        rocket::futures::future::join(app.verify_email(&token), app.verify_email(&token)).await;
    let mut statuses = [a.status().code, b.status().code];
    statuses.sort();
    assert_eq!(statuses, [204, 400]);
}

#[rocket::async_test]
async fn a_verification_link_works_only_for_the_address_it_was_mailed_to() {
    let app = app().await;
    let mut laptop = ann_signed_up(&app).await;
    let old_link = app.last_mail("ann@example.com", VERIFY_SUBJECT).await;
    laptop.get("/account").await;
    let asked = laptop
        .post(
            "/account/email",
            &[("email", "ann@new.example"), ("password", PASSWORD)],
        )
        .await;
    asked.assert_redirect("/account");
    let confirm = app.last_mail("ann@new.example", CONFIRM_NEW_SUBJECT).await;
    laptop
        .open_mailed_link(&confirm.path())
        .await
        .assert_redirect("/account");
    // The link sent to the old address proves nothing about the new one.
    assert_invalid(app.verify_email(&old_link.token()).await).await;
}

#[rocket::async_test]
async fn housekeeping_purges_used_and_expired_tokens_and_keeps_live_ones() {
    use rocket_auth_template::housekeeping::prune;
    let app = app().await;
    for email in ["ann@example.com", "bob@example.com", "cy@example.com"] {
        app.register(email).await;
    }
    let ann = app
        .last_mail("ann@example.com", VERIFY_SUBJECT)
        .await
        .token();
    assert_eq!(app.verify_email(&ann).await.status(), Status::NoContent);
    sql(
        &app,
        "UPDATE one_time_tokens SET expires_at = 0 WHERE email = 'bob@example.com'",
    )
    .await;
    let pruned = prune(app.db(), None).await.unwrap();
    assert_eq!(pruned.tokens, 2);
    let left: Vec<String> = sqlx::query_scalar("SELECT email FROM one_time_tokens")
        .fetch_all(app.db())
        .await
        .unwrap();
    assert_eq!(left, ["cy@example.com"]);
}
