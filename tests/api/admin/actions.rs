//! What an admin does to an account, what the user then finds, and the audit entry each leaves.

use rocket::http::Status;
use serde_json::json;

use super::*;

#[rocket::async_test]
async fn deactivation_is_refused_at_once_by_the_guard_and_at_the_next_refresh() {
    let (app, root) = app_with_admin().await;
    let ann = app.register("ann@example.com").await;
    let phone = app.login("ann@example.com", IPHONE).await;
    let path = format!("/api/admin/users/{}", user_id(&ann));
    admin_ok(
        &app,
        &root,
        "POST",
        &format!("{path}/deactivate"),
        None,
        Status::NoContent,
    )
    .await;

    // Her access token has minutes left; the user guard refuses it now.
    let me = app.get_with("/api/auth/me", &ann.access).await;
    assert_eq!(me.status(), Status::Unauthorized);
    let response = app.refresh(&phone).await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(error_code(response).await, "invalid_refresh_token");
    let body = json!({ "email": "ann@example.com", "password": PASSWORD });
    let login = app.post_json("/api/auth/login", body, FIREFOX).await;
    assert_eq!(login.status(), Status::Unauthorized);
    let record = admin_ok(&app, &root, "GET", &path, None, Status::Ok).await;
    assert_eq!(record["user"]["active"], false);
    assert_eq!(record["user"]["sessions"], 0);

    // Activated: she signs in anew (her old sessions stay revoked).
    admin_ok(
        &app,
        &root,
        "POST",
        &format!("{path}/activate"),
        None,
        Status::NoContent,
    )
    .await;
    assert_eq!(app.refresh(&phone).await.status(), Status::Unauthorized);
    app.login("ann@example.com", FIREFOX).await;
}

#[rocket::async_test]
async fn a_second_factor_reset_lets_the_password_alone_sign_in() {
    let (app, root) = app_with_admin().await;
    let ann = app.register("ann@example.com").await;
    app.enable_mfa(&ann).await;
    app.mfa_ticket("ann@example.com").await;
    let path = format!("/api/admin/users/{}/mfa", user_id(&ann));
    admin_ok(&app, &root, "DELETE", &path, None, Status::NoContent).await;
    let login = app.login("ann@example.com", FIREFOX).await;
    assert_eq!(login.body["user"]["mfa_enabled"], false);
    assert_eq!(login.body["session"]["method"], "password");
    let kinds = event_kinds(&app, &login.access).await;
    assert!(
        kinds.contains(&"mfa_reset_by_admin".to_owned()),
        "{kinds:?}"
    );
}

#[rocket::async_test]
async fn revoking_one_or_every_session_of_a_user() {
    let (app, root) = app_with_admin().await;
    let ann = app.register("ann@example.com").await;
    let phone = app.login("ann@example.com", IPHONE).await;
    let bob = app.register("bob@example.com").await;
    let ann_path = format!("/api/admin/users/{}", user_id(&ann));

    // Bob's session is not Ann's.
    let others = format!("{ann_path}/sessions/{}", bob.session_id());
    let response = admin_call(&app, &root, "DELETE", &others, None).await;
    assert_eq!(response.status(), Status::NotFound);
    assert!(session_is_live(&app, &bob.session_id()).await);

    let one = format!("{ann_path}/sessions/{}", phone.session_id());
    admin_ok(&app, &root, "DELETE", &one, None, Status::NoContent).await;
    assert_eq!(app.refresh(&phone).await.status(), Status::Unauthorized);
    let response = admin_call(&app, &root, "DELETE", &one, None).await;
    assert_eq!(response.status(), Status::NotFound, "already revoked");

    let all = format!("{ann_path}/sessions");
    let answer = admin_ok(&app, &root, "DELETE", &all, None, Status::Ok).await;
    assert_eq!(answer["revoked"], 1);
    let me = app.get_with("/api/auth/me", &ann.access).await;
    assert_eq!(me.status(), Status::Unauthorized);
    assert!(session_is_live(&app, &bob.session_id()).await);
}

#[rocket::async_test]
async fn a_reset_link_mailed_by_an_admin_sets_a_new_password() {
    let (app, root) = app_with_admin().await;
    let ann = app.register("ann@example.com").await;
    let path = format!("/api/admin/users/{}/password-reset", user_id(&ann));
    admin_ok(&app, &root, "POST", &path, None, Status::Accepted).await;
    let mail = app
        .last_mail("ann@example.com", "Reset your password")
        .await;
    let reset = app.reset_password(&mail.token(), NEW_PASSWORD).await;
    assert_eq!(reset.status(), Status::NoContent);
    app.login_with("ann@example.com", NEW_PASSWORD).await;
}

#[rocket::async_test]
async fn every_admin_action_leaves_an_audit_entry_and_an_event() {
    let (app, root) = app_with_admin().await;
    let ann = app.register("ann@example.com").await;
    app.enable_mfa(&ann).await;
    let ann_id = user_id(&ann);
    let path = format!("/api/admin/users/{ann_id}");
    let steps: Vec<(&str, String, Option<Value>, Status, &str)> = vec![
        (
            "PUT",
            format!("{path}/role"),
            Some(json!({"role": "admin"})),
            Status::NoContent,
            "role_changed",
        ),
        (
            "DELETE",
            format!("{path}/mfa"),
            None,
            Status::NoContent,
            "mfa_reset",
        ),
        (
            "POST",
            format!("{path}/password-reset"),
            None,
            Status::Accepted,
            "password_reset_mailed",
        ),
        (
            "DELETE",
            format!("{path}/sessions"),
            None,
            Status::Ok,
            "sessions_revoked",
        ),
        (
            "POST",
            format!("{path}/deactivate"),
            None,
            Status::NoContent,
            "user_deactivated",
        ),
        (
            "POST",
            format!("{path}/activate"),
            None,
            Status::NoContent,
            "user_activated",
        ),
    ];
    for (method, path, body, status, action) in &steps {
        admin_ok(&app, &root, method, path, body.clone(), *status).await;
        let entries = audit_actions(&app, &root).await;
        let newest = &entries[0];
        assert_eq!(newest["action"], *action, "{method} {path}");
        assert_eq!(newest["admin_email"], "root@example.com");
        assert_eq!(newest["admin_id"], user_id(&root).as_str());
        assert_eq!(newest["target_email"], "ann@example.com");
        assert_eq!(newest["target_id"], ann_id.as_str());
        assert_eq!(newest["user_agent"], FIREFOX);
        assert!(newest["at"].is_string());
    }
    let entries = audit_actions(&app, &root).await;
    assert_eq!(entries.len(), steps.len());
    // Doing it again changes nothing and writes nothing.
    admin_ok(
        &app,
        &root,
        "POST",
        &format!("{path}/activate"),
        None,
        Status::NoContent,
    )
    .await;
    assert_eq!(audit_actions(&app, &root).await.len(), steps.len());

    // One user's entries, a page at a time.
    let paged = admin_ok(
        &app,
        &root,
        "GET",
        &format!("/api/admin/audit?user={ann_id}&limit=4"),
        None,
        Status::Ok,
    )
    .await;
    assert_eq!(paged["entries"].as_array().unwrap().len(), 4);
    let cursor = paged["next_cursor"].as_str().unwrap();
    let rest = admin_ok(
        &app,
        &root,
        "GET",
        &format!("/api/admin/audit?user={ann_id}&limit=4&cursor={cursor}"),
        None,
        Status::Ok,
    )
    .await;
    assert_eq!(rest["entries"].as_array().unwrap().len(), 2);
    assert!(rest["next_cursor"].is_null());

    // On Ann's side, each is in her security events.
    let ann = app.login("ann@example.com", FIREFOX).await;
    let kinds = event_kinds(&app, &ann.access).await;
    for kind in [
        "role_changed",
        "mfa_reset_by_admin",
        "password_reset_mailed_by_admin",
        "sessions_revoked_by_admin",
        "user_deactivated",
        "user_activated",
    ] {
        assert!(kinds.contains(&kind.to_owned()), "{kind}: {kinds:?}");
    }
}
