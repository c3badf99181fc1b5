//! Register, login, me: accounts and credentials.

use rocket::futures::future::join_all;
use rocket::http::Status;
use rocket_auth_template::auth::password::Passwords;
use serde_json::{json, Value};

use crate::common::*;

#[rocket::async_test]
async fn register_answers_201_with_user_session_and_tokens() {
    let app = app().await;
    let login = app.register("Ann@Example.com").await;
    let user = &login.body["user"];
    assert_eq!(user["email"], "ann@example.com");
    assert_eq!(user["name"], "Test");
    assert_eq!(user["role"], "user");
    assert!(user.get("password_hash").is_none() && !login.body.to_string().contains("argon2"));
    assert_eq!(login.body["token_type"], "Bearer");
    assert_eq!(login.body["expires_in"], 300);
    let session = &login.body["session"];
    assert_eq!(session["current"], true);
    assert_eq!(session["browser"], "Firefox");
    assert_eq!(session["os"], "Windows 10");
    assert_eq!(session["device"], "pc");
    // Cookie mode: the refresh token is never in the body.
    assert!(login.body.get("refresh_token").is_none());
    let claims = payload(&login.access);
    assert_eq!(claims["typ"], "access");
    assert_eq!(claims["sub"], user["id"]);
    assert_eq!(claims["sid"], session["id"]);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    let refresh = payload(&login.refresh);
    assert_eq!(refresh["typ"], "refresh");
    assert_eq!(refresh["sid"], session["id"]);
    assert_eq!(
        refresh["exp"].as_i64().unwrap() - refresh["iat"].as_i64().unwrap(),
        14 * 24 * 3600
    );
}

#[rocket::async_test]
async fn email_is_unique_ignoring_case() {
    let app = app().await;
    app.register("ann@example.com").await;
    let body = json!({ "email": "ANN@example.COM", "password": PASSWORD });
    let response = app.post_json("/api/auth/register", body, FIREFOX).await;
    assert_eq!(response.status(), Status::Conflict);
    assert_eq!(error_code(response).await, "email_taken");
}

#[rocket::async_test]
async fn register_refuses_bad_emails_and_weak_passwords() {
    let app = app().await;
    let long_email = format!("{}@example.com", "a".repeat(250));
    let cases = [
        (
            json!({ "email": "not-an-email", "password": PASSWORD }),
            "invalid_email",
        ),
        (
            json!({ "email": "", "password": PASSWORD }),
            "invalid_email",
        ),
        (
            json!({ "email": long_email, "password": PASSWORD }),
            "invalid_email",
        ),
        (
            json!({ "email": "bob@example.com", "password": "short" }),
            "weak_password",
        ),
        (
            json!({ "email": "bob@example.com", "password": "x".repeat(1025) }),
            "weak_password",
        ),
        (
            json!({ "email": "bob@example.com", "password": PASSWORD, "name": "x".repeat(101) }),
            "invalid_input",
        ),
    ];
    for (body, code) in cases {
        let response = app
            .post_json("/api/auth/register", body.clone(), FIREFOX)
            .await;
        assert_eq!(response.status(), Status::UnprocessableEntity, "{body}");
        assert_eq!(error_code(response).await, code, "{body}");
    }
}

#[rocket::async_test]
async fn register_refuses_the_most_common_passwords_whatever_their_case_and_says_why() {
    let app = app().await;
    for common in [
        "password",
        "Password1",
        "ILOVEYOU",
        "qwertyuiop",
        "p@ssw0rd",
    ] {
        let body = json!({ "email": "bob@example.com", "password": common });
        let response = app.post_json("/api/auth/register", body, FIREFOX).await;
        assert!(set_cookie(&response, "refresh_token").is_none());
        assert_weak_password(response, "most commonly used passwords").await;
    }
    // Nothing was created: the address is still free.
    let body = json!({ "email": "bob@example.com", "password": PASSWORD });
    let response = app.post_json("/api/auth/register", body, FIREFOX).await;
    assert_eq!(response.status(), Status::Created);
}

#[rocket::async_test]
async fn a_password_that_is_not_on_the_list_is_accepted() {
    // Neighbours of listed passwords: the whole password is compared, not a part of it.
    let app = app().await;
    for (n, password) in ["password1!", "letmein!", "my iloveyou is longer"]
        .into_iter()
        .enumerate()
    {
        let body = json!({ "email": format!("user{n}@example.com"), "password": password });
        let response = app.post_json("/api/auth/register", body, FIREFOX).await;
        assert_eq!(response.status(), Status::Created, "{password}");
    }
}

#[rocket::async_test]
async fn registration_can_be_closed() {
    let app = app_with(|f| f.merge(("allow_registration", false))).await;
    let body = json!({ "email": "ann@example.com", "password": PASSWORD });
    let response = app.post_json("/api/auth/register", body, FIREFOX).await;
    assert_eq!(response.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn login_answers_the_same_for_unknown_email_and_wrong_password() {
    let app = app().await;
    app.register("ann@example.com").await;
    let passwords = app.client.rocket().state::<Passwords>().unwrap();

    let mut answers = Vec::new();
    for body in [
        json!({ "email": "ann@example.com", "password": "wrong password" }),
        json!({ "email": "nobody@example.com", "password": PASSWORD }),
        json!({ "email": "not even an email", "password": PASSWORD }),
    ] {
        let before = passwords.hashes_run();
        let response = app.post_json("/api/auth/login", body, FIREFOX).await;
        // Every attempt costs one argon2 verification, known user or not (dummy hash).
        assert_eq!(passwords.hashes_run(), before + 1);
        assert!(set_cookie(&response, "refresh_token").is_none());
        answers.push((response.status(), response.into_string().await.unwrap()));
    }
    assert_eq!(answers[0].0, Status::Unauthorized);
    assert!(answers[0].1.contains("invalid_credentials"));
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");

    let ok = app.login("ANN@example.com", FIREFOX).await;
    assert_eq!(ok.body["user"]["email"], "ann@example.com");
}

#[rocket::async_test]
async fn oversized_password_is_refused_before_hashing() {
    let app = app().await;
    let passwords = app.client.rocket().state::<Passwords>().unwrap();
    let before = passwords.hashes_run();
    let body = json!({ "email": "ann@example.com", "password": "x".repeat(2000) });
    let response = app.post_json("/api/auth/login", body, FIREFOX).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert_eq!(passwords.hashes_run(), before);
}

#[rocket::async_test]
async fn hashing_never_runs_more_at_once_than_the_bound() {
    let app = app_with(|f| f.merge(("password_hash_concurrency", 1))).await;
    app.register("ann@example.com").await;
    let logins = (0..6).map(|_| {
        let body = json!({ "email": "ann@example.com", "password": PASSWORD });
        app.post_json("/api/auth/login", body, FIREFOX)
    });
    for response in join_all(logins).await {
        assert_eq!(response.status(), Status::Ok);
    }
    let passwords = app.client.rocket().state::<Passwords>().unwrap();
    assert!(passwords.hashes_run() >= 8, "dummy + register + 6 logins");
    assert_eq!(passwords.peak_concurrency(), 1);
}

#[rocket::async_test]
async fn hashing_does_run_in_parallel_up_to_the_bound() {
    // The other side of the bound: with room for 4, concurrent logins do overlap, so the
    // test above would see more than one at once if the semaphore were gone.
    let app = app_with(|f| f.merge(("password_hash_concurrency", 4))).await;
    app.register("ann@example.com").await;
    let logins = (0..8).map(|_| {
        let body = json!({ "email": "ann@example.com", "password": PASSWORD });
        app.post_json("/api/auth/login", body, FIREFOX)
    });
    join_all(logins).await;
    let peak = app
        .client
        .rocket()
        .state::<Passwords>()
        .unwrap()
        .peak_concurrency();
    assert!((2..=4).contains(&peak), "peak {peak}");
}

#[rocket::async_test]
async fn hashing_memory_is_reused_and_never_more_than_the_bound() {
    let app = app_with(|f| f.merge(("password_hash_concurrency", 2))).await;
    let passwords = app.client.rocket().state::<Passwords>().unwrap();
    // The dummy hash at start gives its memory back: an idle server holds none.
    assert_eq!(passwords.idle_memories(), 0);
    app.register("ann@example.com").await;
    assert_eq!(passwords.idle_memories(), 1);
    let logins = (0..8).map(|_| {
        let body = json!({ "email": "ann@example.com", "password": PASSWORD });
        app.post_json("/api/auth/login", body, FIREFOX)
    });
    for response in join_all(logins).await {
        assert_eq!(response.status(), Status::Ok);
    }
    // Eight logins after the registration: kept and reused, one per hash that ran at once.
    let kept = passwords.idle_memories();
    assert!((1..=2).contains(&kept), "{kept} working memories kept");
    assert_eq!(kept, passwords.peak_concurrency().max(1));
}

#[rocket::async_test]
async fn hashing_report_gives_the_count_the_peak_and_the_bound() {
    let app = app_with(|f| f.merge(("password_hash_concurrency", 2))).await;
    app.register("ann@example.com").await;
    let passwords = app.client.rocket().state::<Passwords>().unwrap();
    // The dummy hash at start and the registration, one after the other.
    assert_eq!(
        passwords.report(),
        "password hashing: 2 hashes, at most 1 at once (bound 2)"
    );
}

#[rocket::async_test]
async fn me_loads_the_user_and_needs_a_valid_token() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    let response = app.get_with("/api/auth/me", &login.access).await;
    assert_eq!(response.status(), Status::Ok);
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body["user"]["email"], "ann@example.com");
    assert!(body["user"].get("password_hash").is_none());

    let response = app.client.get("/api/auth/me").dispatch().await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(error_code(response).await, "unauthorized");
    let response = app.get_with("/api/auth/me", "not.a.jwt").await;
    assert_eq!(error_code(response).await, "unauthorized");
    let response = app
        .client
        .get("/api/auth/me")
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Basic {}", login.access),
        ))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn deactivated_user_is_refused_at_once() {
    let app = app().await;
    let login = app.register("ann@example.com").await;
    sqlx::query("UPDATE users SET active = $1 WHERE email = $2")
        .bind(false)
        .bind("ann@example.com")
        .execute(app.db())
        .await
        .unwrap();
    let response = app.get_with("/api/auth/me", &login.access).await;
    assert_eq!(response.status(), Status::Unauthorized);
    let response = app.refresh(&login).await;
    assert_eq!(error_code(response).await, "invalid_refresh_token");
    let body = json!({ "email": "ann@example.com", "password": PASSWORD });
    let response = app.post_json("/api/auth/login", body, FIREFOX).await;
    assert_eq!(error_code(response).await, "invalid_credentials");
}
