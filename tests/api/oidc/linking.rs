//! Which account an identity enters: a provider's word alone never opens an account whose
//! address either side does not vouch for (docs/API.md, "Which account").

use rocket::http::Status;
use serde_json::{json, Value};

use super::providers::*;
use super::*;

/// Ann's account, signed up with a password; `verified` when she followed the mailed link.
async fn ann(app: &TestApp, verified: bool) -> Value {
    let mut laptop = Browser::new(app, FIREFOX);
    laptop.sign_up("ann@example.com").await;
    if verified {
        sqlx::query("UPDATE users SET email_verified = $1 WHERE email = $2")
            .bind(true)
            .bind("ann@example.com")
            .execute(app.db())
            .await
            .unwrap();
    }
    me(&mut laptop).await["id"].clone()
}

async fn fake_saying(email_verified: bool) -> NodeProvider {
    let fake = NodeProvider::fake();
    let claims = json!({ "email": "ann@example.com", "email_verified": email_verified, "sub": "ann-at-fake" });
    fake.control(claims).await;
    fake
}

async fn linked_identities(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM user_identities")
        .fetch_one(app.db())
        .await
        .unwrap();
    n
}

/// The password is asked, once, on a page of its own; nothing is linked before it.
async fn assert_password_asked(app: &TestApp, browser: &mut Browser<'_>, page: &Page) {
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    assert!(
        !page.sets_session_cookies(),
        "not signed in on the provider's word"
    );
    let to = page.location.clone().expect("somewhere");
    assert!(to.starts_with("/login/oidc/link"), "{to}");
    let form = browser.get(&to).await;
    assert!(form.body.contains("ann@example.com"), "{}", form.body);
    assert!(form.body.contains("password"), "{}", form.body);
    assert_eq!(linked_identities(app).await, 0, "never linked silently");
}

#[rocket::async_test]
async fn an_address_the_provider_does_not_vouch_for_never_enters_a_local_account() {
    let fake = fake_saying(false).await;
    let app = app_with_provider("fake", &fake.issuer).await;
    ann(&app, true).await;
    let mut browser = Browser::new(&app, IPHONE);
    let page = sign_in_with_fake(&mut browser, &fake).await;
    assert_password_asked(&app, &mut browser, &page).await;
}

#[rocket::async_test]
async fn a_verified_provider_address_never_enters_an_unverified_local_account() {
    let fake = fake_saying(true).await;
    let app = app_with_provider("fake", &fake.issuer).await;
    ann(&app, false).await;
    let mut browser = Browser::new(&app, IPHONE);
    let page = sign_in_with_fake(&mut browser, &fake).await;
    assert_password_asked(&app, &mut browser, &page).await;
}

#[rocket::async_test]
async fn both_sides_vouching_links_and_signs_in() {
    let fake = fake_saying(true).await;
    let app = app_with_provider("fake", &fake.issuer).await;
    let ann_id = ann(&app, true).await;
    let mut browser = Browser::new(&app, IPHONE);
    let page = sign_in_with_fake(&mut browser, &fake).await;
    page.assert_redirect("/");
    assert!(page.sets_session_cookies());
    assert_eq!(me(&mut browser).await["id"], ann_id);
    assert_eq!(linked_identities(&app).await, 1);
}

/// The password given once links the identity; the provider alone signs in afterwards.
#[rocket::async_test]
async fn the_password_once_links_the_identity() {
    let fake = fake_saying(false).await;
    let app = app_with_provider("fake", &fake.issuer).await;
    let ann_id = ann(&app, true).await;
    let mut phone = Browser::new(&app, IPHONE);
    let page = sign_in_with_fake(&mut phone, &fake).await;
    assert_password_asked(&app, &mut phone, &page).await;
    let wrong = phone
        .post("/login/oidc/link", &[("password", "not it")])
        .await;
    assert_eq!(wrong.status, Status::Unauthorized, "{}", wrong.body);
    assert_eq!(linked_identities(&app).await, 0);
    let right = phone
        .post("/login/oidc/link", &[("password", PASSWORD)])
        .await;
    right.assert_redirect("/");
    assert!(right.sets_session_cookies());
    assert_eq!(linked_identities(&app).await, 1);

    let mut tablet = Browser::new(&app, FIREFOX);
    let again = sign_in_with_fake(&mut tablet, &fake).await;
    assert!(again.sets_session_cookies(), "{}", again.body);
    assert_eq!(me(&mut tablet).await["id"], ann_id);
}

/// Registration closed: nobody new gets in through a provider either.
#[rocket::async_test]
async fn no_new_account_when_registration_is_closed() {
    let fake = NodeProvider::fake();
    let app = app_with_provider_and("fake", &fake.issuer, |f| {
        f.merge(("allow_registration", false))
    })
    .await;
    let mut browser = Browser::new(&app, FIREFOX);
    let page = sign_in_with_fake(&mut browser, &fake).await;
    assert!(
        page.body.contains("registration is closed"),
        "{}",
        page.body
    );
    assert!(!page.sets_session_cookies());
}
