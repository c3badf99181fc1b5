//! The devices page (`/sessions`): each device listed, one revoked, every other one signed out,
//! and signing out of this one.

use rocket::http::Status;

use crate::common::*;

#[rocket::async_test]
async fn devices_page_lists_each_device_this_one_first_with_times_people_read() {
    let app = app().await;
    let mut laptop = ann_signed_up(&app).await;
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
    let mut laptop = ann_signed_up(&app).await;
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
    let response = app.refresh(&phone).await;
    assert_eq!(response.status(), Status::Unauthorized);

    // Twice: no longer a live session of this user.
    assert_eq!(laptop.post(&path, &[]).await.status, Status::NotFound);
}

#[rocket::async_test]
async fn another_users_device_is_not_found() {
    let app = app().await;
    let mut ann = ann_signed_up(&app).await;
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
    let mut laptop = ann_signed_up(&app).await;
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
    let mut browser = ann_signed_up(&app).await;
    let session = browser.session_id();
    let refresh = browser.cookie("refresh_token").unwrap().to_owned();
    browser.get("/").await;
    let csrf = browser.cookie("csrf_token").unwrap().to_owned();
    let page = browser.post("/logout", &[]).await;
    page.assert_redirect("/login");
    assert!(page.clears_session_cookies());
    assert!(!session_is_live(&app, &session).await);
    let login = browser.get("/login").await;
    assert!(login.body.contains("Signed out."));
    // The CSRF token was replaced at sign-out; the old one, with the old refresh token, is
    // refused as a refresh of a revoked session.
    assert_ne!(browser.cookie("csrf_token"), Some(csrf.as_str()));
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
