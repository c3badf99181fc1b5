//! What the pages write to the security-event log, and how the devices page shows it.

use rocket::http::Status;
use serde_json::json;

use crate::common::*;

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
    let mut laptop = ann_signed_up(&app).await;
    // A failed sign-in from a browser that never got a session: only the event log knows it.
    let evil = "Mozilla/5.0 <script>alert(1)</script> \"><img src=x onerror=alert(2)>";
    let mut mallory = Browser::new(&app, evil);
    mallory.fail_sign_in("ann@example.com").await;
    // A stolen refresh token comes back after its rotation.
    let phone = app.login("ann@example.com", IPHONE).await;
    let rotated = app.refresh(&phone).await;
    assert_eq!(rotated.status(), Status::Ok);
    app.advance_clock(1);
    let reused = app.refresh(&phone).await;
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
async fn every_two_factor_and_deletion_event_is_worded_and_failures_stand_out() {
    let app = app().await;
    let mut laptop = ann_signed_up(&app).await;
    let kinds = [
        ("mfa_enabled", "Two-factor sign-in turned on", false),
        ("mfa_disabled", "Two-factor sign-in turned off", true),
        ("mfa_failed", "Wrong two-factor code", true),
        ("recovery_code_used", "Recovery code used", true),
        ("account_deleted", "Account deleted", true),
    ];
    for (kind, _, _) in kinds {
        sqlx::query(
            "INSERT INTO security_events (user_id, kind, created_at) \
             SELECT id, $1, $2 FROM users WHERE email = 'ann@example.com'",
        )
        .bind(kind)
        .bind(rocket_auth_template::clock::now())
        .execute(app.db())
        .await
        .unwrap();
    }
    let page = laptop.get("/sessions").await;
    let activity = &page.body[page.body.find("Recent activity").unwrap()..];
    assert!(!activity.contains("Security event"), "a kind without words");
    for (kind, words, warning) in kinds {
        let at = activity
            .find(words)
            .unwrap_or_else(|| panic!("{kind}: {words}"));
        let item = &activity[activity[..at].rfind("<li class=\"").unwrap()..at];
        assert_eq!(item.contains("event-warning"), warning, "{kind}: {item}");
    }
}
