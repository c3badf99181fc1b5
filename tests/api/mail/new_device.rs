//! New-device alerts: a sign-in from a browser, OS and device kind the account never used mails
//! its owner; a known device, a first sign-in ever, or the setting turned off mail nobody.

use serde_json::json;

use crate::common::*;

const FIREFOX_NEWER: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";

#[rocket::async_test]
async fn a_sign_in_from_a_device_never_used_mails_the_owner() {
    let app = app().await;
    app.register("ann@example.com").await;
    // The same browser, OS and kind (a newer version): known.
    app.login("ann@example.com", FIREFOX).await;
    app.login("ann@example.com", FIREFOX_NEWER).await;
    assert!(app
        .mails_to("ann@example.com", NEW_DEVICE_SUBJECT)
        .await
        .is_empty());

    let response = post_from(
        &app,
        "/api/auth/login",
        json!({ "email": "ann@example.com", "password": PASSWORD }),
        "198.51.100.7",
    )
    .await;
    assert_eq!(
        response.status(),
        rocket::http::Status::Ok,
        "still Firefox: no alert"
    );
    app.client
        .post("/api/auth/login")
        .header(rocket::http::ContentType::JSON)
        .header(rocket::http::Header::new("User-Agent", IPHONE))
        .remote(addr("198.51.100.7"))
        .body(json!({ "email": "ann@example.com", "password": PASSWORD }).to_string())
        .dispatch()
        .await;
    let alerts = app.mails_to("ann@example.com", NEW_DEVICE_SUBJECT).await;
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    assert!(
        alert
            .text
            .contains("New sign-in: Safari on iPhone (Smartphone), IP 198.51.100.7"),
        "{}",
        alert.text
    );
    assert!(alert.text.contains(" UTC"));
    assert_eq!(alert.link(), format!("{PUBLIC_URL}/sessions"));
    assert!(alert.html.contains("Review your devices"));

    // Now the iPhone is known.
    app.login("ann@example.com", IPHONE).await;
    assert_eq!(
        app.mails_to("ann@example.com", NEW_DEVICE_SUBJECT)
            .await
            .len(),
        1
    );
}

#[rocket::async_test]
async fn alerts_can_be_turned_off() {
    let app = app_with(|f| f.merge(("new_device_alerts", false))).await;
    app.register("ann@example.com").await;
    app.login("ann@example.com", IPHONE).await;
    assert!(app
        .mails_to("ann@example.com", NEW_DEVICE_SUBJECT)
        .await
        .is_empty());
}

#[rocket::async_test]
async fn the_first_sign_in_of_an_account_alerts_nobody() {
    use rocket_auth_template::auth::password::Passwords;
    use rocket_auth_template::auth::users::{create_user, Email, NewPassword, NewUser, Role};
    let app = app().await;
    let email = Email::parse("root@example.com").unwrap();
    let new = NewUser {
        password: NewPassword::parse(PASSWORD.into(), &email).unwrap(),
        email,
        name: String::new(),
        role: Role::Admin,
        email_verified: true,
    };
    let passwords = app.client.rocket().state::<Passwords>().unwrap();
    create_user(app.db(), passwords, new).await.unwrap();
    app.login("root@example.com", IPHONE).await;
    assert!(app.outbox().await.is_empty());
}
