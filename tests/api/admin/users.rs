//! Finding users: search by email or name, newest first, a page at a time; one user's record.

use rocket::http::Status;

use super::*;

fn emails(page: &Value) -> Vec<String> {
    page["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect()
}

#[rocket::async_test]
async fn search_by_email_or_name_newest_first_a_page_at_a_time() {
    let (app, root) = app_with_admin().await;
    for n in 1..=5 {
        app.register(&format!("page{n}@example.com")).await;
    }
    // Found by name too, any case: every registered test user is called "Test".
    sqlx::query("UPDATE users SET name = 'Grace Hopper' WHERE email = 'page2@example.com'")
        .execute(app.db())
        .await
        .unwrap();

    let first = admin_ok(
        &app,
        &root,
        "GET",
        "/api/admin/users?query=PAGE&limit=2",
        None,
        Status::Ok,
    )
    .await;
    assert_eq!(emails(&first), ["page5@example.com", "page4@example.com"]);
    let mut seen = emails(&first);
    let mut cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    loop {
        let path = format!("/api/admin/users?query=page&limit=2&cursor={cursor}");
        let page = admin_ok(&app, &root, "GET", &path, None, Status::Ok).await;
        seen.extend(emails(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let expected: Vec<String> = (1..=5)
        .rev()
        .map(|n| format!("page{n}@example.com"))
        .collect();
    assert_eq!(seen, expected, "every user once, newest first");

    let by_name = admin_ok(
        &app,
        &root,
        "GET",
        "/api/admin/users?query=hopper",
        None,
        Status::Ok,
    )
    .await;
    assert_eq!(emails(&by_name), ["page2@example.com"]);
    assert!(by_name["next_cursor"].is_null());

    // LIKE's wildcards are taken literally.
    let wildcard = admin_ok(
        &app,
        &root,
        "GET",
        "/api/admin/users?query=%25",
        None,
        Status::Ok,
    )
    .await;
    assert_eq!(emails(&wildcard), Vec::<String>::new());

    let all = admin_ok(&app, &root, "GET", "/api/admin/users", None, Status::Ok).await;
    assert_eq!(emails(&all).len(), 6);
    let user = &all["users"][0];
    assert_eq!(user["active"], true);
    assert_eq!(user["sessions"], 1);
    assert!(user["last_seen_at"].is_string());
    assert!(user.get("password_hash").is_none() && !all.to_string().contains("argon2"));

    let bad = admin_call(&app, &root, "GET", "/api/admin/users?cursor=abc", None).await;
    assert_eq!(bad.status(), Status::UnprocessableEntity);
    assert_eq!(error_code(bad).await, "invalid_input");
}

#[rocket::async_test]
async fn one_user_with_sessions_and_events() {
    let (app, root) = app_with_admin().await;
    let ann = app.register("ann@example.com").await;
    app.login("ann@example.com", IPHONE).await;
    app.add_passkey(&ann, &mut SoftPasskey::new()).await;
    crate::account_api::link_identity(&app, &ann, "gitlab", "gitlab-subject-1").await;
    let path = format!("/api/admin/users/{}", user_id(&ann));
    let record = admin_ok(&app, &root, "GET", &path, None, Status::Ok).await;
    assert_eq!(record["user"]["email"], "ann@example.com");
    assert_eq!(record["user"]["sessions"], 2);
    let sessions = record["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert!(sessions.iter().all(|s| s["current"] == false));
    let kinds: Vec<&str> = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["passkey_added", "login_succeeded", "registered"]);
    assert_eq!(record["passkeys"][0]["name"], "Firefox on Windows 10");
    assert_eq!(record["identities"][0]["provider"], "gitlab");
    assert!(!record.to_string().contains("gitlab-subject-1"));
    // The page shows them too.
    let mut browser = Browser::new(&app, FIREFOX);
    browser.sign_in("root@example.com").await;
    let page = browser
        .get(&format!("/admin/users/{}", user_id(&ann)))
        .await
        .body;
    assert!(page.contains("Passkey “Firefox on Windows 10”"), "{page}");
    assert!(page.contains("gitlab (ann@example.com)"));

    for missing in ["999999", "9223372036854775808", "ann"] {
        let path = format!("/api/admin/users/{missing}");
        let response = admin_call(&app, &root, "GET", &path, None).await;
        assert_eq!(response.status(), Status::NotFound, "{missing}");
        assert_eq!(error_code(response).await, "not_found");
    }
}
