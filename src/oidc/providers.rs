//! The configured providers, each found by discovery on first use and kept: its metadata and its
//! keys (JWKS). A token that names a key we do not know reads the keys again (the provider
//! rotated them), at most once a minute per provider, so forged `kid`s cannot make us hammer it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata};
use openidconnect::{IssuerUrl, JsonWebKeySet};
use rocket::tokio::sync::Mutex;

use crate::config::oidc::OidcProviderConfig;
use crate::oidc::http::ProviderHttp;
use crate::oidc::OidcError;

/// The least time between two key reads caused by unknown `kid`s.
pub const JWKS_REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// A provider as discovered: its endpoints, the algorithms it signs ID tokens with, its keys.
#[derive(Debug, Clone)]
pub struct Discovered {
    pub metadata: CoreProviderMetadata,
}

impl Discovered {
    /// The algorithms an ID token may use: those the discovery document lists, minus `none` and
    /// the HMAC ones (keyed by the client secret, which is not the provider's signature).
    pub fn allowed_algorithms(&self) -> Vec<CoreJwsSigningAlgorithm> {
        use CoreJwsSigningAlgorithm::*;
        self.metadata
            .id_token_signing_alg_values_supported()
            .iter()
            .filter(|alg| !matches!(alg, None | HmacSha256 | HmacSha384 | HmacSha512))
            .cloned()
            .collect()
    }
}

/// One configured provider and what is known of it.
pub struct Provider {
    pub config: OidcProviderConfig,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    discovered: Option<Arc<Discovered>>,
    last_key_refresh: Option<Instant>,
}

impl Provider {
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The discovered metadata and keys, fetched on first use. A provider that does not answer
    /// is an error for this request only: the next one tries again.
    pub async fn discovered(&self, http: &ProviderHttp) -> Result<Arc<Discovered>, OidcError> {
        let mut cache = self.cache.lock().await;
        if let Some(discovered) = &cache.discovered {
            return Ok(discovered.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| self.unavailable(format!("issuer: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, http)
            .await
            .map_err(|e| self.unavailable(format!("discovery: {}", error_chain(&e))))?;
        let discovered = Arc::new(Discovered { metadata });
        if discovered.allowed_algorithms().is_empty() {
            return Err(self.unavailable(
                "its discovery document offers no asymmetric ID-token algorithm".into(),
            ));
        }
        cache.discovered = Some(discovered.clone());
        Ok(discovered)
    }

    /// Reads the keys again after a token named one we do not have; `None` when the last such
    /// read was less than `JWKS_REFRESH_INTERVAL` ago (the token is refused as it is).
    pub async fn refresh_keys(
        &self,
        http: &ProviderHttp,
    ) -> Result<Option<Arc<Discovered>>, OidcError> {
        let mut cache = self.cache.lock().await;
        let recent = cache
            .last_key_refresh
            .is_some_and(|at| at.elapsed() < JWKS_REFRESH_INTERVAL);
        let Some(current) = cache.discovered.clone() else {
            return Ok(None);
        };
        if recent {
            return Ok(None);
        }
        cache.last_key_refresh = Some(Instant::now());
        let keys: CoreJsonWebKeySet = JsonWebKeySet::fetch_async(current.metadata.jwks_uri(), http)
            .await
            .map_err(|e| self.unavailable(format!("keys: {}", error_chain(&e))))?;
        let metadata = current.metadata.clone().set_jwks(keys);
        let discovered = Arc::new(Discovered { metadata });
        cache.discovered = Some(discovered.clone());
        Ok(Some(discovered))
    }

    fn unavailable(&self, why: String) -> OidcError {
        rocket::warn!("OpenID provider {:?} unavailable: {why}", self.config.name);
        OidcError::ProviderUnavailable(self.config.display_name.clone())
    }
}

/// An error and its sources on one line, for the log.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Every configured provider, in name order (managed state).
pub struct Providers {
    pub http: ProviderHttp,
    list: Vec<Provider>,
}

impl Providers {
    pub fn new(configs: Vec<OidcProviderConfig>, http: ProviderHttp) -> Providers {
        let list = configs
            .into_iter()
            .map(|config| Provider {
                config,
                cache: Mutex::new(Cache::default()),
            })
            .collect();
        Providers { http, list }
    }

    pub fn get(&self, name: &str) -> Option<&Provider> {
        self.list.iter().find(|p| p.name() == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Provider> {
        self.list.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
