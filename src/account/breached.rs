//! Breached passwords (`pwned_passwords_url`, off unless set): every new password (sign-up,
//! change, reset) is looked up in the Pwned Passwords range API by k-anonymity. Only the first
//! five hex characters of its SHA-1 leave the process (`GET {url}/range/{prefix}`, with
//! `Add-Padding: true` so the answer's size says nothing either); the rest of the hash is
//! compared here with the suffixes that come back. A suffix seen at least
//! `pwned_passwords_min_count` times is refused (`422 weak_password`). The lookup has 2 s; when
//! it gets no answer the password passes, logged (or, with `pwned_passwords_fail_closed`, the
//! step answers `503`). Requests go through the app's own small HTTP client (`oidc::http`).

use std::time::Duration;

use ring::digest;

use crate::auth::users::NewPassword;
use crate::config::PwnedPasswords;
use crate::error::{ApiError, ApiResult};
use crate::oidc::http::{http, ProviderHttp};

/// How long a lookup may take before it counts as no answer.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// The reason given with `422 weak_password`.
pub const BREACHED: &str = "This password appears in a known data breach: choose a different one.";

/// The check (managed state), `None` inside when it is off.
pub struct BreachedPasswords {
    check: Option<(PwnedPasswords, ProviderHttp)>,
}

/// The upper-case hex SHA-1 of a password, split where k-anonymity splits it: the 5-character
/// prefix that is sent, and the 35-character suffix that never is.
pub fn split_sha1(password: &str) -> (String, String) {
    let hash: String = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, password.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let (prefix, suffix) = hash.split_at(5);
    (prefix.to_owned(), suffix.to_owned())
}

/// How often `suffix` appears in a range answer (`SUFFIX:COUNT` lines; padding lines have 0).
pub fn times_seen(answer: &str, suffix: &str) -> u64 {
    answer
        .lines()
        .filter_map(|line| line.trim().split_once(':'))
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(suffix))
        .and_then(|(_, count)| count.trim().parse().ok())
        .unwrap_or(0)
}

impl BreachedPasswords {
    pub fn new(config: Option<PwnedPasswords>) -> BreachedPasswords {
        BreachedPasswords {
            check: config.map(|config| (config, ProviderHttp::new(TIMEOUT))),
        }
    }

    /// `Ok` for a password not known from breaches (or when the check is off).
    pub async fn check(&self, password: &NewPassword) -> ApiResult<()> {
        let Some((config, client)) = &self.check else {
            return Ok(());
        };
        let (prefix, suffix) = split_sha1(password.expose());
        let request = http::Request::builder()
            .method(http::Method::GET)
            .uri(format!("{}/range/{prefix}", config.url))
            .header("Add-Padding", "true")
            .header(http::header::USER_AGENT, "rocket-auth-template")
            .body(Vec::new());
        let request = request.map_err(|e| {
            rocket::error!("pwned passwords: cannot build the request: {e}");
            ApiError::Internal
        })?;
        let why = match client.send(request).await {
            Ok(answer) if answer.status() == http::StatusCode::OK => {
                let body = String::from_utf8_lossy(answer.body());
                if times_seen(&body, &suffix) >= config.min_count {
                    return Err(ApiError::WeakPassword(BREACHED.into()));
                }
                return Ok(());
            }
            Ok(answer) => format!("answered {}", answer.status()),
            Err(e) => e.to_string(),
        };
        if config.fail_closed {
            rocket::warn!("pwned passwords: no usable answer ({why}): the password is refused");
            Err(ApiError::Unavailable)
        } else {
            rocket::warn!("pwned passwords: no usable answer ({why}): the password is let through");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_splits_at_five_and_padding_lines_count_zero() {
        // SHA-1("password") = 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8
        let (prefix, suffix) = split_sha1("password");
        assert_eq!(prefix, "5BAA6");
        assert_eq!(suffix, "1E4C9B93F3F0682250B6CF8331B7EE68FD8");
        let answer = "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n\
                      1E4C9B93F3F0682250B6CF8331B7EE68FD8:9659365\r\n\
                      1E4C9B93F3F0682250B6CF8331B7EE68FD9:0\r\n";
        assert_eq!(times_seen(answer, &suffix), 9659365);
        assert_eq!(times_seen(answer, "1E4C9B93F3F0682250B6CF8331B7EE68FD9"), 0);
        assert_eq!(times_seen("garbage\n:\n", &suffix), 0);
    }
}
