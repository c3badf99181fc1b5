//! Sign-in with OpenID Connect providers (docs/API.md, "Sign in with an OpenID Connect
//! provider"): the happy paths through a real, certified provider (`certified.rs`), every refusal
//! through one that makes bad tokens on request (`refusals.rs`), the account-linking rule
//! (`linking.rs`), and a provider that is down (`outage.rs`).

mod certified;
mod linking;
mod outage;
mod providers;
mod refusals;

use rocket::http::Status;
use serde_json::Value;

use crate::common::*;
use providers::*;

/// The app with one provider, `name`, at `issuer`; its client secret given as the environment
/// would (never from a file).
pub async fn app_with_provider(name: &str, issuer: &str) -> TestApp {
    app_with_provider_and(name, issuer, |f| f).await
}

pub async fn app_with_provider_and(
    name: &str,
    issuer: &str,
    tweak: impl FnOnce(rocket::figment::Figment) -> rocket::figment::Figment,
) -> TestApp {
    let (name, issuer) = (name.to_owned(), issuer.to_owned());
    app_with(move |f| {
        let key = |k: &str| format!("oidc_providers.{name}.{k}");
        tweak(
            f.merge((key("issuer"), issuer.clone()))
                .merge((key("client_id"), CLIENT_ID))
                .merge((key("client_secret"), CLIENT_SECRET))
                .merge((key("display_name"), "Test ID")),
        )
    })
    .await
}

/// Where the provider sends the browser back, for `name`.
pub fn redirect_uri(name: &str) -> String {
    format!("{PUBLIC_URL}/login/oidc/{name}/callback")
}

/// The app's path for a URL of the app (`https://app.test/x?y` → `/x?y`).
pub fn app_path(url: &str) -> String {
    url.strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("not back at the app: {url}"))
        .to_owned()
}

/// The button: the app answers with the provider's authorization URL.
pub async fn press_button(browser: &mut Browser<'_>, name: &str, next: Option<&str>) -> String {
    let path = match next {
        Some(next) => format!("/login/oidc/{name}?next={}", encode(next)),
        None => format!("/login/oidc/{name}"),
    };
    let page = browser.get(&path).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    page.location.expect("to the provider")
}

/// Through the fake provider (it answers at once) and back: the callback URL it sent.
pub async fn callback_from_fake(browser: &mut Browser<'_>, fake: &NodeProvider) -> String {
    let authorize = press_button(browser, "fake", None).await;
    let mut provider = ProviderBrowser::default();
    provider.follow_until_back(&fake.issuer, authorize).await
}

/// The whole trip through the fake provider; the app's last answer.
pub async fn sign_in_with_fake(browser: &mut Browser<'_>, fake: &NodeProvider) -> Page {
    let back = callback_from_fake(browser, fake).await;
    browser.get(&app_path(&back)).await
}

/// The whole trip through the certified provider, signing in there as `login`.
pub async fn sign_in_with_certified(
    browser: &mut Browser<'_>,
    provider: &NodeProvider,
    login: &str,
    next: Option<&str>,
) -> Page {
    let authorize = press_button(browser, "certified", next).await;
    let mut at_provider = ProviderBrowser::default();
    let back = at_provider
        .sign_in_at_provider(&provider.issuer, &authorize, login)
        .await;
    browser.get(&app_path(&back)).await
}

/// The sign-in page with its one message, and no session.
pub fn assert_refused(page: &Page) {
    assert!(
        page.status.code >= 400 && page.status.code < 500,
        "refused: {:?} {}",
        page.status,
        page.body
    );
    assert!(
        page.body.contains("That sign-in did not work"),
        "{}",
        page.body
    );
    assert!(!page.sets_session_cookies(), "no session");
}

/// Who the browser is signed in as, from the API (the access cookie authenticates it).
pub async fn me(browser: &mut Browser<'_>) -> Value {
    let page = browser.get("/api/auth/me").await;
    assert_eq!(page.status, Status::Ok, "{}", page.body);
    serde_json::from_str::<Value>(&page.body).expect("JSON")["user"].clone()
}

/// The session this browser holds, as `GET /api/sessions` shows it.
pub async fn current_session(browser: &mut Browser<'_>) -> Value {
    let page = browser.get("/api/sessions").await;
    assert_eq!(page.status, Status::Ok, "{}", page.body);
    let list: Value = serde_json::from_str(&page.body).expect("JSON");
    list["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .find(|s| s["current"] == true)
        .cloned()
        .expect("the current session")
}
