//! Sealing with the data key (`data_key`, `previous_data_keys`): AES-256-GCM, each sealed value
//! naming the key that sealed it (`dk1:<key id>:<base64 nonce‖ciphertext‖tag>`), bound by its
//! associated data to what it belongs to. Independent of the signing keys; the current key
//! seals, earlier ones only open.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::Rng;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use sha2::{Digest, Sha256};

use crate::config::data_keys::DataKeyConfig;
use crate::error::{ApiError, ApiResult};

/// The prefix of a value sealed under a data key.
pub const SEALED_PREFIX: &str = "dk1:";

struct DataKey {
    id: String,
    key: LessSafeKey,
}

/// The data keys in use (managed state): the current one first.
pub struct DataKeys {
    keys: Vec<DataKey>,
}

/// What `open` found.
pub struct Opened {
    pub plain: Vec<u8>,
    /// Sealed under an earlier key: seal it again under the current one.
    pub stale: bool,
}

/// A short public name for a key (which key sealed a value): a domain-separated hash prefix.
pub fn key_id(key: &[u8; 32]) -> String {
    let mut hash = Sha256::new();
    hash.update(b"rocket-auth-template data key id v1\0");
    hash.update(key);
    hash.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// AES-256-GCM under a 32-byte key.
pub fn aead_key(key: &[u8; 32]) -> LessSafeKey {
    let unbound =
        UnboundKey::new(&AES_256_GCM, key).expect("AES-256-GCM takes exactly 32 bytes of key");
    LessSafeKey::new(unbound)
}

/// `nonce ‖ ciphertext ‖ tag`, with a fresh random nonce.
pub fn seal_with(key: &LessSafeKey, aad: &[u8], plain: &[u8]) -> ApiResult<Vec<u8>> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::thread_rng().fill(&mut nonce);
    let mut sealed = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut sealed,
    )
    .map_err(|_| ApiError::Internal)?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(out)
}

/// The plain bytes of `nonce ‖ ciphertext ‖ tag`; `None` when `key` did not seal it (for `aad`).
pub fn open_with(key: &LessSafeKey, aad: &[u8], raw: &[u8]) -> Option<Vec<u8>> {
    if raw.len() <= NONCE_LEN {
        return None;
    }
    let (nonce, sealed) = raw.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buffer = sealed.to_vec();
    key.open_in_place(nonce, Aad::from(aad), &mut buffer)
        .ok()
        .map(|plain| plain.to_vec())
}

impl DataKeys {
    pub fn new(config: &DataKeyConfig) -> DataKeys {
        let keys = std::iter::once(&config.current)
            .chain(&config.previous)
            .map(|key| DataKey {
                id: key_id(key),
                key: aead_key(key),
            })
            .collect();
        DataKeys { keys }
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// `plain` sealed under the current key, bound to `aad`.
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> ApiResult<String> {
        let current = &self.keys[0];
        let raw = seal_with(&current.key, aad, plain)?;
        Ok(format!(
            "{SEALED_PREFIX}{}:{}",
            current.id,
            STANDARD.encode(raw)
        ))
    }

    /// Whether `stored` is sealed under the current key already (no need to open it).
    pub fn is_current(&self, stored: &str) -> bool {
        stored
            .strip_prefix(SEALED_PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(id, _)| id == self.keys[0].id)
    }

    /// Opens a value sealed by `seal` under any configured key; `None` when none of them sealed
    /// it for this `aad` (a key no longer configured, another row's value, or not ours at all).
    pub fn open(&self, aad: &[u8], stored: &str) -> Option<Opened> {
        let (id, body) = stored.strip_prefix(SEALED_PREFIX)?.split_once(':')?;
        let raw = STANDARD.decode(body).ok()?;
        self.keys.iter().enumerate().find_map(|(i, key)| {
            if key.id != id {
                return None;
            }
            open_with(&key.key, aad, &raw).map(|plain| Opened {
                plain,
                stale: i > 0,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_name_their_key_and_open_under_it_alone() {
        let config = |current: u8, previous: &[u8]| DataKeyConfig {
            current: [current; 32],
            previous: previous.iter().map(|b| [*b; 32]).collect(),
        };
        let old = DataKeys::new(&config(1, &[]));
        let sealed = old.seal(b"row 7", b"secret").unwrap();
        assert!(sealed.starts_with(SEALED_PREFIX) && !sealed.contains("secret"));
        assert!(old.is_current(&sealed));
        assert_eq!(old.open(b"row 7", &sealed).unwrap().plain, b"secret");
        assert!(old.open(b"row 8", &sealed).is_none(), "bound to its row");

        let rotated = DataKeys::new(&config(2, &[1]));
        assert!(!rotated.is_current(&sealed));
        let opened = rotated.open(b"row 7", &sealed).unwrap();
        assert!(opened.stale && opened.plain == b"secret");
        let dropped = DataKeys::new(&config(2, &[]));
        assert!(dropped.open(b"row 7", &sealed).is_none());
        for junk in ["", "dk1:", "dk1:x:y", "plain base64 AAAA", "dk1:abc:!!!"] {
            assert!(rotated.open(b"row 7", junk).is_none(), "{junk:?}");
        }
    }
}
