//! The pages (docs/API.md, "Pages"): every page, redirect and refusal, through a cookie-keeping
//! `Browser` that sends what a real browser would (cookies, form bodies, its user agent).

use rocket::http::{ContentType, Status};
use serde_json::json;

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
async fn bad_credentials_get_one_message_and_keep_the_email() {
    let app = app().await;
    Browser::new(&app, FIREFOX).sign_up("ann@example.com").await;
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
    Browser::new(&app, FIREFOX).sign_up("ann@example.com").await;
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
        browser.get("/login").await;
        let page = browser
            .post(
                "/login",
                &[
                    ("email", "ann@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
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
    browser.get("/login").await;
    let page = browser
        .post(
            "/login",
            &[
                ("email", "ann@example.com"),
                ("password", PASSWORD),
                ("next", "/sessions?tab=all"),
            ],
        )
        .await;
    page.assert_redirect("/sessions?tab=all");
}

#[rocket::async_test]
async fn pages_without_a_user_send_the_browser_to_sign_in() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    for (path, login) in [
        ("/", "/login"),
        ("/sessions", "/login?next=/sessions"),
        ("/sessions?a=1&b=2", "/login?next=/sessions%3Fa%3D1%26b%3D2"),
        ("/sessions/abc/revoke", "/login?next=/sessions/abc/revoke"),
    ] {
        let page = browser.get(path).await;
        page.assert_redirect(login);
        assert!(
            page.set_cookie("access_token").is_none(),
            "nothing to clear"
        );
    }
    // A form target is no page to come back to.
    browser
        .post("/sessions/revoke-others", &[])
        .await
        .assert_redirect("/login");
    browser.post("/logout", &[]).await.assert_redirect("/login");
}

#[rocket::async_test]
async fn expired_access_cookie_and_good_refresh_cookie_serve_the_page_and_rotate() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    browser.sign_up("ann@example.com").await;
    let old_refresh = browser.cookie("refresh_token").unwrap().to_owned();
    let access = browser.cookie("access_token").unwrap().to_owned();
    browser.set("access_token", &expired_copy(&app, &access));

    let page = browser.get("/sessions").await;
    assert_eq!(page.status, Status::Ok, "served, not redirected");
    assert!(page.body.contains("Your devices"));
    assert!(page.sets_session_cookies(), "both cookies renewed");
    let new_refresh = browser.cookie("refresh_token").unwrap().to_owned();
    let new_access = browser.cookie("access_token").unwrap().to_owned();
    assert_ne!(payload(&new_refresh)["jti"], payload(&old_refresh)["jti"]);
    assert!(app.keys().verify_access(&new_access).is_ok());
    assert_eq!(
        page.set_cookie("access_token").unwrap().http_only(),
        Some(true)
    );

    // With the renewed cookies the next page needs no renewal.
    let page = browser.get("/").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.set_cookie("refresh_token").is_none());

    // The rotation was real: the old refresh token is now a reuse (past the grace window).
    let app_no_grace = app_with(|f| f.merge(("refresh_reuse_grace", 0))).await;
    let mut other = Browser::new(&app_no_grace, FIREFOX);
    other.sign_up("bob@example.com").await;
    let stale = other.cookie("refresh_token").unwrap().to_owned();
    other.jar.remove("access_token");
    assert_eq!(other.get("/").await.status, Status::Ok, "no access cookie");
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    other.set("refresh_token", &stale);
    other.jar.remove("access_token");
    let page = other.get("/").await;
    page.assert_redirect("/login");
    assert!(page.clears_session_cookies());
}

#[rocket::async_test]
async fn a_revoked_session_goes_to_sign_in_and_loses_its_cookies() {
    let app = app().await;
    let (mut laptop, mut phone) = laptop_and_phone(&app).await;
    let phone_session = phone.session_id();
    assert_eq!(phone.get("/sessions").await.status, Status::Ok);

    laptop.get("/sessions").await;
    let page = laptop
        .post(&format!("/sessions/{phone_session}/revoke"), &[])
        .await;
    page.assert_redirect("/sessions");

    // The phone's access cookie is still unexpired: the page guard checks the session anyway.
    let page = phone.get("/sessions").await;
    page.assert_redirect("/login?next=/sessions");
    assert!(page.clears_session_cookies());
    assert!(phone.cookie("access_token").is_none());
}

#[rocket::async_test]
async fn forged_or_foreign_cookies_get_no_page() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    browser.sign_up("ann@example.com").await;
    let access = browser.cookie("access_token").unwrap().to_owned();
    let mut claims = payload(&access);
    claims["sub"] = json!("999");
    let forged = with_payload(&access, &claims);

    let mut mallory = Browser::new(&app, FIREFOX);
    mallory.set("access_token", &forged);
    let page = mallory.get("/sessions").await;
    page.assert_redirect("/login?next=/sessions");
    assert!(page.clears_session_cookies());
    mallory.set("refresh_token", "not-a-token");
    mallory.get("/").await.assert_redirect("/login");
    // An access token is not a refresh token.
    mallory.jar.clear();
    mallory.set("refresh_token", &access);
    mallory.get("/").await.assert_redirect("/login");
}

#[rocket::async_test]
async fn every_form_without_its_csrf_token_gets_the_403_page() {
    let app = app().await;
    let (mut laptop, phone) = laptop_and_phone(&app).await;
    let phone_session = phone.session_id();
    let laptop_session = laptop.session_id();
    laptop.get("/sessions").await;

    let revoke_phone = format!("/sessions/{phone_session}/revoke");
    let credentials = [("email", "ann@example.com"), ("password", PASSWORD)];
    let sign_up = [("email", "new@example.com"), ("password", PASSWORD)];
    let cases: [(&str, &[(&str, &str)]); 5] = [
        ("/login", &credentials),
        ("/register", &sign_up),
        ("/logout", &[]),
        (&revoke_phone, &[]),
        ("/sessions/revoke-others", &[]),
    ];
    for (path, fields) in cases {
        for csrf in [None, Some(""), Some("wrong-token")] {
            let mut fields = fields.to_vec();
            if let Some(token) = csrf {
                fields.push(("_csrf", token));
            }
            let page = laptop.post_raw(path, &fields).await;
            assert_eq!(page.status, Status::Forbidden, "{path} {csrf:?}");
            assert!(page.body.contains("This form has expired"), "{path}");
            assert!(!page.sets_session_cookies(), "{path}");
        }
    }
    // Nothing happened: both sessions live, no account created, still signed in.
    assert!(session_is_live(&app, &phone_session).await);
    assert!(session_is_live(&app, &laptop_session).await);
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(users, 1);
    assert_eq!(laptop.get("/sessions").await.status, Status::Ok);

    // A token from another browser's cookie does not fit this one's.
    let mut other = Browser::new(&app, FIREFOX);
    other.get("/login").await;
    let foreign = other.cookie("csrf_token").unwrap().to_owned();
    let page = laptop
        .post_raw("/sessions/revoke-others", &[("_csrf", &foreign)])
        .await;
    assert_eq!(page.status, Status::Forbidden);
    assert!(session_is_live(&app, &phone_session).await);
}

#[rocket::async_test]
async fn user_agents_and_names_are_shown_escaped() {
    let app = app().await;
    let evil = "Mozilla/5.0 <script>alert(1)</script> \"><img src=x onerror=alert(2)>";
    let mut browser = Browser::new(&app, evil);
    browser.get("/register").await;
    let page = browser
        .post(
            "/register",
            &[
                ("email", "ann@example.com"),
                ("name", "<b>Ann</b>"),
                ("password", PASSWORD),
            ],
        )
        .await;
    page.assert_redirect("/");
    for path in ["/", "/sessions"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, Status::Ok);
        assert!(!page.body.contains("<script>"), "{path}");
        assert!(!page.body.contains("<img"), "{path}");
        assert!(!page.body.contains("<b>Ann"), "{path}");
    }
    let page = browser.get("/sessions").await;
    assert!(page
        .body
        .contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
    assert!(page
        .body
        .contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(browser
        .get("/")
        .await
        .body
        .contains("&lt;b&gt;Ann&lt;&#x2F;b&gt;"));
}

#[rocket::async_test]
async fn devices_page_lists_each_device_this_one_first_with_times_people_read() {
    let app = app().await;
    let mut laptop = Browser::new(&app, FIREFOX);
    laptop.sign_up("ann@example.com").await;
    let laptop_session = laptop.session_id();
    let phone = app.login("ann@example.com", IPHONE).await;
    // The laptop signed in three minutes ago; the phone was used more recently.
    sqlx::query("UPDATE sessions SET created_at = created_at - 180, last_used_at = last_used_at - 120 WHERE id = $1")
        .bind(&laptop_session)
        .execute(app.db())
        .await
        .unwrap();

    let page = laptop.get("/sessions").await;
    assert_eq!(page.status, Status::Ok);
    let body = &page.body;
    let laptop_at = body
        .find(&format!("data-session-id=\"{laptop_session}\""))
        .unwrap();
    let phone_at = body
        .find(&format!("data-session-id=\"{}\"", phone.session_id()))
        .unwrap();
    assert!(laptop_at < phone_at, "this device first");
    assert!(body[laptop_at..phone_at].contains("This device"));
    assert!(!body[phone_at..].contains("This device"));
    assert!(body[laptop_at..phone_at]
        .contains("Firefox <span class=\"muted\">120.0</span> on Windows 10"));
    assert!(body[laptop_at..phone_at].contains("Computer"));
    assert!(body[laptop_at..phone_at].contains(">3 minutes ago</time>"));
    assert!(body[laptop_at..phone_at].contains(">2 minutes ago</time>"));
    assert!(body[phone_at..].contains("Safari"));
    assert!(body[phone_at..].contains("iPhone"));
    assert!(body[phone_at..].contains("Smartphone"));
    assert!(body[phone_at..].contains(">just now</time>"));
    assert!(body[phone_at..].contains(&format!("href=\"/sessions/{}/revoke\"", phone.session_id())));
    // Exact UTC time on hover, machine-readable in datetime.
    let time = &body[body.find("<time datetime=\"").unwrap()..];
    let iso = time.split('"').nth(1).unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(iso).is_ok() && iso.ends_with('Z'));
    assert!(time.split('"').nth(3).unwrap().ends_with(" UTC"));
    assert!(body.contains("Sign out everywhere else"));
}

#[rocket::async_test]
async fn revoking_a_device_confirms_first_then_flashes_its_name() {
    let app = app().await;
    let mut laptop = Browser::new(&app, FIREFOX);
    laptop.sign_up("ann@example.com").await;
    let phone = app.login("ann@example.com", IPHONE).await;
    let path = format!("/sessions/{}/revoke", phone.session_id());

    let confirm = laptop.get(&path).await;
    assert_eq!(confirm.status, Status::Ok);
    assert!(confirm.body.contains("Revoke this device?"));
    assert!(confirm.body.contains("Safari on iPhone"));
    assert!(confirm.body.contains(&format!("action=\"{path}\"")));
    assert!(
        session_is_live(&app, &phone.session_id()).await,
        "GET changes nothing"
    );

    laptop.post(&path, &[]).await.assert_redirect("/sessions");
    let page = laptop.get("/sessions").await;
    assert!(page.body.contains("Signed out from Safari on iPhone."));
    assert!(!page.body.contains(&phone.session_id()));
    assert!(!page.body.contains("Sign out everywhere else"));
    let response = app.refresh_with_cookie(&phone.refresh, &phone.csrf).await;
    assert_eq!(response.status(), Status::Unauthorized);

    // Twice: no longer a live session of this user.
    assert_eq!(laptop.post(&path, &[]).await.status, Status::NotFound);
}

#[rocket::async_test]
async fn another_users_device_is_not_found() {
    let app = app().await;
    let mut ann = Browser::new(&app, FIREFOX);
    ann.sign_up("ann@example.com").await;
    let bob = app.register("bob@example.com").await;
    let path = format!("/sessions/{}/revoke", bob.session_id());
    for page in [ann.get(&path).await, ann.post(&path, &[]).await] {
        assert_eq!(page.status, Status::NotFound);
        assert!(page.body.contains("Page not found"));
    }
    assert!(session_is_live(&app, &bob.session_id()).await);
    assert!(!ann.get("/sessions").await.body.contains(&bob.session_id()));
}

#[rocket::async_test]
async fn sign_out_everywhere_else_keeps_this_device() {
    let app = app().await;
    let mut laptop = Browser::new(&app, FIREFOX);
    laptop.sign_up("ann@example.com").await;
    let phone = app.login("ann@example.com", IPHONE).await;
    let tablet = app.login("ann@example.com", FIREFOX).await;
    laptop.get("/sessions").await;
    laptop
        .post("/sessions/revoke-others", &[])
        .await
        .assert_redirect("/sessions");
    let page = laptop.get("/sessions").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("Signed out from 2 other devices."));
    assert!(session_is_live(&app, &laptop.session_id()).await);
    for other in [&phone, &tablet] {
        assert!(!session_is_live(&app, &other.session_id()).await);
    }
}

#[rocket::async_test]
async fn sign_out_revokes_this_session_and_clears_its_cookies() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    browser.sign_up("ann@example.com").await;
    let session = browser.session_id();
    let refresh = browser.cookie("refresh_token").unwrap().to_owned();
    browser.get("/").await;
    let page = browser.post("/logout", &[]).await;
    page.assert_redirect("/login");
    assert!(page.clears_session_cookies());
    assert!(!session_is_live(&app, &session).await);
    let login = browser.get("/login").await;
    assert!(login.body.contains("Signed out."));
    let csrf = browser.cookie("csrf_token").unwrap().to_owned();
    let response = app.refresh_with_cookie(&refresh, &csrf).await;
    assert_eq!(response.status(), Status::Unauthorized);

    // Revoking this very device from the list is a sign-out too.
    browser.sign_in("ann@example.com").await;
    let session = browser.session_id();
    browser.get("/sessions").await;
    let page = browser
        .post(&format!("/sessions/{session}/revoke"), &[])
        .await;
    page.assert_redirect("/login");
    assert!(page.clears_session_cookies());
}

#[rocket::async_test]
async fn refresh_page_renews_and_returns_or_sends_to_sign_in() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    browser.sign_up("ann@example.com").await;
    let old = browser.cookie("refresh_token").unwrap().to_owned();
    let page = browser.get("/auth/refresh?next=/sessions").await;
    page.assert_redirect("/sessions");
    assert!(page.sets_session_cookies());
    assert_ne!(browser.cookie("refresh_token"), Some(old.as_str()));

    let mut stranger = Browser::new(&app, FIREFOX);
    stranger
        .get("/auth/refresh?next=/sessions")
        .await
        .assert_redirect("/login?next=/sessions");
    stranger.set("refresh_token", "garbage");
    let page = stranger.get("/auth/refresh").await;
    page.assert_redirect("/login");
    assert!(page.clears_session_cookies());
}

#[rocket::async_test]
async fn register_errors_keep_what_was_typed() {
    let app = app().await;
    Browser::new(&app, FIREFOX).sign_up("ann@example.com").await;
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

#[rocket::async_test]
async fn body_mode_pages_still_keep_the_session_in_cookies() {
    let app = app_with(|f| f.merge(("refresh_token_as_cookie", false))).await;
    // The JSON API is unchanged: refresh token in the body, no refresh cookie.
    let api = app.register("bob@example.com").await;
    assert!(api.body["refresh_token"].is_string());

    let mut browser = Browser::new(&app, FIREFOX);
    browser.sign_up("ann@example.com").await;
    let access = browser.cookie("access_token").unwrap().to_owned();
    browser.set("access_token", &expired_copy(&app, &access));
    let page = browser.get("/sessions").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.sets_session_cookies());
    // The API's body-mode refresh ignores the page's cookie.
    let csrf = browser.cookie("csrf_token").unwrap().to_owned();
    let refresh = browser.cookie("refresh_token").unwrap().to_owned();
    let response = app.refresh_with_cookie(&refresh, &csrf).await;
    assert_eq!(response.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn errors_outside_the_api_are_pages_and_inside_stay_json() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    let page = browser.get("/no-such-page").await;
    assert_eq!(page.status, Status::NotFound);
    assert!(page.body.contains("Page not found"));
    assert!(page.body.starts_with("<!doctype html>"));
    // A form that is not a form: 422 page.
    browser.get("/login").await;
    let page = browser
        .post("/login", &[("email", "ann@example.com")])
        .await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    assert!(page.body.contains("That did not work"));
    assert!(
        page.body.contains("Please fill in: password."),
        "{}",
        page.body
    );

    let response = app.client.get("/api/no-such-route").dispatch().await;
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(error_code(response).await, "not_found");
}

#[rocket::async_test]
async fn pages_are_self_contained_with_no_inline_script_or_style() {
    let app = app().await;
    let mut browser = Browser::new(&app, FIREFOX);
    let mut pages = vec![
        browser.get("/login").await,
        browser.get("/register").await,
        browser.get("/no-such-page").await,
    ];
    browser.sign_up("ann@example.com").await;
    let phone = app.login("ann@example.com", IPHONE).await;
    pages.push(browser.get("/").await);
    pages.push(browser.get("/sessions").await);
    pages.push(
        browser
            .get(&format!("/sessions/{}/revoke", phone.session_id()))
            .await,
    );
    for page in &pages {
        assert!(!page.body.contains("<script"), "{}", page.body);
        assert!(!page.body.contains(" style="), "{}", page.body);
        assert!(!page.body.contains("http://") && !page.body.contains("https://"));
        assert!(page.body.contains("href=\"/static/app.css\""));
    }
    let css = app.client.get("/static/app.css").dispatch().await;
    assert_eq!(css.status(), Status::Ok);
    assert_eq!(css.content_type(), Some(ContentType::CSS));
}

// --- pages go through the hardening (rate limits, security events) --------------------------

#[rocket::async_test]
async fn the_login_form_is_rate_limited_per_account_and_per_ip() {
    let app = app_with(|f| {
        f.merge(("rate_limit_login_per_account", "2/min"))
            .merge(("rate_limit_login_per_ip", "off"))
    })
    .await;
    Browser::new(&app, FIREFOX).sign_up("ann@example.com").await;
    let mut browser = Browser::new(&app, FIREFOX);
    browser.get("/login").await;
    let wrong = [("email", "ann@example.com"), ("password", "wrong password")];
    for _ in 0..2 {
        let page = browser.post("/login", &wrong).await;
        assert_eq!(page.status, Status::Unauthorized);
    }
    // Past the quota even the right password waits, and the form's answer is a page.
    let right = [("email", " ANN@example.com"), ("password", PASSWORD)];
    browser.post("/login", &right).await.assert_rate_limited();
    // Another account is not held up by ann's quota.
    let page = browser
        .post(
            "/login",
            &[("email", "bob@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, Status::Unauthorized);

    let app = app_with(|f| {
        f.merge(("rate_limit_login_per_ip", "2/min"))
            .merge(("rate_limit_login_per_account", "off"))
    })
    .await;
    let mut browser = Browser::new(&app, FIREFOX);
    browser.get("/login").await;
    for email in ["a@example.com", "b@example.com"] {
        let page = browser
            .post("/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(page.status, Status::Unauthorized, "{email}");
    }
    let page = browser
        .post(
            "/login",
            &[("email", "c@example.com"), ("password", PASSWORD)],
        )
        .await;
    page.assert_rate_limited();
}

#[rocket::async_test]
async fn the_register_form_is_rate_limited_per_ip() {
    let app = app_with(|f| f.merge(("rate_limit_register_per_ip", "1/h"))).await;
    Browser::new(&app, FIREFOX).sign_up("ann@example.com").await;
    let mut browser = Browser::new(&app, FIREFOX);
    browser.get("/register").await;
    let page = browser
        .post(
            "/register",
            &[("email", "bob@example.com"), ("password", PASSWORD)],
        )
        .await;
    page.assert_rate_limited();
    assert!(page.body.contains("Please wait 1 hour and try again."));
}

#[rocket::async_test]
async fn page_sign_ins_revokes_and_sign_outs_write_security_events() {
    let app = app().await;
    let (mut laptop, phone) = laptop_and_phone(&app).await;
    let phone_session = phone.session_id();
    Browser::new(&app, FIREFOX).sign_in("ann@example.com").await;
    let mut mallory = Browser::new(&app, FIREFOX);
    mallory.fail_sign_in("ann@example.com").await;

    laptop.get("/sessions").await;
    laptop
        .post(&format!("/sessions/{phone_session}/revoke"), &[])
        .await
        .assert_redirect("/sessions");
    laptop
        .post("/sessions/revoke-others", &[])
        .await
        .assert_redirect("/sessions");
    laptop.post("/logout", &[]).await.assert_redirect("/login");
    laptop.sign_in("ann@example.com").await;

    // The API reads the log with the page's own access cookie as a bearer token.
    let access = laptop.cookie("access_token").unwrap().to_owned();
    let response = app.get_with("/api/security-events", &access).await;
    assert_eq!(response.status(), Status::Ok);
    let body: serde_json::Value = response.into_json().await.unwrap();
    let events = body["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "login_succeeded",
            "logout",
            "other_sessions_revoked",
            "session_revoked",
            "login_failed",
            "login_succeeded",
            "login_succeeded",
            "registered",
        ]
    );
    let revoked = &events[3];
    assert_eq!(revoked["session_id"], json!(phone_session));
    assert_eq!(revoked["browser"], "Firefox", "logged from the laptop");
    assert_eq!(events[6]["device"], "smartphone", "the phone's sign-in");
}

#[rocket::async_test]
async fn devices_page_lists_recent_events_in_words_with_hostile_text_escaped() {
    let app = app_with(|f| f.merge(("refresh_reuse_grace", 0))).await;
    let mut laptop = Browser::new(&app, FIREFOX);
    laptop.sign_up("ann@example.com").await;
    // A failed sign-in from a browser that never got a session: only the event log knows it.
    let evil = "Mozilla/5.0 <script>alert(1)</script> \"><img src=x onerror=alert(2)>";
    let mut mallory = Browser::new(&app, evil);
    mallory.fail_sign_in("ann@example.com").await;
    // A stolen refresh token comes back after its rotation.
    let phone = app.login("ann@example.com", IPHONE).await;
    let rotated = app.refresh_with_cookie(&phone.refresh, &phone.csrf).await;
    assert_eq!(rotated.status(), Status::Ok);
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let reused = app.refresh_with_cookie(&phone.refresh, &phone.csrf).await;
    assert_eq!(reused.status(), Status::Unauthorized);

    let page = laptop.get("/sessions").await;
    assert_eq!(page.status, Status::Ok);
    let body = &page.body;
    let activity = &body[body.find("Recent activity").expect("an activity section")..];
    let order: Vec<usize> = [
        "Refresh token reused — session revoked",
        "Signed in",
        "Failed sign-in",
        "Account created",
    ]
    .iter()
    .map(|what| activity.find(what).unwrap_or_else(|| panic!("{what}")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "newest first");
    assert!(activity.contains("event event-warning"));
    assert!(activity.contains("Safari on iPhone"));
    assert!(activity.contains(">just now</time>"));
    let time = &activity[activity.find("<time datetime=\"").unwrap()..];
    assert!(
        time.split('"').nth(3).unwrap().ends_with(" UTC"),
        "exact on hover"
    );
    assert!(!body.contains("<script>"));
    assert!(!body.contains("<img"));
    assert!(activity.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
    assert!(activity.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(!body.contains(" style="));

    // Only the latest few, however long the log.
    for _ in 0..3 {
        sqlx::query(
            "INSERT INTO security_events (user_id, kind, created_at) \
             SELECT user_id, kind, created_at FROM security_events WHERE user_id IS NOT NULL",
        )
        .execute(app.db())
        .await
        .unwrap();
    }
    let page = laptop.get("/sessions").await;
    assert_eq!(page.body.matches("<li class=\"event").count(), 10);
}

#[rocket::async_test]
async fn a_rate_limited_silent_renewal_shows_429_and_keeps_the_cookies() {
    let app = app_with(|f| f.merge(("rate_limit_refresh_per_ip", "1/h"))).await;
    let mut browser = Browser::new(&app, FIREFOX);
    browser.sign_up("ann@example.com").await;
    let session = browser.session_id();
    let access = browser.cookie("access_token").unwrap().to_owned();
    browser.set("access_token", &expired_copy(&app, &access));
    // The one renewal the quota allows.
    let page = browser.get("/sessions").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.sets_session_cookies());

    let access = browser.cookie("access_token").unwrap().to_owned();
    browser.set("access_token", &expired_copy(&app, &access));
    let refresh = browser.cookie("refresh_token").unwrap().to_owned();
    browser.get("/sessions").await.assert_rate_limited();
    browser
        .get("/auth/refresh?next=/sessions")
        .await
        .assert_rate_limited();
    assert_eq!(browser.cookie("refresh_token"), Some(refresh.as_str()));
    assert!(session_is_live(&app, &session).await, "not signed out");

    // Once the limit allows (here: a fresh process on the same database), the same cookies
    // renew and serve the page.
    let later = app_sharing_db(&app, |f| f).await;
    let mut same = Browser::new(&later, FIREFOX);
    same.jar = browser.jar.clone();
    let page = same.get("/sessions").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.sets_session_cookies());
}
