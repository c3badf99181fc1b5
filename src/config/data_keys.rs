//! The data key as configured (`data_key`, `previous_data_keys`): 32 random bytes in base64 that
//! seal what is kept secret at rest (two-factor secrets, the recovery-code key), never derived
//! from a signing key, so rotating or dropping a signing key changes nothing for them.
//! `auth::data_keys` seals and opens with it.

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;

use crate::config::AuthConfig;

pub const DATA_KEY_BYTES: usize = 32;

/// How to make a data key, said wherever one is missing or malformed.
pub const HOW_TO_MAKE_ONE: &str =
    "set ROCKET_DATA_KEY to 32 random bytes in base64 (`openssl rand -base64 32`)";

/// The key that seals, then the earlier ones that still open (until `rotate-data-key` ran).
#[derive(Clone)]
pub struct DataKeyConfig {
    pub current: [u8; DATA_KEY_BYTES],
    pub previous: Vec<[u8; DATA_KEY_BYTES]>,
}

impl std::fmt::Debug for DataKeyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKeyConfig(1 + {} previous)", self.previous.len())
    }
}

impl DataKeyConfig {
    /// `debug` decides whether a missing key may be generated for this run (with a warning:
    /// whatever it seals is unreadable after a restart; the dev-keys file avoids that).
    pub fn from_config(raw: &AuthConfig, debug: bool) -> Result<DataKeyConfig, String> {
        let current = match raw.data_key.as_deref().map(str::trim) {
            Some(key) if !key.is_empty() => parse_key(key).map_err(|e| format!("data_key {e}"))?,
            _ if debug => {
                rocket::warn!(
                    "no data_key configured: generated one for this run; two-factor secrets \
                     enrolled now are unreadable after a restart. To keep them, {HOW_TO_MAKE_ONE}."
                );
                let mut key = [0u8; DATA_KEY_BYTES];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
                key
            }
            _ => return Err(format!("data_key is not set: {HOW_TO_MAKE_ONE}")),
        };
        let previous = raw
            .previous_data_keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                parse_key(key.trim()).map_err(|e| format!("previous_data_keys[{i}] {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DataKeyConfig { current, previous })
    }
}

/// Base64 (standard or URL-safe, padded or not) of exactly 32 bytes.
pub fn parse_key(text: &str) -> Result<[u8; DATA_KEY_BYTES], String> {
    let bytes = [&STANDARD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .or_else(|| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(text)
                .ok()
        })
        .ok_or_else(|| format!("is not base64: {HOW_TO_MAKE_ONE}"))?;
    bytes.try_into().map_err(|bytes: Vec<u8>| {
        format!(
            "is {} bytes; it must be {DATA_KEY_BYTES}: {HOW_TO_MAKE_ONE}",
            bytes.len()
        )
    })
}

/// A fresh data key, as the dev-keys file keeps it.
pub fn new_key_text() -> String {
    let mut key = [0u8; DATA_KEY_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    STANDARD.encode(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_key_is_32_bytes_of_base64_and_release_requires_one() {
        let with = |key: Option<&str>| AuthConfig {
            data_key: key.map(str::to_owned),
            ..Default::default()
        };
        let good = new_key_text();
        assert!(DataKeyConfig::from_config(&with(Some(&good)), false).is_ok());
        let missing = DataKeyConfig::from_config(&with(None), false).unwrap_err();
        assert!(missing.contains("ROCKET_DATA_KEY"), "{missing}");
        for bad in ["short", "!!!!", &STANDARD.encode([1u8; 31])] {
            assert!(
                DataKeyConfig::from_config(&with(Some(bad)), false).is_err(),
                "{bad}"
            );
        }
        assert!(DataKeyConfig::from_config(&with(None), true).is_ok());
        let previous = AuthConfig {
            data_key: Some(good.clone()),
            previous_data_keys: vec!["nope".into()],
            ..Default::default()
        };
        let why = DataKeyConfig::from_config(&previous, false).unwrap_err();
        assert!(why.starts_with("previous_data_keys[0]"), "{why}");
    }
}
