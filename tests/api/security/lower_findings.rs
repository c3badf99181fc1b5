//! The lower findings of round three, each pinned: second factors only on a proved address (and
//! cleared by the reset of one never proved), confirm turns on exactly the checked secret,
//! strict addresses, sign-in tickets bound to their device, the sign-up mail counted against the
//! mail limits, no query strings in the nginx log, and bounded queues (`503` + `Retry-After`).

use rocket::http::Status;
use rocket_auth_template::auth::password::Passwords;
use rocket_auth_template::mfa::keys::MfaKeys;
use rocket_auth_template::mfa::totp;
use serde_json::json;

use crate::common::*;

const ANN: &str = "ann@example.com";

async fn user_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.db())
        .await
        .unwrap()
}

#[rocket::async_test]
async fn a_reset_of_a_never_verified_account_clears_its_second_factor() {
    let app = app().await;
    let ann = app.register(ANN).await;
    app.enable_mfa(&ann).await;
    // As an account enrolled before the address was proved (or before this rule) would be.
    sqlx::query("UPDATE users SET email_verified = FALSE WHERE email = $1")
        .bind(ANN)
        .execute(app.db())
        .await
        .unwrap();
    app.forgot_password(ANN).await;
    let token = app.last_mail(ANN, RESET_SUBJECT).await.token();
    assert_eq!(
        app.reset_password(&token, NEW_PASSWORD).await.status(),
        Status::NoContent
    );
    // Whoever reads the mailbox owns the account: the password alone signs in.
    let body = json!({ "email": ANN, "password": NEW_PASSWORD });
    let login = app.post_json("/api/auth/login", body, FIREFOX).await;
    assert_eq!(login.status(), Status::Ok);
}

#[rocket::async_test]
async fn confirm_turns_on_only_the_secret_whose_code_was_checked() {
    let app = app().await;
    let ann = app.register(ANN).await;
    app.mfa_setup(&ann).await;
    let id = user_id(&app, ANN).await;
    let first: String = sqlx::query_scalar("SELECT secret FROM mfa_totp WHERE user_id = $1")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap();
    // A second setup replaced the pending secret while a confirm of the first was on its way.
    app.mfa_setup(&ann).await;
    let keys = app.client.rocket().state::<MfaKeys>().unwrap();
    let codes = vec!["abcde-fghjk".to_owned()];
    let raced = totp::enable(app.db(), keys, id, &first, &codes, 1).await;
    assert_eq!(
        raced,
        Err(rocket_auth_template::error::ApiError::InvalidCode)
    );
    let enabled: Option<i64> =
        sqlx::query_scalar("SELECT enabled_at FROM mfa_totp WHERE user_id = $1")
            .bind(id)
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(enabled, None, "nothing turned on");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mfa_recovery_codes")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(stored, 0, "no recovery codes of a confirm that lost");
}

#[rocket::async_test]
async fn addresses_are_parsed_strictly_and_never_answer_500() {
    let app = app().await;
    for bad in ["a:b@example.com", "ann@b@example.com", "\"a\"@example.com"] {
        let body = json!({ "email": bad, "password": PASSWORD });
        let refused = app.post_json("/api/auth/register", body, FIREFOX).await;
        assert_eq!(refused.status(), Status::UnprocessableEntity, "{bad}");
        assert_eq!(error_code(refused).await, "invalid_email");
    }
    let ann = app.register(ANN).await;
    let body = json!({ "email": "x:y@example.com", "password": PASSWORD });
    let refused = app.post_as(&ann, "/api/account/email", body).await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    assert_eq!(
        app.get_with("/api/auth/me", &ann.access).await.status(),
        Status::Ok
    );
}

#[rocket::async_test]
async fn a_ticket_is_spent_only_by_the_device_that_passed_the_password() {
    let app = app().await;
    let ann = app.register(ANN).await;
    let enrolled = app.enable_mfa(&ann).await;
    let ticket = app.mfa_ticket(ANN).await; // from FIREFOX
    let body = json!({ "mfa_token": ticket, "code": enrolled.recovery_codes[0] });
    let elsewhere = app.post_json("/api/auth/mfa", body.clone(), IPHONE).await;
    assert_eq!(elsewhere.status(), Status::Unauthorized);
    assert_eq!(error_code(elsewhere).await, "invalid_mfa_token");
    let here = app.post_json("/api/auth/mfa", body, FIREFOX).await;
    assert_eq!(here.status(), Status::Ok);
}

#[rocket::async_test]
async fn the_sign_up_mail_counts_against_the_mail_limits_and_past_them_no_mail_goes() {
    let app = app_with(|f| f.merge(("rate_limit_mail_per_address", "1/h"))).await;
    app.register(ANN).await;
    assert_eq!(app.mails_to(ANN, VERIFY_SUBJECT).await.len(), 1);
    assert_rate_limited(app.forgot_password(ANN).await).await;

    let app = app_with(|f| f.merge(("rate_limit_mail_per_ip", "1/h"))).await;
    app.register(ANN).await;
    let bob = app.register("bob@example.com").await;
    assert_eq!(
        bob.body["user"]["email"], "bob@example.com",
        "the account is made"
    );
    app.mail_settled().await;
    assert!(app
        .mails_to("bob@example.com", VERIFY_SUBJECT)
        .await
        .is_empty());
}

#[test]
fn the_nginx_site_logs_no_query_strings() {
    let site = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/nginx-site.conf"
    ))
    .unwrap();
    let live: Vec<&str> = site
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .collect();
    let logs: Vec<&&str> = live.iter().filter(|l| l.contains("access_log")).collect();
    assert_eq!(logs.len(), 2, "one per server block: {logs:?}");
    assert!(logs
        .iter()
        .all(|l| l.trim_end().ends_with("rocket_auth_no_query;")));
    let format: String = live
        .iter()
        .skip_while(|l| !l.contains("log_format rocket_auth_no_query"))
        .take_while(|l| !l.trim().is_empty())
        .copied()
        .collect();
    assert!(format.contains("$uri"), "{format}");
    for leaks in [
        "$request ",
        "$request\"",
        "$request_uri",
        "$args",
        "$query_string",
        "$arg_",
    ] {
        assert!(!format.contains(leaks), "{leaks} in {format}");
    }
}

#[rocket::async_test]
async fn password_hashes_past_the_queue_limit_answer_busy() {
    // One hash at a time, one waiting: of six at once, the third and later are turned away.
    let passwords = Passwords::new(1, 1).await.unwrap();
    let answers = rocket::futures::future::join_all(
        (0..6).map(|_| passwords.verify(PASSWORD.to_owned(), None)),
    )
    .await;
    let busy = answers
        .iter()
        .filter(|a| matches!(a, Err(rocket_auth_template::error::ApiError::Busy(1))))
        .count();
    assert_eq!(busy, 4, "{answers:?}");
    assert_eq!(passwords.waiting(), 0, "nobody left counted as waiting");
}

#[rocket::async_test]
async fn sign_ins_past_the_hash_queue_answer_503_with_retry_after() {
    let app = app_with(|f| {
        f.merge(("password_hash_concurrency", 1))
            .merge(("password_hash_queue_limit", 1))
            .merge(("rate_limit_login_per_ip", "off"))
            .merge(("rate_limit_login_per_account", "off"))
    })
    .await;
    let body = json!({ "email": ANN, "password": PASSWORD }).to_string();
    let requests = (0..6).map(|_| {
        app.client
            .post("/api/auth/login")
            .header(rocket::http::ContentType::JSON)
            .body(body.clone())
            .dispatch()
    });
    let answers = rocket::futures::future::join_all(requests).await;
    let mut busy = 0;
    for answer in answers {
        if answer.status() == Status::ServiceUnavailable {
            assert!(answer.headers().get_one("Retry-After").is_some());
            assert_eq!(error_code(answer).await, "service_unavailable");
            busy += 1;
        } else {
            assert_eq!(answer.status(), Status::Unauthorized);
        }
    }
    assert!(busy >= 1, "some were turned away");
}

#[rocket::async_test]
async fn mails_past_the_queue_limit_answer_503_with_retry_after() {
    // A mail server that is away: the first mail waits in the queue, retried.
    let port = free_port();
    let app = app_with(|f| {
        f.merge(("smtp_url", format!("smtp://127.0.0.1:{port}")))
            .merge(("mail_queue_limit", 1))
    })
    .await;
    app.register(ANN).await;
    assert_eq!(
        app.mailer().stats().pending,
        1,
        "the verification mail waits"
    );
    let refused = app.forgot_password(ANN).await;
    assert_eq!(refused.status(), Status::ServiceUnavailable);
    assert!(refused.headers().get_one("Retry-After").is_some());
}
