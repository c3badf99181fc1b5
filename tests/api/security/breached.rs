//! Breached passwords (`pwned_passwords_url`): every new password, at sign-up, change and reset,
//! is looked up by k-anonymity in a range API (here a local server answering like it, padding
//! lines included): a breached one is `422 weak_password` with its reason, and only the first
//! five hex characters of the SHA-1 ever leave the process. No answer within 2 s: fail open
//! (logged) or closed (`503`), as configured. Off unless configured.

use rocket::http::Status;
use rocket_auth_template::account::breached::split_sha1;
use serde_json::json;

use crate::common::*;

const BREACHED: &str = "breached passphrase 2024";
const WHY: &str = "This password appears in a known data breach";

async fn range_app(
    api: &RangeApi,
    tweak: impl FnOnce(rocket::figment::Figment) -> rocket::figment::Figment,
) -> TestApp {
    let url = api.url.clone();
    app_with(move |f| tweak(f.merge(("pwned_passwords_url", url)))).await
}

async fn sign_up<'a>(
    app: &'a TestApp,
    email: &str,
    password: &str,
) -> rocket::local::asynchronous::LocalResponse<'a> {
    let body = json!({ "email": email, "password": password });
    app.post_json("/api/auth/register", body, FIREFOX).await
}

#[rocket::async_test]
async fn a_breached_password_is_refused_at_sign_up_change_and_reset() {
    let api = RangeApi::start(&[(BREACHED, 42)], false);
    let app = range_app(&api, |f| f).await;

    assert_weak_password(sign_up(&app, "ann@example.com", BREACHED).await, WHY).await;
    let ann = app.register("ann@example.com").await;
    let changed = change_password(&app, &ann.access, PASSWORD, BREACHED).await;
    assert_weak_password(changed, WHY).await;
    app.forgot_password("ann@example.com").await;
    let token = app
        .last_mail("ann@example.com", RESET_SUBJECT)
        .await
        .token();
    assert_weak_password(app.reset_password(&token, BREACHED).await, WHY).await;
    // Refused, the reset link is not spent; a password the range API does not know is taken.
    assert_eq!(
        app.reset_password(&token, NEW_PASSWORD).await.status(),
        Status::NoContent
    );
    // Padding lines (count 0) share prefixes with nothing we sent: each lookup was padded.
    assert!(api
        .requests()
        .iter()
        .all(|r| r.to_ascii_lowercase().contains("add-padding: true")));
}

#[rocket::async_test]
async fn only_five_hex_characters_of_the_hash_leave_the_process() {
    let api = RangeApi::start(&[], false);
    let app = range_app(&api, |f| f).await;
    app.register("ann@example.com").await;
    let (prefix, suffix) = split_sha1(PASSWORD);
    let requests = api.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let request = &requests[0];
    assert!(
        request.starts_with(&format!("GET /range/{prefix} HTTP/1.1\r\n")),
        "{request}"
    );
    let upper = request.to_uppercase();
    for secret in [
        suffix.as_str(),
        &suffix[..8],
        PASSWORD,
        &PASSWORD.to_uppercase(),
    ] {
        assert!(
            !upper.contains(&secret.to_uppercase()),
            "{secret} in {request}"
        );
    }
}

#[rocket::async_test]
async fn a_password_seen_fewer_times_than_the_minimum_is_taken() {
    let api = RangeApi::start(&[(BREACHED, 2)], false);
    let app = range_app(&api, |f| f.merge(("pwned_passwords_min_count", 3))).await;
    assert_eq!(
        sign_up(&app, "ann@example.com", BREACHED).await.status(),
        Status::Created
    );
}

#[rocket::async_test]
async fn no_answer_within_two_seconds_fails_open_or_closed_as_configured() {
    let api = RangeApi::start(&[(BREACHED, 42)], true);
    let open = range_app(&api, |f| f).await;
    let started = std::time::Instant::now();
    assert_eq!(
        sign_up(&open, "ann@example.com", BREACHED).await.status(),
        Status::Created,
        "fail open: the password passes, logged"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let closed = range_app(&api, |f| f.merge(("pwned_passwords_fail_closed", true))).await;
    let refused = sign_up(&closed, "bob@example.com", NEW_PASSWORD).await;
    assert_eq!(refused.status(), Status::ServiceUnavailable);
    assert_eq!(error_code(refused).await, "service_unavailable");
}

#[rocket::async_test]
async fn off_by_default() {
    let app = app().await;
    assert_eq!(
        sign_up(&app, "ann@example.com", BREACHED).await.status(),
        Status::Created
    );
}
