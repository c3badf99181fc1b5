//! The providers people may sign in with (`oidc_providers`), validated at ignition. `oidc/`
//! discovers and uses them.

use std::net::IpAddr;

use openidconnect::url;
use rocket::figment::{Figment, Source};
use serde::Deserialize;

use crate::config::AuthConfig;

/// One `[oidc_providers.{name}]` table as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OidcProviderRaw {
    pub issuer: String,
    pub client_id: String,
    /// From the environment only (`ROCKET_OIDC_PROVIDERS='{name={client_secret="…"}}'`).
    pub client_secret: Option<String>,
    pub display_name: Option<String>,
    pub scopes: Option<Vec<String>>,
}

/// A provider as the app uses it.
#[derive(Clone)]
pub struct OidcProviderConfig {
    /// The table's name: in the redirect URI, the routes and the session's method (`oidc:{name}`).
    pub name: String,
    /// Exactly as the provider's discovery document states it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub display_name: String,
    /// `openid` first, always.
    pub scopes: Vec<String>,
}

/// The secret is never printed.
impl std::fmt::Debug for OidcProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProviderConfig")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<set>")
            .field("display_name", &self.display_name)
            .field("scopes", &self.scopes)
            .finish()
    }
}

pub const DEFAULT_SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// A name in URLs and in `oidc:{name}`: short, lowercase ASCII letters, digits, `-`, `_`.
fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// `https://` anywhere; `http://` only to this machine (tests, local development).
pub fn scheme_allowed(url: &url::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain(host)) => host == "localhost",
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// `oidc_providers`, validated: every provider complete, its issuer an `https://` URL (plain
/// `http://` on loopback only), in name order.
pub fn from_config(raw: &AuthConfig) -> Result<Vec<OidcProviderConfig>, String> {
    raw.oidc_providers
        .iter()
        .map(|(name, p)| provider(name, p))
        .collect()
}

fn provider(name: &str, raw: &OidcProviderRaw) -> Result<OidcProviderConfig, String> {
    let key = format!("oidc_providers.{name}");
    if !valid_name(name) {
        return Err(format!(
            "{key}: a provider's name is 1 to 32 lowercase letters, digits, '-' or '_'"
        ));
    }
    // Exactly as written: it must equal the discovery document's `issuer` (Auth0's ends in `/`).
    let issuer = raw.issuer.trim().to_owned();
    let usable = url::Url::parse(&issuer)
        .is_ok_and(|url| scheme_allowed(&url) && url.query().is_none() && url.fragment().is_none());
    if !usable {
        return Err(format!(
            "{key}.issuer {:?} is not an https:// URL (http:// only on loopback)",
            raw.issuer
        ));
    }
    let client_id = raw.client_id.trim().to_owned();
    if client_id.is_empty() {
        return Err(format!("{key}.client_id is missing"));
    }
    let client_secret = raw
        .client_secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            format!(
                "{key}.client_secret is missing: set it in the environment, \
                 ROCKET_OIDC_PROVIDERS='{{{name}={{client_secret=\"…\"}}}}'"
            )
        })?
        .to_owned();
    let mut scopes: Vec<String> = match &raw.scopes {
        Some(scopes) => scopes.iter().map(|s| s.trim().to_owned()).collect(),
        None => DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect(),
    };
    if scopes
        .iter()
        .any(|s| s.is_empty() || s.contains(char::is_whitespace))
    {
        return Err(format!("{key}.scopes: each scope is one word"));
    }
    scopes.retain(|s| s != "openid");
    scopes.insert(0, "openid".into());
    let display_name = raw
        .display_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(name)
        .to_owned();
    Ok(OidcProviderConfig {
        name: name.to_owned(),
        issuer,
        client_id,
        client_secret,
        display_name,
        scopes,
    })
}

/// A client secret belongs in the environment: one found in a file (`Rocket.toml`, committed
/// more often than not) stops the launch.
pub fn secrets_from_environment_only(figment: &Figment, raw: &AuthConfig) -> Result<(), String> {
    for name in raw.oidc_providers.keys() {
        let key = format!("oidc_providers.{name}.client_secret");
        let from_file = figment
            .find_metadata(&key)
            .and_then(|m| m.source.as_ref())
            .is_some_and(|source| matches!(source, Source::File(_)));
        if from_file {
            return Err(format!(
                "{key} is in a file: give it through the environment instead, \
                 ROCKET_OIDC_PROVIDERS='{{{name}={{client_secret=\"…\"}}}}'"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn raw(name: &str, issuer: &str) -> AuthConfig {
        let mut providers = BTreeMap::new();
        providers.insert(
            name.to_owned(),
            OidcProviderRaw {
                issuer: issuer.into(),
                client_id: "app".into(),
                client_secret: Some("s3cret".into()),
                ..Default::default()
            },
        );
        AuthConfig {
            oidc_providers: providers,
            ..Default::default()
        }
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        let allowed = |u: &str| scheme_allowed(&url::Url::parse(u).unwrap());
        assert!(allowed("https://accounts.google.com"));
        assert!(allowed("http://127.0.0.1:8080/realms/x"));
        assert!(allowed("http://[::1]:8080"));
        assert!(allowed("http://localhost:8080"));
        assert!(!allowed("http://accounts.google.com"));
        assert!(!allowed("http://10.0.0.1"));
        assert!(!allowed("file:///etc/passwd"));
    }

    #[test]
    fn a_provider_needs_an_https_issuer_a_plain_name_and_a_secret() {
        let ok = from_config(&raw("google", "https://accounts.google.com/")).unwrap();
        assert_eq!(ok[0].issuer, "https://accounts.google.com/");
        assert_eq!(ok[0].scopes, ["openid", "email", "profile"]);
        assert_eq!(ok[0].display_name, "google");
        assert!(from_config(&raw("local", "http://127.0.0.1:8080")).is_ok());
        assert!(from_config(&raw("google", "http://accounts.google.com")).is_err());
        assert!(from_config(&raw("Google!", "https://accounts.google.com")).is_err());
        let mut no_secret = raw("google", "https://accounts.google.com");
        no_secret
            .oidc_providers
            .get_mut("google")
            .unwrap()
            .client_secret = None;
        assert!(from_config(&no_secret).is_err());
    }

    #[test]
    fn a_client_secret_in_a_file_stops_the_launch() {
        use rocket::figment::providers::{Format, Toml};
        let toml = r#"
            [default.oidc_providers.google]
            issuer = "https://accounts.google.com"
            client_id = "app"
            client_secret = "committed"
        "#;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("Rocket.toml");
        std::fs::write(&file, toml).unwrap();
        let in_file = Figment::new().merge(Toml::file(&file).nested());
        let raw: AuthConfig = in_file.extract().unwrap();
        assert!(secrets_from_environment_only(&in_file, &raw).is_err());
        let from_env = Figment::new().merge(("oidc_providers.google.client_secret", "env"));
        let raw: AuthConfig = from_env.extract().unwrap();
        assert!(secrets_from_environment_only(&from_env, &raw).is_ok());
    }
}
