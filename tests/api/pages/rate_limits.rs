//! The forms and the silent renewal under the rate limits: a readable 429 page, and the
//! session's cookies kept.

use rocket::http::Status;

use crate::common::*;

#[rocket::async_test]
async fn the_login_form_is_rate_limited_per_account_and_per_ip() {
    let app = app_with(|f| {
        f.merge(("rate_limit_login_per_account", "2/min"))
            .merge(("rate_limit_login_per_ip", "off"))
    })
    .await;
    ann_signed_up(&app).await;
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
    ann_signed_up(&app).await;
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
async fn a_rate_limited_silent_renewal_shows_429_and_keeps_the_cookies() {
    let app = app_with(|f| f.merge(("rate_limit_refresh_per_ip", "1/h"))).await;
    let mut browser = ann_signed_up(&app).await;
    let session = browser.session_id();
    browser.expire_access_cookie();
    // The one renewal the quota allows.
    let page = browser.get("/sessions").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.sets_session_cookies());

    browser.expire_access_cookie();
    let refresh = browser.cookie("refresh_token").unwrap().to_owned();
    browser.get("/sessions").await.assert_rate_limited();
    browser
        .get("/auth/refresh?next=/sessions")
        .await
        .assert_rate_limited();
    assert_eq!(browser.cookie("refresh_token"), Some(refresh.as_str()));
    assert!(session_is_live(&app, &session).await, "not signed out");

    // Once the limit allows (here: an instance on the same database without the limit; with
    // PostgreSQL the quota itself is shared by instances), the same cookies renew and serve
    // the page.
    let later = app_sharing_db(&app, |f| f.merge(("rate_limit_refresh_per_ip", "off"))).await;
    let mut same = Browser::new(&later, FIREFOX);
    same.jar = browser.jar.clone();
    let page = same.get("/sessions").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.sets_session_cookies());
}
