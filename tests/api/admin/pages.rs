//! The admin pages: admins only, linked for them alone, each action confirmed then sent with the
//! form's CSRF token.

use rocket::http::Status;

use super::*;

/// Root, an admin, signed in on the pages; and Ann, a user, signed in on the API.
async fn admin_browser(app: &TestApp) -> (Browser<'_>, Login) {
    app.register("root@example.com").await;
    make_admin(app, "root@example.com").await;
    let mut root = Browser::new(app, FIREFOX);
    root.sign_in("root@example.com").await;
    let ann = app.register("ann@example.com").await;
    (root, ann)
}

#[rocket::async_test]
async fn the_admin_pages_are_for_admins_and_linked_for_them_only() {
    let app = app().await;
    let (mut root, ann) = admin_browser(&app).await;
    let home = root.get("/").await;
    assert!(
        home.body.contains("href=\"/admin\""),
        "the admin's navigation"
    );

    let mut laptop = Browser::new(&app, FIREFOX);
    laptop.sign_in("ann@example.com").await;
    assert!(!laptop.get("/").await.body.contains("href=\"/admin\""));
    let ann_id = user_id(&ann);
    for path in [
        "/admin".to_owned(),
        "/admin?query=root".to_owned(),
        format!("/admin/users/{ann_id}"),
        format!("/admin/users/{ann_id}/deactivate"),
        "/admin/audit".to_owned(),
    ] {
        assert_eq!(laptop.get(&path).await.status, Status::Forbidden, "{path}");
    }
    let csrf = laptop.cookie("csrf_token").unwrap().to_owned();
    let post = laptop
        .post_raw(
            &format!("/admin/users/{ann_id}/deactivate"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(post.status, Status::Forbidden);
    let me = app.get_with("/api/auth/me", &ann.access).await;
    assert_eq!(me.status(), Status::Ok, "still active");

    // Signed out: to the sign-in page.
    let mut stranger = Browser::new(&app, FIREFOX);
    let page = stranger.get("/admin").await;
    assert_eq!(page.status, Status::SeeOther);
}

#[rocket::async_test]
async fn search_open_a_user_and_sign_a_device_out_after_confirming() {
    let app = app().await;
    let (mut root, ann) = admin_browser(&app).await;
    let users = root.get("/admin?query=ANN").await;
    assert_eq!(users.status, Status::Ok);
    let ann_id = user_id(&ann);
    assert!(users
        .body
        .contains(&format!("href=\"/admin/users/{ann_id}\"")));
    assert!(!users.body.contains("root@example.com</a>"));

    let page = root.get(&format!("/admin/users/{ann_id}")).await;
    assert_eq!(page.status, Status::Ok);
    let sid = ann.session_id();
    let confirm_path = format!("/admin/users/{ann_id}/revoke-session?sid={sid}");
    assert!(page.body.contains(&confirm_path.replace('&', "&amp;")));

    let confirm = root.get(&confirm_path).await;
    assert_eq!(confirm.status, Status::Ok);
    assert!(confirm.body.contains("Sign this device out?"));
    assert!(confirm.form_csrf().is_some());
    // Without the form's token: refused, nothing done.
    let forged = root
        .post_raw(
            &format!("/admin/users/{ann_id}/revoke-session"),
            &[("sid", &sid)],
        )
        .await;
    assert_eq!(forged.status, Status::Forbidden);
    assert!(session_is_live(&app, &sid).await);

    root.post(
        &format!("/admin/users/{ann_id}/revoke-session"),
        &[("sid", &sid)],
    )
    .await
    .assert_redirect(&format!("/admin/users/{ann_id}"));
    assert!(!session_is_live(&app, &sid).await);
    let after = root.get(&format!("/admin/users/{ann_id}")).await;
    assert!(after.body.contains("Signed that device out."));
    let audit = root.get("/admin/audit").await;
    assert_eq!(audit.status, Status::Ok);
    assert!(audit.body.contains("session revoked") && audit.body.contains("ann@example.com"));
}

#[rocket::async_test]
async fn an_action_on_a_stale_session_asks_to_re_authenticate_first() {
    let app = app().await;
    let (mut root, ann) = admin_browser(&app).await;
    let ann_id = user_id(&ann);
    app.age_authentication(&root.session_id(), 3600).await;
    let answer = root
        .post(&format!("/admin/users/{ann_id}/deactivate"), &[])
        .await;
    assert_eq!(answer.status, Status::SeeOther);
    let to = answer.location.unwrap();
    assert!(to.starts_with("/reauth?next="), "{to}");
    assert!(
        to.contains(&format!("admin%2Fusers%2F{ann_id}"))
            || to.contains(&format!("admin/users/{ann_id}")),
        "{to}"
    );
    let me = app.get_with("/api/auth/me", &ann.access).await;
    assert_eq!(me.status(), Status::Ok, "not deactivated");
}
