//! The happy paths through a real, certified OpenID Provider (panva's oidc-provider, started on
//! loopback): a new person, the same person again, linking and unlinking from the account page,
//! and two-factor still asked.

use rocket::http::Status;

use super::providers::*;
use super::*;

async fn certified() -> (NodeProvider, TestApp) {
    let provider = NodeProvider::certified(&redirect_uri("certified"));
    let app = app_with_provider("certified", &provider.issuer).await;
    (provider, app)
}

#[rocket::async_test]
async fn a_new_person_gets_a_verified_account_and_a_session_that_says_how() {
    let (provider, app) = certified().await;
    let mut browser = Browser::new(&app, FIREFOX);
    let page = sign_in_with_certified(
        &mut browser,
        &provider,
        "newbie@example.test",
        Some("/sessions"),
    )
    .await;
    page.assert_redirect("/sessions");
    assert!(page.sets_session_cookies());
    let user = me(&mut browser).await;
    assert_eq!(user["email"], "newbie@example.test");
    assert_eq!(user["email_verified"], true, "the provider vouched for it");
    assert_eq!(
        current_session(&mut browser).await["method"],
        "oidc:certified"
    );
    let events = browser.get("/api/security-events").await.body;
    for kind in ["registered", "identity_linked", "oidc_sign_in"] {
        assert!(events.contains(kind), "{kind} in {events}");
    }
}

#[rocket::async_test]
async fn an_address_the_provider_does_not_vouch_for_makes_an_unverified_account() {
    let (provider, app) = certified().await;
    let mut browser = Browser::new(&app, FIREFOX);
    let page =
        sign_in_with_certified(&mut browser, &provider, "unverified-x@example.test", None).await;
    assert!(page.sets_session_cookies(), "{}", page.body);
    assert_eq!(me(&mut browser).await["email_verified"], false);
}

#[rocket::async_test]
async fn the_same_identity_lands_in_the_same_account_again() {
    let (provider, app) = certified().await;
    let mut laptop = Browser::new(&app, FIREFOX);
    sign_in_with_certified(&mut laptop, &provider, "same@example.test", None).await;
    let first = me(&mut laptop).await["id"].clone();
    let mut phone = Browser::new(&app, IPHONE);
    let page = sign_in_with_certified(&mut phone, &provider, "same@example.test", None).await;
    assert!(page.sets_session_cookies());
    assert_eq!(me(&mut phone).await["id"], first);
}

/// Ann (password account) links the provider from her account page; it signs her in afterwards;
/// she unlinks it again, and then it no longer does.
#[rocket::async_test]
async fn linking_and_unlinking_from_the_account_page() {
    let (provider, app) = certified().await;
    let mut laptop = ann_signed_up(&app).await;
    let ann_id = me(&mut laptop).await["id"].clone();
    let account = laptop.get("/account").await;
    assert!(account.body.contains("Test ID"), "{}", account.body);

    let out = laptop.post("/account/oidc/certified/link", &[]).await;
    assert_eq!(out.status, Status::SeeOther, "{}", out.body);
    let authorize = out.location.expect("to the provider");
    let back = ProviderBrowser::default()
        .sign_in_at_provider(&provider.issuer, &authorize, "ann-elsewhere@example.test")
        .await;
    let linked = laptop.get(&app_path(&back)).await;
    linked.assert_redirect("/account");
    assert!(laptop
        .get("/account")
        .await
        .body
        .contains("ann-elsewhere@example.test"));

    let mut phone = Browser::new(&app, IPHONE);
    let page =
        sign_in_with_certified(&mut phone, &provider, "ann-elsewhere@example.test", None).await;
    assert!(page.sets_session_cookies(), "{}", page.body);
    assert_eq!(
        me(&mut phone).await["id"],
        ann_id,
        "the linked identity enters Ann's account"
    );

    let unlinked = laptop.post("/account/oidc/certified/unlink", &[]).await;
    assert_eq!(unlinked.status, Status::SeeOther);
    let events = laptop.get("/api/security-events").await.body;
    assert!(
        events.contains("identity_linked") && events.contains("identity_unlinked"),
        "{events}"
    );
    let mut tablet = Browser::new(&app, FIREFOX);
    sign_in_with_certified(&mut tablet, &provider, "ann-elsewhere@example.test", None).await;
    assert_ne!(
        me(&mut tablet).await["id"],
        ann_id,
        "unlinked: a new account now"
    );
}

/// An account made through a provider has no password: its only way in stays.
#[rocket::async_test]
async fn the_last_way_to_sign_in_cannot_be_unlinked() {
    let (provider, app) = certified().await;
    let mut browser = Browser::new(&app, FIREFOX);
    sign_in_with_certified(&mut browser, &provider, "only@example.test", None).await;
    browser.get("/account").await;
    let refused = browser.post("/account/oidc/certified/unlink", &[]).await;
    assert_eq!(refused.status, Status::SeeOther);
    let account = browser.get("/account").await;
    assert!(
        account.body.contains("only way to sign in"),
        "{}",
        account.body
    );
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM user_identities")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(n, 1);
}

/// With two-factor on, the provider is the first step only: the code is still asked.
#[rocket::async_test]
async fn two_factor_is_still_asked() {
    let (provider, app) = certified().await;
    let login = app.register("mfa@example.test").await;
    let mut enrolled = app.enable_mfa(&login).await;
    sqlx::query("UPDATE users SET email_verified = $1")
        .bind(true)
        .execute(app.db())
        .await
        .unwrap();
    let mut browser = Browser::new(&app, IPHONE);
    let page = sign_in_with_certified(&mut browser, &provider, "mfa@example.test", None).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    assert!(
        page.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/login/mfa")),
        "{page:?}"
    );
    assert!(!page.sets_session_cookies(), "no session before the code");
    let next = page.location.clone().expect("the second step");
    browser.get(&next).await;
    let code = enrolled.next_code();
    let done = browser.post("/login/mfa", &[("code", &code)]).await;
    assert!(done.sets_session_cookies(), "{}", done.body);
    assert_eq!(
        current_session(&mut browser).await["method"],
        "oidc:certified+totp"
    );
}
