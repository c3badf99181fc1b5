//! The token and session keys: lifetimes (`access_token_ttl`, `refresh_token_ttl`,
//! `session_max_lifetime`, `refresh_reuse_grace`) and the tokens' `iss` and `aud`, checked
//! against their bounds at ignition. `auth::tokens` mints and verifies with them.

use serde::Deserialize;

use crate::config::MAX_SESSION_SECONDS;

/// An access token is checked without the database: a day is already long to outlive a revocation.
pub const MAX_ACCESS_TOKEN_TTL: i64 = 24 * 60 * 60;
/// The grace answer is for two tabs refreshing at once, not for a replay a minute later.
pub const MAX_REUSE_GRACE: i64 = 60;

/// Named as the configuration keys, read with the others (`AuthConfig` flattens it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TokenConfig {
    /// Access-token lifetime in seconds.
    pub access_token_ttl: i64,
    /// Refresh-token (and session) lifetime in seconds; each rotation slides it.
    pub refresh_token_ttl: i64,
    /// Seconds during which the previous refresh token of a session is still answered (two tabs),
    /// to the session's own device only. At most `MAX_REUSE_GRACE`.
    pub refresh_reuse_grace: i64,
    /// Absolute session lifetime in seconds, counted from sign-in: no refresh extends a session
    /// beyond it, however active. Then the user signs in again.
    pub session_max_lifetime: i64,
    /// `iss` of every token, checked on every verification.
    pub jwt_issuer: String,
    /// `aud` of every token, checked on every verification.
    pub jwt_audience: String,
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            access_token_ttl: 5 * 60,
            refresh_token_ttl: 14 * 24 * 60 * 60,
            refresh_reuse_grace: 10,
            session_max_lifetime: 30 * 24 * 60 * 60,
            jwt_issuer: "rocket-auth-template".into(),
            jwt_audience: "rocket-auth-template".into(),
        }
    }
}

impl TokenConfig {
    /// Each value within its bounds: `Err` is one line saying which is not.
    pub fn check(&self) -> Result<(), String> {
        let bounds = [
            (
                "access_token_ttl",
                self.access_token_ttl,
                1,
                MAX_ACCESS_TOKEN_TTL,
            ),
            (
                "refresh_token_ttl",
                self.refresh_token_ttl,
                60,
                MAX_SESSION_SECONDS,
            ),
            (
                "session_max_lifetime",
                self.session_max_lifetime,
                60,
                MAX_SESSION_SECONDS,
            ),
            (
                "refresh_reuse_grace",
                self.refresh_reuse_grace,
                0,
                MAX_REUSE_GRACE,
            ),
        ];
        for (name, value, min, max) in bounds {
            if !(min..=max).contains(&value) {
                return Err(format!(
                    "{name} is {value}; it must be {min} to {max} seconds"
                ));
            }
        }
        for (name, value) in [
            ("jwt_issuer", &self.jwt_issuer),
            ("jwt_audience", &self.jwt_audience),
        ] {
            if value.trim().is_empty() {
                return Err(format!("{name} must not be empty"));
            }
        }
        Ok(())
    }
}
