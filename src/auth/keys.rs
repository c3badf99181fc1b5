//! The key set: the one key that signs, and the verify-only keys of earlier rotations, each named
//! by a `kid` derived from the key and bound to exactly one algorithm (RFC 8725 §3.1).
//!
//! Rotation without logging everyone out: move the old secret to `jwt_previous_secrets` (or the
//! old public key to `jwt_previous_public_keys`) and set a new one; tokens signed with the old key
//! verify until they expire, every new token is signed with the new one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::config::{AuthConfig, MIN_SECRET_BYTES};

/// DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Raw key material, validated at ignition.
#[derive(Clone)]
pub enum KeyMaterial {
    Hmac(Vec<u8>),
    /// The PKCS#8 private key (absent for a verify-only key) and the raw public key.
    Ed25519 {
        pkcs8: Option<Vec<u8>>,
        public: [u8; 32],
    },
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyMaterial::Hmac(_) => f.write_str("Hmac(..)"),
            KeyMaterial::Ed25519 { .. } => f.write_str("Ed25519(..)"),
        }
    }
}

/// One key and the only algorithm it is used with.
#[derive(Debug, Clone)]
pub struct KeySpec {
    pub algorithm: Algorithm,
    pub material: KeyMaterial,
}

impl KeySpec {
    /// HMAC keys: a domain-separated hash prefix (never the secret itself; a JWT already lets
    /// anyone test guesses of it offline, the kid adds nothing). Ed25519: the RFC 7638 thumbprint.
    pub fn kid(&self) -> String {
        match &self.material {
            KeyMaterial::Hmac(secret) => {
                let mut hash = Sha256::new();
                hash.update(b"rocket-auth-template kid v1\0");
                hash.update(format!("{:?}\0", self.algorithm).as_bytes());
                hash.update(secret);
                hash.finalize()[..8]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            }
            KeyMaterial::Ed25519 { public, .. } => {
                let x = URL_SAFE_NO_PAD.encode(public);
                let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
                URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
            }
        }
    }
}

/// The signing key and the verify-only ones, as configured.
#[derive(Debug, Clone)]
pub struct KeyConfig {
    pub current: KeySpec,
    pub previous: Vec<KeySpec>,
}

impl KeyConfig {
    /// `debug` decides whether a missing key may be generated for this run.
    pub fn from_config(raw: &AuthConfig, debug: bool) -> Result<KeyConfig, String> {
        let algorithm = match raw.jwt_algorithm.as_str() {
            "HS256" => Algorithm::HS256,
            "HS384" => Algorithm::HS384,
            "HS512" => Algorithm::HS512,
            "EdDSA" => Algorithm::EdDSA,
            other => {
                return Err(format!(
                    "jwt_algorithm {other:?} is not one of HS256, HS384, HS512, EdDSA"
                ))
            }
        };
        let current = match algorithm {
            Algorithm::EdDSA => current_ed25519(raw.jwt_private_key.as_deref(), debug)?,
            _ => KeyMaterial::Hmac(current_secret(raw.jwt_secret.as_deref(), debug)?),
        };
        // Old HMAC secrets keep the current HMAC algorithm; after a move to EdDSA, the default.
        let hmac_algorithm = match algorithm {
            Algorithm::EdDSA => Algorithm::HS256,
            other => other,
        };
        let mut previous = Vec::new();
        for (i, secret) in raw.jwt_previous_secrets.iter().enumerate() {
            if secret.len() < MIN_SECRET_BYTES {
                return Err(format!(
                    "jwt_previous_secrets[{i}] is {} bytes; at least {MIN_SECRET_BYTES} are required",
                    secret.len()
                ));
            }
            previous.push(KeySpec {
                algorithm: hmac_algorithm,
                material: KeyMaterial::Hmac(secret.clone().into_bytes()),
            });
        }
        for (i, pem) in raw.jwt_previous_public_keys.iter().enumerate() {
            let public = parse_public_pem(pem)
                .map_err(|why| format!("jwt_previous_public_keys[{i}]: {why}"))?;
            previous.push(KeySpec {
                algorithm: Algorithm::EdDSA,
                material: KeyMaterial::Ed25519 {
                    pkcs8: None,
                    public,
                },
            });
        }
        Ok(KeyConfig {
            current: KeySpec {
                algorithm,
                material: current,
            },
            previous,
        })
    }
}

/// `debug` only: fills a missing `jwt_secret` (or EdDSA `jwt_private_key`) from `dev_keys_file`,
/// making the file with fresh random keys on first use, so restarting `cargo run` (or
/// `cargo watch`) keeps everyone signed in. Release never reads it and refuses to start without
/// real keys. When the file cannot be used the key is generated for this run only, with a warning.
pub fn use_dev_keys_file(raw: &mut AuthConfig) {
    if raw.dev_keys_file.is_empty() {
        return;
    }
    let eddsa = raw.jwt_algorithm == "EdDSA";
    let missing = if eddsa {
        raw.jwt_private_key
            .as_deref()
            .is_none_or(|k| k.trim().is_empty())
    } else {
        raw.jwt_secret.as_deref().is_none_or(str::is_empty)
    };
    if !missing {
        return;
    }
    let path = std::path::Path::new(&raw.dev_keys_file);
    match read_or_make_dev_keys(path) {
        Ok(keys) if eddsa => raw.jwt_private_key = Some(keys.ed25519_pem),
        Ok(keys) => raw.jwt_secret = Some(keys.secret),
        Err(e) => rocket::warn!("dev_keys_file {}: {e}", path.display()),
    }
}

struct DevKeys {
    secret: String,
    ed25519_pem: String,
}

fn read_or_make_dev_keys(path: &std::path::Path) -> std::io::Result<DevKeys> {
    use std::io::{Error, ErrorKind, Write};
    let parse = |text: &str| {
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(" = "))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        match (value("jwt_secret"), value("jwt_private_key_der")) {
            (Some(secret), Some(der)) => Some(DevKeys {
                secret: secret.to_owned(),
                ed25519_pem: pem::encode(&pem::Pem::new(
                    "PRIVATE KEY",
                    URL_SAFE_NO_PAD.decode(der).ok()?,
                )),
            }),
            _ => None,
        }
    };
    let invalid = || Error::new(ErrorKind::InvalidData, "not a dev keys file; delete it");
    match std::fs::read_to_string(path) {
        Ok(text) => return parse(&text).ok_or_else(invalid),
        Err(e) if e.kind() != ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    let mut secret = [0u8; 48];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
    let der = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| Error::other("cannot generate an Ed25519 key"))?;
    let text = format!(
        "# Signing keys for the debug profile (`cargo run`), made by the app: never commit them,\n\
         # never use them in production. Delete this file to sign everyone out.\n\
         jwt_secret = {}\njwt_private_key_der = {}\n",
        URL_SAFE_NO_PAD.encode(secret),
        URL_SAFE_NO_PAD.encode(der.as_ref())
    );
    // Written whole under a temporary name, then linked into place: a second process starting at
    // the same moment either wins the link or reads a complete file, never half of one.
    let draft = path.with_extension(format!("draft-{}", crate::clock::new_id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&draft)?.write_all(text.as_bytes())?;
    let linked = std::fs::hard_link(&draft, path);
    let _ = std::fs::remove_file(&draft);
    match linked {
        Ok(()) => rocket::info!("made {} with signing keys for debug runs", path.display()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path)?;
            return parse(&text).ok_or_else(invalid);
        }
        Err(e) => return Err(e),
    }
    parse(&text).ok_or_else(invalid)
}

fn current_secret(configured: Option<&str>, debug: bool) -> Result<Vec<u8>, String> {
    match configured.filter(|s| !s.is_empty()) {
        Some(s) if s.len() >= MIN_SECRET_BYTES => Ok(s.as_bytes().to_vec()),
        Some(s) => Err(format!(
            "jwt_secret is {} bytes; at least {MIN_SECRET_BYTES} are required",
            s.len()
        )),
        None if debug => {
            use rand::RngCore;
            let mut key = vec![0u8; 64];
            rand::rngs::OsRng.fill_bytes(&mut key);
            rocket::warn!(
                "no jwt_secret configured: generated a random one for this run; \
                 every token dies at restart. Set ROCKET_JWT_SECRET to keep them."
            );
            Ok(key)
        }
        None => Err(format!(
            "jwt_secret is not set: set ROCKET_JWT_SECRET to a random string of at least \
             {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -base64 48`)"
        )),
    }
}

fn current_ed25519(configured: Option<&str>, debug: bool) -> Result<KeyMaterial, String> {
    let pkcs8 = match configured.filter(|s| !s.trim().is_empty()) {
        Some(pem) => {
            let parsed = pem::parse(pem.trim()).map_err(|e| format!("jwt_private_key: {e}"))?;
            if parsed.tag() != "PRIVATE KEY" {
                return Err("jwt_private_key must be a PKCS#8 `PRIVATE KEY` PEM".into());
            }
            parsed.into_contents()
        }
        None if debug => {
            rocket::warn!(
                "no jwt_private_key configured: generated an Ed25519 key for this run; \
                 every token dies at restart. Set ROCKET_JWT_PRIVATE_KEY to keep them."
            );
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                .map_err(|_| "cannot generate an Ed25519 key".to_string())?
                .as_ref()
                .to_vec()
        }
        None => {
            return Err(
                "jwt_algorithm is EdDSA but jwt_private_key is not set: set \
                        ROCKET_JWT_PRIVATE_KEY to an Ed25519 PKCS#8 PEM \
                        (`openssl genpkey -algorithm ed25519`)"
                    .into(),
            )
        }
    };
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8)
        .map_err(|e| format!("jwt_private_key is not an Ed25519 PKCS#8 key: {e}"))?;
    let public: [u8; 32] = pair
        .public_key()
        .as_ref()
        .try_into()
        .map_err(|_| "jwt_private_key: unexpected public key length".to_string())?;
    Ok(KeyMaterial::Ed25519 {
        pkcs8: Some(pkcs8),
        public,
    })
}

fn parse_public_pem(pem: &str) -> Result<[u8; 32], String> {
    let parsed = pem::parse(pem.trim()).map_err(|e| e.to_string())?;
    let der = parsed.contents();
    match der.strip_prefix(&ED25519_SPKI_PREFIX[..]) {
        Some(raw) if parsed.tag() == "PUBLIC KEY" => raw
            .try_into()
            .map_err(|_| "not an Ed25519 public key".to_string()),
        _ => Err("not an Ed25519 `PUBLIC KEY` PEM".into()),
    }
}

/// A key that verifies tokens carrying its `kid`, with its algorithm pinned.
pub struct VerifyingKey {
    pub kid: String,
    pub algorithm: Algorithm,
    pub decoding: DecodingKey,
    /// Ed25519 public keys, published at `/.well-known/jwks.json`; never an HMAC secret.
    jwk: Option<Value>,
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
                    Some(json!({
                        "kty": "OKP",
                        "crv": "Ed25519",
                        "x": URL_SAFE_NO_PAD.encode(public),
                        "kid": kid,
                        "alg": "EdDSA",
                        "use": "sig",
                    })),
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

    /// The header of every token we sign: the current algorithm and its `kid`.
    pub fn header(&self) -> Header {
        let mut header = Header::new(self.signing_algorithm);
        header.kid = Some(self.signing_kid.clone());
        header
    }

    pub fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }

    pub fn signing_kid(&self) -> &str {
        &self.signing_kid
    }

    pub fn find(&self, kid: &str) -> Option<&VerifyingKey> {
        self.verifying.iter().find(|k| k.kid == kid)
    }

    /// The public keys as a JWK Set (RFC 7517): empty with HMAC, whose keys are secret.
    pub fn jwks(&self) -> Value {
        let keys: Vec<&Value> = self
            .verifying
            .iter()
            .filter_map(|k| k.jwk.as_ref())
            .collect();
        json!({ "keys": keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let jwks = KeySet::new(&keys).jwks();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
        assert_eq!(jwks["keys"][0]["kid"], keys.current.kid());
        assert!(jwks["keys"][0].get("d").is_none());
        let hmac = KeyConfig::from_config(&config("HS256"), false).unwrap();
        assert_eq!(KeySet::new(&hmac).jwks(), json!({ "keys": [] }));
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
