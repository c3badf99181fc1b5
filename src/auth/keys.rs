//! The key set: the one key that signs, and the verify-only keys of earlier rotations, each named
//! by a `kid` derived from the key and bound to exactly one algorithm (RFC 8725 §3.1).
//!
//! Rotation without logging everyone out: move the old secret to `jwt_previous_secrets` (or the
//! old public key to `jwt_previous_public_keys`) and set a new one; tokens signed with the old key
//! verify until they expire, every new token is signed with the new one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::keys::{KeyConfig, KeyMaterial};
#[cfg(test)]
use crate::config::AuthConfig;

/// Compares in time independent of where the inputs differ (MACs, codes). Differences are
/// OR-ed, never XOR-ed: two differences must not cancel.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A key that verifies tokens carrying its `kid`, with its algorithm pinned.
pub struct VerifyingKey {
    pub kid: String,
    pub algorithm: Algorithm,
    pub decoding: DecodingKey,
    /// Ed25519 public keys, published at `/.well-known/jwks.json`; never an HMAC secret.
    jwk: Option<Jwk>,
}

/// A public key as a JSON Web Key (RFC 8037: an Ed25519 key is `kty: OKP`, `crv: Ed25519`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"kty": "OKP", "crv": "Ed25519", "kid": "4f1c2a9b0d3e5f67", "alg": "EdDSA", "use": "sig",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}))]
pub struct Jwk {
    #[schema(example = "OKP")]
    pub kty: &'static str,
    #[schema(example = "Ed25519")]
    pub crv: &'static str,
    /// The public key, base64url without padding.
    pub x: String,
    pub kid: String,
    #[schema(example = "EdDSA")]
    pub alg: &'static str,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub use_: &'static str,
}

/// A JWK Set (RFC 7517): the keys that verify access tokens.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// The keys in use (inside `tokens::Tokens`, managed state).
pub struct KeySet {
    signing_kid: String,
    signing_algorithm: Algorithm,
    encoding: EncodingKey,
    verifying: Vec<VerifyingKey>,
    /// The secret material of the current key, then of earlier HMAC keys: what other secrets of
    /// the app (the CSRF token's MAC key) are derived from, so rotating one rotates them all.
    secrets: Vec<Vec<u8>>,
}

impl KeySet {
    pub fn new(config: &KeyConfig) -> KeySet {
        let encoding = match &config.current.material {
            KeyMaterial::Hmac(secret) => EncodingKey::from_secret(secret),
            KeyMaterial::Ed25519 { pkcs8, .. } => {
                EncodingKey::from_ed_der(pkcs8.as_deref().unwrap_or_default())
            }
        };
        let mut verifying: Vec<VerifyingKey> = Vec::new();
        for spec in std::iter::once(&config.current).chain(&config.previous) {
            let kid = spec.kid();
            if verifying.iter().any(|k| k.kid == kid) {
                continue;
            }
            let (decoding, jwk) = match &spec.material {
                KeyMaterial::Hmac(secret) => (DecodingKey::from_secret(secret), None),
                KeyMaterial::Ed25519 { public, .. } => (
                    DecodingKey::from_ed_der(public),
                    Some(Jwk {
                        kty: "OKP",
                        crv: "Ed25519",
                        x: URL_SAFE_NO_PAD.encode(public),
                        kid: kid.clone(),
                        alg: "EdDSA",
                        use_: "sig",
                    }),
                ),
            };
            verifying.push(VerifyingKey {
                kid,
                algorithm: spec.algorithm,
                decoding,
                jwk,
            });
        }
        let secrets = std::iter::once(&config.current)
            .chain(&config.previous)
            .filter_map(|spec| match &spec.material {
                KeyMaterial::Hmac(secret) => Some(secret.clone()),
                KeyMaterial::Ed25519 { pkcs8, .. } => pkcs8.clone(),
            })
            .collect();
        KeySet {
            signing_kid: config.current.kid(),
            signing_algorithm: config.current.algorithm,
            encoding,
            verifying,
            secrets,
        }
    }

    /// The algorithms of the verifying keys.
    pub fn algorithms(&self) -> impl Iterator<Item = Algorithm> + '_ {
        self.verifying.iter().map(|k| k.algorithm)
    }

    /// Keys for another purpose, derived from the signing secrets (the current one first, then
    /// those still accepted after a rotation): SHA-256 over a label and the secret.
    pub fn derive(&self, label: &str) -> Vec<[u8; 32]> {
        self.secrets
            .iter()
            .map(|secret| {
                let mut hash = Sha256::new();
                hash.update(b"rocket-auth-template derived key v1\0");
                hash.update(label.as_bytes());
                hash.update(b"\0");
                hash.update(secret);
                hash.finalize().into()
            })
            .collect()
    }

    /// The header of every token a key signs: its algorithm, its `kid` and the kind's `typ`.
    pub fn header_for(algorithm: Algorithm, kid: &str, typ: &str) -> Header {
        let mut header = Header::new(algorithm);
        header.kid = Some(kid.to_owned());
        header.typ = Some(typ.to_owned());
        header
    }

    pub fn signing_algorithm(&self) -> Algorithm {
        self.signing_algorithm
    }

    pub fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }

    pub fn signing_kid(&self) -> &str {
        &self.signing_kid
    }

    /// The current key, then the earlier ones still accepted.
    pub fn verifying(&self) -> &[VerifyingKey] {
        &self.verifying
    }

    pub fn find(&self, kid: &str) -> Option<&VerifyingKey> {
        self.verifying.iter().find(|k| k.kid == kid)
    }

    /// The public keys as a JWK Set (RFC 7517): empty with HMAC, whose keys are secret.
    pub fn jwks(&self) -> JwkSet {
        let keys = self
            .verifying
            .iter()
            .filter_map(|k| k.jwk.clone())
            .collect();
        JwkSet { keys }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_finds_every_difference_even_two_that_would_cancel() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        // 'a' ^ 'b' == 'b' ^ 'a': accumulated with XOR the two differences would cancel out.
        assert!(!constant_time_eq(b"ab", b"ba"));
        assert!(!constant_time_eq(b"0123", b"1032"));
    }

    fn config(algorithm: &str) -> AuthConfig {
        AuthConfig {
            jwt_algorithm: algorithm.into(),
            jwt_secret: Some("s".repeat(32)),
            ..Default::default()
        }
    }

    #[test]
    fn kids_differ_per_key_and_algorithm_and_hide_the_secret() {
        let a = KeyConfig::from_config(&config("HS256"), false).unwrap();
        let b = KeyConfig::from_config(&config("HS512"), false).unwrap();
        assert_ne!(a.current.kid(), b.current.kid());
        assert_eq!(a.current.kid().len(), 16);
        assert!(!a.current.kid().contains("ssss"));
    }

    #[test]
    fn eddsa_needs_a_key_outside_debug_and_publishes_only_public_keys() {
        assert!(KeyConfig::from_config(&config("EdDSA"), false).is_err());
        let keys = KeyConfig::from_config(&config("EdDSA"), true).unwrap();
        let jwks = serde_json::to_value(KeySet::new(&keys).jwks()).unwrap();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
        assert_eq!(jwks["keys"][0]["kid"], keys.current.kid());
        assert!(jwks["keys"][0].get("d").is_none());
        let hmac = KeyConfig::from_config(&config("HS256"), false).unwrap();
        assert_eq!(KeySet::new(&hmac).jwks(), JwkSet { keys: vec![] });
    }

    #[test]
    fn short_previous_secrets_and_bad_pems_are_refused() {
        let mut raw = config("HS256");
        raw.jwt_previous_secrets = vec!["short".into()];
        assert!(KeyConfig::from_config(&raw, true).is_err());
        let mut raw = config("HS256");
        raw.jwt_previous_public_keys =
            vec!["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----".into()];
        assert!(KeyConfig::from_config(&raw, true).is_err());
        let mut raw = config("EdDSA");
        raw.jwt_private_key = Some("not a pem".into());
        assert!(KeyConfig::from_config(&raw, true).is_err());
    }
}
