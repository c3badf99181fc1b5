//! Signing up through the register form: signed in at once, errors that keep what was typed,
//! closed registration.

use rocket::http::Status;

use crate::common::*;

#[rocket::async_test]
async fn sign_up_signs_in_and_home_says_who_and_which_device() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    let page = browser.sign_up("ann@example.com").await;
    page.assert_redirect("/");
    for name in ["access_token", "refresh_token"] {
        let cookie = page.set_cookie(name).unwrap();
        assert_eq!(cookie.http_only(), Some(true), "{name}");
        assert_eq!(cookie.same_site(), Some(rocket::http::SameSite::Lax));
    }
    let home = browser.get("/").await;
    assert_eq!(home.status, Status::Ok);
    assert!(home.body.contains("Welcome! Your account is ready."));
    assert!(home.body.contains("ann@example.com"));
    assert!(home.body.contains("Firefox on Windows 10"));
    assert!(home.body.contains("No other device is signed in."));
    // The flash is shown once.
    assert!(!browser.get("/").await.body.contains("Welcome!"));
}

#[rocket::async_test]
async fn register_errors_keep_what_was_typed() {
    let app = app().await;
    ann_signed_up(&app).await;
    let mut browser = Browser::new(&app, FIREFOX);
    browser.get("/register").await;
    let cases = [
        (
            "ann@example.com",
            "short",
            Status::UnprocessableEntity,
            "at least 8 characters",
        ),
        (
            "bob@example.com",
            "Password1",
            Status::UnprocessableEntity,
            "one of the most commonly used passwords",
        ),
        (
            "not-an-email",
            PASSWORD,
            Status::UnprocessableEntity,
            "not a valid email",
        ),
        (
            "ANN@example.com",
            PASSWORD,
            Status::Conflict,
            "already exists",
        ),
    ];
    for (email, password, status, says) in cases {
        let page = browser
            .post(
                "/register",
                &[
                    ("email", email),
                    ("name", "Ann Lee"),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(page.status, status, "{email}");
        assert!(page.body.contains(says), "{email}: {}", page.body);
        assert!(page.body.contains(&format!("value=\"{email}\"")));
        assert!(page.body.contains("value=\"Ann Lee\""));
        assert!(!page.sets_session_cookies());
    }
}

#[rocket::async_test]
async fn closed_registration_shows_the_403_page() {
    let app = app_with(|f| f.merge(("allow_registration", false))).await;
    let mut browser = Browser::new(&app, FIREFOX);
    let page = browser.get("/register").await;
    assert_eq!(page.status, Status::Forbidden);
    assert!(page.body.contains("Registration is closed."));
    browser.get("/login").await;
    let page = browser
        .post(
            "/register",
            &[("email", "a@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, Status::Forbidden);
}
