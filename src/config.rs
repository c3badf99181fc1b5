//! `AuthConfig`: every knob of the contract, read once from `Rocket.toml` / `ROCKET_…` at ignition.

use std::net::IpAddr;

use ipnet::IpNet;
use jsonwebtoken::Algorithm;
use rand::RngCore;
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use serde::Deserialize;

/// The shortest signing secret accepted outside the `debug` profile (RFC 7518 §3.2 for HS256).
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// HMAC signing secret. Never committed: set `ROCKET_JWT_SECRET`.
    pub jwt_secret: Option<String>,
    /// `HS256`, `HS384` or `HS512`.
    pub jwt_algorithm: String,
    /// Access-token lifetime in seconds.
    pub access_token_ttl: i64,
    /// Refresh-token (and session) lifetime in seconds; each rotation slides it.
    pub refresh_token_ttl: i64,
    /// Seconds during which the previous refresh token of a session is still answered (two tabs).
    pub refresh_reuse_grace: i64,
    /// Refresh token in an HttpOnly cookie (true) or in the JSON body (false).
    pub refresh_token_as_cookie: bool,
    /// `Secure` flag on cookies; turn off only for local plain HTTP.
    pub cookie_secure: bool,
    /// How many argon2 hashes may run at once; 0 means one per core.
    pub password_hash_concurrency: usize,
    /// Peers whose `X-Forwarded-For` is believed (IPs or CIDRs).
    pub trusted_proxies: Vec<String>,
    /// Whether `POST /api/auth/register` and `/register` accept new accounts.
    pub allow_registration: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            jwt_secret: None,
            jwt_algorithm: "HS256".into(),
            access_token_ttl: 5 * 60,
            refresh_token_ttl: 14 * 24 * 60 * 60,
            refresh_reuse_grace: 10,
            refresh_token_as_cookie: true,
            cookie_secure: true,
            password_hash_concurrency: 0,
            trusted_proxies: Vec::new(),
            allow_registration: true,
        }
    }
}

/// The validated configuration the rest of the app uses (managed state).
#[derive(Debug, Clone)]
pub struct Settings {
    pub secret: Vec<u8>,
    pub algorithm: Algorithm,
    pub access_ttl: i64,
    pub refresh_ttl: i64,
    pub reuse_grace: i64,
    pub refresh_as_cookie: bool,
    pub cookie_secure: bool,
    pub hash_concurrency: usize,
    pub trusted_proxies: Vec<IpNet>,
    pub allow_registration: bool,
}

impl Settings {
    /// Validates the raw config. `debug` decides whether a missing secret may be generated.
    pub fn from_config(raw: AuthConfig, debug: bool) -> Result<Settings, String> {
        let secret = match raw.jwt_secret.filter(|s| !s.is_empty()) {
            Some(s) if s.len() >= MIN_SECRET_BYTES => s.into_bytes(),
            Some(s) => {
                return Err(format!(
                    "jwt_secret is {} bytes; at least {MIN_SECRET_BYTES} are required",
                    s.len()
                ))
            }
            None if debug => {
                let mut key = vec![0u8; 64];
                rand::rngs::OsRng.fill_bytes(&mut key);
                rocket::warn!(
                    "no jwt_secret configured: generated a random one for this run; \
                     every token dies at restart. Set ROCKET_JWT_SECRET to keep them."
                );
                key
            }
            None => {
                return Err(format!(
                    "jwt_secret is not set: set ROCKET_JWT_SECRET to a random string of at least \
                     {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -base64 48`)"
                ))
            }
        };
        let algorithm = match raw.jwt_algorithm.as_str() {
            "HS256" => Algorithm::HS256,
            "HS384" => Algorithm::HS384,
            "HS512" => Algorithm::HS512,
            other => {
                return Err(format!(
                    "jwt_algorithm {other:?} is not one of HS256, HS384, HS512"
                ))
            }
        };
        for (name, value) in [
            ("access_token_ttl", raw.access_token_ttl),
            ("refresh_token_ttl", raw.refresh_token_ttl),
        ] {
            if value <= 0 {
                return Err(format!("{name} must be a positive number of seconds"));
            }
        }
        if raw.refresh_reuse_grace < 0 {
            return Err("refresh_reuse_grace must not be negative".into());
        }
        let trusted_proxies = raw
            .trusted_proxies
            .iter()
            .map(|p| {
                parse_net(p).ok_or_else(|| format!("trusted_proxies: {p:?} is not an IP or CIDR"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let hash_concurrency = match raw.password_hash_concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        Ok(Settings {
            secret,
            algorithm,
            access_ttl: raw.access_token_ttl,
            refresh_ttl: raw.refresh_token_ttl,
            reuse_grace: raw.refresh_reuse_grace,
            refresh_as_cookie: raw.refresh_token_as_cookie,
            cookie_secure: raw.cookie_secure,
            hash_concurrency,
            trusted_proxies,
            allow_registration: raw.allow_registration,
        })
    }

    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Reads and validates the config at ignition; a bad config stops the launch with a clear message.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Auth configuration", |rocket| async move {
        match load(rocket.figment()) {
            Ok(settings) => Ok(rocket.manage(settings)),
            Err(message) => {
                rocket::error!("invalid configuration: {message}");
                Err(rocket)
            }
        }
    })
}

pub fn load(figment: &Figment) -> Result<Settings, String> {
    let raw: AuthConfig = figment.extract().map_err(|e| e.to_string())?;
    Settings::from_config(raw, figment.profile() == "debug")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_short_secret_is_refused_outside_debug() {
        assert!(Settings::from_config(AuthConfig::default(), false).is_err());
        let short = AuthConfig {
            jwt_secret: Some("x".repeat(31)),
            ..Default::default()
        };
        assert!(Settings::from_config(short, false).is_err());
        let good = AuthConfig {
            jwt_secret: Some("x".repeat(32)),
            ..Default::default()
        };
        assert!(Settings::from_config(good, false).is_ok());
    }

    #[test]
    fn debug_generates_a_secret() {
        let a = Settings::from_config(AuthConfig::default(), true).unwrap();
        let b = Settings::from_config(AuthConfig::default(), true).unwrap();
        assert_eq!(a.secret.len(), 64);
        assert_ne!(a.secret, b.secret);
    }

    #[test]
    fn proxies_accept_ips_and_cidrs() {
        let raw = AuthConfig {
            trusted_proxies: vec!["10.0.0.0/8".into(), "::1".into()],
            ..Default::default()
        };
        let s = Settings::from_config(raw, true).unwrap();
        assert!(s.is_trusted_proxy("10.1.2.3".parse().unwrap()));
        assert!(s.is_trusted_proxy("::1".parse().unwrap()));
        assert!(!s.is_trusted_proxy("192.168.0.1".parse().unwrap()));
        let bad = AuthConfig {
            trusted_proxies: vec!["nope".into()],
            ..Default::default()
        };
        assert!(Settings::from_config(bad, true).is_err());
    }
}
