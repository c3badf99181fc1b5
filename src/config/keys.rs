//! The signing keys as configured: the one key that signs and the verify-only keys of earlier
//! rotations (`jwt_*` keys), validated at ignition, and the `debug` dev-keys file that keeps a
//! generated key between runs. `auth::keys` builds the key set that signs and verifies from it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use sha2::{Digest, Sha256};

use crate::config::data_keys::new_key_text;
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

/// `debug` only: fills a missing `jwt_secret` (or EdDSA `jwt_private_key`) and `data_key` from
/// `dev_keys_file`, making the file with fresh random keys on first use, so restarting
/// `cargo run` (or `cargo watch`) keeps everyone signed in and every second factor readable.
/// Release never reads it and refuses to start without real keys. When the file cannot be used
/// the keys are generated for this run only, with a warning.
pub fn use_dev_keys_file(raw: &mut AuthConfig) {
    if raw.dev_keys_file.is_empty() {
        return;
    }
    let eddsa = raw.jwt_algorithm == "EdDSA";
    let missing_signing = if eddsa {
        raw.jwt_private_key
            .as_deref()
            .is_none_or(|k| k.trim().is_empty())
    } else {
        raw.jwt_secret.as_deref().is_none_or(str::is_empty)
    };
    let missing_data = raw.data_key.as_deref().is_none_or(|k| k.trim().is_empty());
    if !missing_signing && !missing_data {
        return;
    }
    let path = std::path::Path::new(&raw.dev_keys_file);
    match read_or_make_dev_keys(path) {
        Ok(keys) => {
            if missing_signing && eddsa {
                raw.jwt_private_key = Some(keys.ed25519_pem);
            } else if missing_signing {
                raw.jwt_secret = Some(keys.secret);
            }
            if missing_data {
                raw.data_key = Some(keys.data_key);
            }
        }
        Err(e) => rocket::warn!("dev_keys_file {}: {e}", path.display()),
    }
}

struct DevKeys {
    secret: String,
    ed25519_pem: String,
    data_key: String,
}

/// The keys of a dev-keys file; a file from before the data key gets one appended.
fn read_or_make_dev_keys(path: &std::path::Path) -> std::io::Result<DevKeys> {
    use std::io::{Error, ErrorKind, Write};
    let value = |text: &str, key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(" = "))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let parse = |text: &str| match (
        value(text, "jwt_secret"),
        value(text, "jwt_private_key_der"),
        value(text, "data_key"),
    ) {
        (Some(secret), Some(der), Some(data_key)) => Some(DevKeys {
            secret,
            ed25519_pem: pem::encode(&pem::Pem::new(
                "PRIVATE KEY",
                URL_SAFE_NO_PAD.decode(der).ok()?,
            )),
            data_key,
        }),
        _ => None,
    };
    let invalid = || Error::new(ErrorKind::InvalidData, "not a dev keys file; delete it");
    match std::fs::read_to_string(path) {
        Ok(text) if value(&text, "jwt_secret").is_some() && value(&text, "data_key").is_none() => {
            std::fs::OpenOptions::new()
                .append(true)
                .open(path)?
                .write_all(format!("data_key = {}\n", new_key_text()).as_bytes())?;
            // Two processes appending at once: both read the first line back.
            return parse(&std::fs::read_to_string(path)?).ok_or_else(invalid);
        }
        Ok(text) => return parse(&text).ok_or_else(invalid),
        Err(e) if e.kind() != ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    let mut secret = [0u8; 48];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
    let der = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| Error::other("cannot generate an Ed25519 key"))?;
    let text = format!(
        "# Signing and data keys for the debug profile (`cargo run`), made by the app: never\n\
         # commit them, never use them in production. Delete this file to sign everyone out\n\
         # (and make every second factor enrolled since unreadable).\n\
         jwt_secret = {}\njwt_private_key_der = {}\ndata_key = {}\n",
        URL_SAFE_NO_PAD.encode(secret),
        URL_SAFE_NO_PAD.encode(der.as_ref()),
        new_key_text(),
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
        Ok(()) => rocket::info!("made {} with keys for debug runs", path.display()),
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
