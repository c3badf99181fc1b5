//! The passkey keys (`webauthn_rp_id`, `webauthn_rp_name`, with `public_url` as the origin and
//! `allowed_origins` as further origins), validated at ignition into the relying party that
//! `passkeys/` signs ceremonies with.

use webauthn_rs::prelude::{Url, Webauthn, WebauthnBuilder};

use crate::config::AuthConfig;

/// How long a passkey challenge may be answered: five minutes (also the browser's timeout).
pub const CEREMONY_TTL: i64 = 5 * 60;

/// The passkeys part of the configuration, validated.
#[derive(Debug, Clone)]
pub struct PasskeyConfig {
    /// `webauthn_rp_id`, else the host of `public_url`.
    pub rp_id: String,
    /// `webauthn_rp_name`.
    pub rp_name: String,
    /// webauthn-rs's relying party: the id, the name, the origins (`public_url` first), and
    /// ceremonies that time out with their challenge (5 minutes). `None` when `public_url` is an
    /// IP address and no `webauthn_rp_id` is set: browsers refuse an IP as relying-party id, so
    /// passkeys are off (the pages hide them, the API answers `403 forbidden`).
    pub relying_party: Option<Webauthn>,
}

/// Why passkeys are off, for the `403` of their routes.
pub const PASSKEYS_OFF: &str =
    "Passkeys need this site under a domain name (public_url), not an IP address.";

impl PasskeyConfig {
    pub fn enabled(&self) -> bool {
        self.relying_party.is_some()
    }
}

impl PasskeyConfig {
    /// `public_url` is the mail slice's, already trimmed and checked to be http(s).
    pub fn from_config(
        raw: &AuthConfig,
        public_url: &str,
        allowed_origins: &[String],
    ) -> Result<PasskeyConfig, String> {
        let origin = Url::parse(public_url)
            .map_err(|e| format!("public_url {public_url:?} is not a URL for passkeys: {e}"))?;
        let host = origin.host_str().unwrap_or_default().to_owned();
        let rp_name = raw.webauthn_rp_name.trim().to_owned();
        if rp_name.is_empty() {
            return Err("webauthn_rp_name must not be empty".into());
        }
        let rp_id = match raw.webauthn_rp_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => id.to_ascii_lowercase(),
            _ if origin.domain().is_none() => {
                return Ok(PasskeyConfig {
                    rp_id: String::new(),
                    rp_name,
                    relying_party: None,
                });
            }
            _ => host.clone(),
        };
        // The browser only accepts an id that is the page's host or a parent domain of it.
        if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
            return Err(format!(
                "webauthn_rp_id {rp_id:?} must be the host of public_url ({host:?}) or a parent \
                 domain of it"
            ));
        }
        let timeout = std::time::Duration::from_secs(CEREMONY_TTL.unsigned_abs());
        let mut builder = WebauthnBuilder::new(&rp_id, &origin)
            .map_err(|e| format!("webauthn_rp_id {rp_id:?} with public_url {public_url:?}: {e}"))?
            .rp_name(&rp_name)
            .timeout(timeout);
        let extra = allowed_origins
            .iter()
            .map(|o| Url::parse(o).map_err(|e| format!("allowed_origins: {o:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        for other in &extra {
            builder = builder.append_allowed_origin(other);
        }
        let relying_party = builder
            .build()
            .map_err(|e| format!("passkeys: the relying party is not usable: {e}"))?;
        Ok(PasskeyConfig {
            rp_id,
            rp_name,
            relying_party: Some(relying_party),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rp_id: Option<&str>) -> AuthConfig {
        AuthConfig {
            webauthn_rp_id: rp_id.map(str::to_owned),
            ..AuthConfig::default()
        }
    }

    #[test]
    fn the_relying_party_id_defaults_to_the_host_and_may_be_a_parent_domain() {
        let url = "https://app.example.com";
        let default = PasskeyConfig::from_config(&config(None), url, &[]).unwrap();
        assert_eq!(default.rp_id, "app.example.com");
        let parent = PasskeyConfig::from_config(&config(Some("Example.com")), url, &[]).unwrap();
        assert_eq!(parent.rp_id, "example.com");
        for wrong in ["other.com", "ample.com", "sub.app.example.com"] {
            let refused = PasskeyConfig::from_config(&config(Some(wrong)), url, &[]);
            assert!(refused.is_err(), "{wrong} accepted");
        }
    }

    #[test]
    fn an_ip_address_turns_passkeys_off_unless_an_id_is_set_which_then_must_fit() {
        let ip = "http://127.0.0.1:8000";
        let off = PasskeyConfig::from_config(&config(None), ip, &[]).unwrap();
        assert!(!off.enabled());
        assert!(PasskeyConfig::from_config(&config(Some("example.com")), ip, &[]).is_err());
        let local = PasskeyConfig::from_config(&config(None), "http://localhost:8000", &[]);
        assert!(local.unwrap().enabled());
    }
}
