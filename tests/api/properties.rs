//! Property tests (proptest) on the paths that parse attacker-controlled text: token verification,
//! user agents, rate-limit quotas. Each runs with no server: no panic, and nothing forged passes.
//! More cases: `PROPTEST_CASES=100000 cargo test --test api properties::`.

use jsonwebtoken::Algorithm;
use proptest::prelude::*;
use rocket_auth_template::auth::app_claims::AppClaims;
use rocket_auth_template::auth::device::{Device, MAX_USER_AGENT_BYTES};
use rocket_auth_template::auth::tokens::{TokenKind, Tokens};
use rocket_auth_template::auth::users::Role;
use rocket_auth_template::clock::now;
use rocket_auth_template::config::limits::Rate;
use rocket_auth_template::config::{AuthConfig, Settings};

use crate::common::{b64, header_with_kid, payload, resign, SECRET};

fn codec() -> Tokens {
    let raw = AuthConfig {
        jwt_secret: Some(SECRET.into()),
        ..Default::default()
    };
    Tokens::new(
        &Settings::from_config(raw, true).expect("valid settings"),
        Default::default(),
    )
}

fn genuine_pair(keys: &Tokens) -> (String, String) {
    let (sid, jti) = ("s".repeat(32), "j".repeat(32));
    let refresh = keys.refresh_claims(7, &sid, &jti, now() + 600, AppClaims::default());
    let access = keys.mint_access(&refresh, Role::User, now()).expect("mint");
    let refresh = keys.sign(TokenKind::Refresh, &refresh).expect("sign");
    (access, refresh)
}

/// A base64url alphabet character other than `c`.
fn other_char(c: u8, pick: u8) -> u8 {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let candidate = ALPHABET[usize::from(pick) % ALPHABET.len()];
    if candidate == c {
        ALPHABET[(usize::from(pick) + 1) % ALPHABET.len()]
    } else {
        candidate
    }
}

proptest! {
    #[test]
    fn arbitrary_text_is_never_a_token(token in any::<String>()) {
        let keys = codec();
        prop_assert!(keys.verify_access(&token).is_err());
        prop_assert!(keys.verify_refresh(&token).is_err());
    }

    #[test]
    fn jwt_shaped_garbage_is_never_a_token(
        header in prop::collection::vec(any::<u8>(), 0..200),
        body in prop::collection::vec(any::<u8>(), 0..400),
        signature in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        let keys = codec();
        let token = format!("{}.{}.{}", b64(&header), b64(&body), b64(&signature));
        prop_assert!(keys.verify_access(&token).is_err());
        prop_assert!(keys.verify_refresh(&token).is_err());
    }

    /// Any header, including `alg: none` or another algorithm under our own `kid`, with any
    /// claims and no valid signature, is refused.
    #[test]
    fn any_header_without_our_signature_is_refused(
        alg in prop::sample::select(vec!["none", "HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA", "", "hs256"]),
        use_our_kid in any::<bool>(),
        role in "[a-z]{0,8}",
        signature in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let keys = codec();
        let kid = if use_our_kid { keys.keys.signing_kid().to_owned() } else { "k".into() };
        let header = serde_json::json!({ "alg": alg, "typ": "at+jwt", "kid": kid });
        let claims = serde_json::json!({
            "sub": "1", "sid": "s", "jti": "j", "iat": now(), "exp": now() + 60,
            "typ": "access", "role": role, "iss": keys.issuer, "aud": keys.audience,
        });
        let token = format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes()),
            b64(&signature)
        );
        prop_assert!(keys.verify_access(&token).is_err());
    }

    /// One character changed anywhere in a genuine token (header, claims or signature) and it
    /// no longer verifies.
    #[test]
    fn a_genuine_token_with_one_character_changed_is_refused(
        position in any::<prop::sample::Index>(),
        pick in any::<u8>(),
    ) {
        let keys = codec();
        let (access, refresh) = genuine_pair(&keys);
        for (token, is_access) in [(access, true), (refresh, false)] {
            let mut bytes = token.clone().into_bytes();
            let i = position.index(bytes.len());
            if bytes[i] == b'.' {
                continue;
            }
            bytes[i] = other_char(bytes[i], pick);
            let changed = String::from_utf8(bytes).expect("ascii");
            let verified = if is_access {
                keys.verify_access(&changed).is_ok()
            } else {
                keys.verify_refresh(&changed).is_ok()
            };
            prop_assert!(!verified, "{changed}");
        }
    }

    #[test]
    fn a_token_signed_with_another_algorithm_of_our_key_is_refused(
        alg in prop::sample::select(vec![Algorithm::HS384, Algorithm::HS512]),
    ) {
        let keys = codec();
        let (access, _) = genuine_pair(&keys);
        let claims = payload(&access);
        let kid = keys.keys.signing_kid().to_owned();
        let token = resign(&claims, header_with_kid(alg, Some(&kid)), SECRET.as_bytes());
        prop_assert!(keys.verify_access(&token).is_err());
    }

    #[test]
    fn any_user_agent_parses_within_bounds(agent in any::<String>()) {
        let device = Device::parse(&agent);
        prop_assert!(device.user_agent.len() <= MAX_USER_AGENT_BYTES);
        prop_assert!(agent.starts_with(&device.user_agent));
        prop_assert!(!device.device.is_empty() && !device.browser.is_empty());
    }

    #[test]
    fn user_agent_like_text_parses_within_bounds(
        agent in "(Mozilla/5\\.0 \\(|[A-Za-z]{1,10}/[0-9.]{1,8} |\\(|\\)|;| |[^\\x00]{0,4}){0,200}",
    ) {
        let device = Device::parse(&agent);
        prop_assert!(device.user_agent.len() <= MAX_USER_AGENT_BYTES);
        prop_assert!(agent.starts_with(&device.user_agent));
    }

    #[test]
    fn any_rate_text_parses_or_is_refused_without_panic(raw in any::<String>()) {
        if let Ok(Some(rate)) = Rate::parse(&raw) {
            prop_assert!(rate.count.get() <= 1_000_000);
            prop_assert!(rate.period.as_secs() >= 1);
        }
    }
}
