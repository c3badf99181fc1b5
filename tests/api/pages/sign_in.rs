//! The sign-in form: its CSRF token, one message for every bad credential, and a `next` that
//! never leaves the site.

use rocket::http::Status;

use crate::common::*;

#[rocket::async_test]
async fn first_visit_gets_a_form_whose_token_matches_the_new_cookie() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    let page = browser.get("/login").await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(browser.cookie("csrf_token"), page.form_csrf());
    assert!(page.body.contains("name=\"next\" value=\"&#x2F;\""));
    // The next page keeps the same token and sets no new one.
    let again = browser.get("/register").await;
    assert!(again.set_cookie("csrf_token").is_none());
    assert_eq!(browser.cookie("csrf_token"), again.form_csrf());
}

#[rocket::async_test]
async fn bad_credentials_get_one_message_and_keep_the_email() {
    let app = app().await;
    ann_signed_up(&app).await;
    let mut browser = Browser::new(&app, FIREFOX);
    browser.get("/login").await;
    let mut messages = Vec::new();
    for (email, password) in [
        ("ann@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("ann@example.com", ""),
    ] {
        let page = browser
            .post("/login", &[("email", email), ("password", password)])
            .await;
        assert_eq!(page.status, Status::Unauthorized, "{email}");
        assert!(page.set_cookie("access_token").is_none());
        assert!(page.set_cookie("refresh_token").is_none());
        assert!(page.body.contains(&format!("value=\"{email}\"")));
        if !password.is_empty() {
            assert!(!page.body.contains(password), "the password is not echoed");
        }
        let at = page.body.find("role=\"alert\">").expect("an error message");
        let message = page.body[at..].split('<').next().unwrap().to_owned();
        messages.push(message);
    }
    assert!(messages[0].contains("The email or password is incorrect."));
    assert!(messages.iter().all(|m| *m == messages[0]), "{messages:?}");
}

#[rocket::async_test]
async fn sign_in_returns_to_next_but_never_to_another_site() {
    let app = app().await;
    ann_signed_up(&app).await;
    let attempts = [
        "//evil.com",
        "/\\evil.com",
        "https://evil.com",
        "javascript:alert(1)",
        "/\t/evil.com",
        "%2F%2Fevil.com",
        "evil.com",
    ];
    for next in attempts {
        let mut browser = Browser::new(&app, FIREFOX);
        let query = encode(next);
        let form = browser.get(&format!("/login?next={query}")).await;
        assert!(
            form.body.contains("name=\"next\" value=\"&#x2F;\""),
            "{next:?} is not offered"
        );
        let page = browser.sign_in_to("ann@example.com", next).await;
        page.assert_redirect("/");
        // Signed in already, /login and /auth/refresh refuse it as well.
        browser
            .get(&format!("/login?next={query}"))
            .await
            .assert_redirect("/");
        browser
            .get(&format!("/auth/refresh?next={query}"))
            .await
            .assert_redirect("/");
    }
    let mut browser = Browser::new(&app, FIREFOX);
    let page = browser
        .sign_in_to("ann@example.com", "/sessions?tab=all")
        .await;
    page.assert_redirect("/sessions?tab=all");
}
