//! The forms' CSRF token: without it, or with another browser's, nothing happens.

use rocket::http::Status;

use crate::common::*;

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
