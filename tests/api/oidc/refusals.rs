//! Every way a trip through a provider is refused: the callback's `state` and the browser that
//! started it, and each check of the ID token. The fake provider makes each bad token on
//! request; each test fails without its check (docs/oidc.md).

use serde_json::json;

use super::providers::*;
use super::*;

/// The fake provider making tokens in `mode`, and an app that trusts it as "fake".
async fn fake_in_mode(mode: &str) -> (NodeProvider, TestApp) {
    let fake = NodeProvider::fake();
    fake.control(json!({ "mode": mode })).await;
    let app = app_with_provider("fake", &fake.issuer).await;
    (fake, app)
}

/// A good token still signs in: the refusals below refuse for their one reason.
#[rocket::async_test]
async fn a_good_id_token_signs_in() {
    let (fake, app) = fake_in_mode("good").await;
    let mut browser = Browser::new(&app, FIREFOX);
    let page = sign_in_with_fake(&mut browser, &fake).await;
    page.assert_redirect("/");
    assert!(page.sets_session_cookies());
}

async fn assert_token_refused(mode: &str) {
    let (fake, app) = fake_in_mode(mode).await;
    let mut browser = Browser::new(&app, FIREFOX);
    let page = sign_in_with_fake(&mut browser, &fake).await;
    assert_refused(&page);
    assert_eq!(
        live_sessions(&app).await,
        0,
        "{mode}: no session was started"
    );
}

#[rocket::async_test]
async fn an_id_token_for_another_audience_is_refused() {
    assert_token_refused("other_audience").await;
}

#[rocket::async_test]
async fn an_id_token_authorized_for_another_party_is_refused() {
    assert_token_refused("other_azp").await;
}

#[rocket::async_test]
async fn an_id_token_from_another_issuer_is_refused() {
    assert_token_refused("other_issuer").await;
}

#[rocket::async_test]
async fn an_expired_id_token_is_refused() {
    assert_token_refused("expired").await;
}

#[rocket::async_test]
async fn an_id_token_with_a_wrong_nonce_is_refused() {
    assert_token_refused("wrong_nonce").await;
}

#[rocket::async_test]
async fn an_id_token_with_a_bad_signature_is_refused() {
    assert_token_refused("bad_signature").await;
}

#[rocket::async_test]
async fn an_unsigned_id_token_alg_none_is_refused() {
    assert_token_refused("alg_none").await;
}

#[rocket::async_test]
async fn an_id_token_signed_with_the_client_secret_is_refused() {
    assert_token_refused("hs256").await;
}

/// A key the provider never published: the keys are read again once, then the token is refused;
/// another such token within the minute reads nothing.
#[rocket::async_test]
async fn an_unknown_key_is_looked_up_at_most_once_a_minute() {
    let (fake, app) = fake_in_mode("unknown_kid").await;
    for _ in 0..3 {
        let mut browser = Browser::new(&app, FIREFOX);
        assert_refused(&sign_in_with_fake(&mut browser, &fake).await);
    }
    let key_reads = fake
        .log()
        .await
        .iter()
        .filter(|r| r["path"] == "/jwks")
        .count();
    assert_eq!(
        key_reads, 2,
        "one read at discovery, one refresh for the unknown key"
    );
}

/// The provider rotates its keys: the first token signed with the new one reads them again.
#[rocket::async_test]
async fn rotated_provider_keys_are_picked_up() {
    let (fake, app) = fake_in_mode("good").await;
    let mut browser = Browser::new(&app, FIREFOX);
    assert!(sign_in_with_fake(&mut browser, &fake)
        .await
        .sets_session_cookies());
    fake.control(json!({ "rotate_key": true })).await;
    let mut other = Browser::new(&app, IPHONE);
    assert!(sign_in_with_fake(&mut other, &fake)
        .await
        .sets_session_cookies());
}

/// The callback's `state` must be the one this browser's trip started with.
#[rocket::async_test]
async fn a_forged_state_is_refused() {
    let (fake, app) = fake_in_mode("good").await;
    let mut browser = Browser::new(&app, FIREFOX);
    let back = callback_from_fake(&mut browser, &fake).await;
    let forged = back.replace("state=", "state=forged");
    assert_refused(&browser.get(&app_path(&forged)).await);
}

#[rocket::async_test]
async fn a_missing_state_is_refused() {
    let (fake, app) = fake_in_mode("good").await;
    let mut browser = Browser::new(&app, FIREFOX);
    let back = callback_from_fake(&mut browser, &fake).await;
    let (path, query) = back.split_once('?').expect("a query");
    let without: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("state="))
        .collect();
    let stripped = format!("{path}?{}", without.join("&"));
    assert_refused(&browser.get(&app_path(&stripped)).await);
}

/// A callback URL that leaks (history, logs, a shoulder) signs nobody in elsewhere: the trip
/// belongs to the browser that started it, and it works once.
#[rocket::async_test]
async fn the_callback_replayed_in_another_browser_is_refused() {
    let (fake, app) = fake_in_mode("good").await;
    let mut started = Browser::new(&app, FIREFOX);
    let back = callback_from_fake(&mut started, &fake).await;
    let mut other = Browser::new(&app, IPHONE);
    assert_refused(&other.get(&app_path(&back)).await);
    // The other browser with a trip of its own is refused as well: the trip is not this one.
    let _ = callback_from_fake(&mut other, &fake).await;
    assert_refused(&other.get(&app_path(&back)).await);
}

#[rocket::async_test]
async fn the_callback_works_once() {
    let (fake, app) = fake_in_mode("good").await;
    // The provider would refuse the code the second time; the app must not even get that far.
    fake.control(json!({ "reuse_codes": true })).await;
    let mut browser = Browser::new(&app, FIREFOX);
    let back = callback_from_fake(&mut browser, &fake).await;
    let flow_cookies: Vec<(String, String)> = browser
        .jar
        .iter()
        .filter(|(k, _)| k.contains("oidc_flow"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert!(browser.get(&app_path(&back)).await.sets_session_cookies());
    let mut replay = Browser::new(&app, FIREFOX);
    for (name, value) in &flow_cookies {
        replay.set(name, value);
    }
    assert_refused(&replay.get(&app_path(&back)).await);
}

/// The person said no at the provider: the sign-in page says so, no session.
#[rocket::async_test]
async fn a_cancelled_sign_in_says_so() {
    let (fake, app) = fake_in_mode("good").await;
    let mut browser = Browser::new(&app, FIREFOX);
    let back = callback_from_fake(&mut browser, &fake).await;
    let state = back
        .split("state=")
        .nth(1)
        .expect("state")
        .split('&')
        .next()
        .unwrap();
    let page = browser
        .get(&format!(
            "/login/oidc/fake/callback?error=access_denied&state={state}"
        ))
        .await;
    assert!(page.body.contains("cancelled"), "{}", page.body);
    assert!(!page.sets_session_cookies());
}

/// The client secret goes to the token endpoint, in its `Authorization` header, and nowhere else.
#[rocket::async_test]
async fn the_client_secret_goes_only_to_the_token_endpoint() {
    let (fake, app) = fake_in_mode("good").await;
    let mut browser = Browser::new(&app, FIREFOX);
    assert!(sign_in_with_fake(&mut browser, &fake)
        .await
        .sets_session_cookies());
    for request in fake.log().await {
        assert_eq!(request["body_has_secret"], false, "{request}");
        let to_token = request["path"] == "/token";
        assert_eq!(request["authorization"], to_token, "{request}");
    }
}

/// `next` is checked like the sign-in page's: another site's URL becomes `/`.
#[rocket::async_test]
async fn next_is_a_path_of_this_site() {
    let (fake, app) = fake_in_mode("good").await;
    for (asked, lands) in [
        ("/sessions", "/sessions"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
    ] {
        let mut browser = Browser::new(&app, FIREFOX);
        let authorize = press_button(&mut browser, "fake", Some(asked)).await;
        let back = ProviderBrowser::default()
            .follow_until_back(&fake.issuer, authorize)
            .await;
        browser.get(&app_path(&back)).await.assert_redirect(lands);
    }
}
