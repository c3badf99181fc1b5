//! The TOTP second factor's storage and arithmetic: the secret (sealed under the data key,
//! `keys.rs`), code checks (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step, each step
//! accepted once), and turning it on and off. Every query on `mfa_totp`; recovery codes are in
//! `recovery.rs`, sign-in tickets in `tickets.rs`.

use rand::Rng;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::auth::users;
use crate::db::{Engine, Pool};
use crate::error::{ApiError, ApiResult};
use crate::mfa::keys::{MfaKeys, RECOVERY_KEY};
use crate::mfa::recovery;

pub const DIGITS: usize = 6;
pub const STEP_SECONDS: u64 = 30;
/// Steps accepted either side of the current one (clock drift).
pub const SKEW_STEPS: u8 = 1;
pub const SECRET_BYTES: usize = 20;

pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::thread_rng().fill(&mut secret[..]);
    secret
}

/// The host of `public_url`, as the issuer authenticator apps show (no scheme, port or path: the
/// `otpauth` label forbids a colon in it).
pub fn issuer_of(public_url: &str) -> String {
    let rest = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest);
    let host = rest.split(['/', ':', '?', '#']).next().unwrap_or_default();
    // An IPv6 literal (`[::1]`) has colons of its own: no name to show.
    if host.is_empty() || host.starts_with('[') {
        "rocket-auth-template".to_owned()
    } else {
        host.to_owned()
    }
}

/// The TOTP of a secret, labelled for authenticator apps as `issuer:account`.
pub fn totp(secret: Vec<u8>, issuer: &str, account: &str) -> ApiResult<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        SKEW_STEPS,
        STEP_SECONDS,
        secret,
        Some(issuer.to_owned()),
        account.to_owned(),
    )
    .map_err(|e| {
        rocket::error!("cannot build a TOTP: {e}");
        ApiError::Internal
    })
}

/// The secret as people type it (RFC 4648 base32, no padding).
pub fn manual_key(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

/// The `otpauth://` URI as an inline SVG QR code (no XML prolog, so it can sit in a page).
pub fn qr_svg(uri: &str) -> ApiResult<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|_| ApiError::Internal)?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    Ok(svg
        .find("<svg")
        .map_or(svg.clone(), |start| svg[start..].to_owned()))
}

/// What was typed, as a code: six digits, or a recovery code (case, dashes and spaces ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    Totp(String),
    Recovery(String),
}

impl Code {
    pub fn parse(raw: &str) -> ApiResult<Code> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        if compact.len() == DIGITS && compact.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Code::Totp(compact));
        }
        if compact.len() == 10
            && compact
                .bytes()
                .all(|b| recovery::RECOVERY_ALPHABET.contains(&b))
        {
            return Ok(Code::Recovery(compact));
        }
        Err(ApiError::InvalidCode)
    }
}

/// The time step the code is right for, among the current one ±1; `None` when it is wrong.
pub fn matching_step(totp: &TOTP, code: &str, now: u64) -> Option<i64> {
    let current = now / STEP_SECONDS;
    let steps = current.saturating_sub(u64::from(SKEW_STEPS))..=current + u64::from(SKEW_STEPS);
    steps
        .filter(|step| {
            let expected = totp.generate(step * STEP_SECONDS);
            crate::auth::keys::constant_time_eq(expected.as_bytes(), code.as_bytes())
        })
        .max()
        .and_then(|step| i64::try_from(step).ok())
}

/// A user's TOTP row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TotpRow {
    pub user_id: i64,
    pub secret: String,
    pub enabled_at: Option<i64>,
    pub last_step: i64,
}

pub async fn find_totp(db: &Pool, user_id: i64) -> ApiResult<Option<TotpRow>> {
    Ok(sqlx::query_as::<_, TotpRow>(
        "SELECT user_id, secret, enabled_at, last_step FROM mfa_totp WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await?)
}

/// A new secret waiting for its first code (replaces an earlier setup that was not confirmed).
pub async fn save_pending(db: &Pool, user_id: i64, sealed: &str, now: i64) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO mfa_totp (user_id, secret, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, \
             created_at = excluded.created_at, enabled_at = NULL, last_step = 0 \
         WHERE mfa_totp.enabled_at IS NULL",
    )
    .bind(user_id)
    .bind(sealed)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Spends time step `step` for this user; `false` when it (or a later one) was spent already.
pub async fn spend_step(db: &Pool, user_id: i64, step: i64) -> ApiResult<bool> {
    let done =
        sqlx::query("UPDATE mfa_totp SET last_step = $1 WHERE user_id = $2 AND last_step < $1")
            .bind(step)
            .bind(user_id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns MFA on with these recovery codes (earlier codes go), in one transaction: exactly the
/// secret `sealed` whose code was checked, and only while it is still pending, so of two racing
/// confirms (or a confirm racing a new setup) one wins and the other changes nothing
/// (`invalid_code`).
pub async fn enable(
    db: &Pool,
    keys: &MfaKeys,
    user_id: i64,
    sealed: &str,
    codes: &[String],
    now: i64,
) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    let enabled = sqlx::query(
        "UPDATE mfa_totp SET enabled_at = $1 \
         WHERE user_id = $2 AND secret = $3 AND enabled_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(sealed)
    .execute(&mut *tx)
    .await?;
    if enabled.rows_affected() != 1 {
        return Err(ApiError::InvalidCode);
    }
    sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for code in codes {
        let compact = code.replace('-', "");
        let hash = keys.recovery_hashes(user_id, &compact).swap_remove(0);
        sqlx::query(
            "INSERT INTO mfa_recovery_codes (user_id, code_hash, key_id) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(hash)
        .bind(RECOVERY_KEY)
        .execute(&mut *tx)
        .await?;
    }
    users::set_mfa_enabled(&mut *tx, user_id, true).await?;
    tx.commit().await?;
    Ok(())
}

/// `disable` inside the caller's transaction (an administrator's reset commits with its audit).
pub async fn disable_in(tx: &mut sqlx::Transaction<'_, Engine>, user_id: i64) -> ApiResult<()> {
    for table in ["mfa_totp", "mfa_recovery_codes", "mfa_tickets"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
    }
    users::set_mfa_enabled(&mut **tx, user_id, false).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_as_totp_or_recovery() {
        assert_eq!(
            Code::parse(" 123 456 ").unwrap(),
            Code::Totp("123456".into())
        );
        assert_eq!(
            Code::parse("ABCDE-fghjk").unwrap(),
            Code::Recovery("abcdefghjk".into())
        );
        for bad in ["", "12345", "1234567", "abcde-fghj1", "0000000000"] {
            assert_eq!(Code::parse(bad), Err(ApiError::InvalidCode), "{bad:?}");
        }
    }

    #[test]
    fn rfc_6238_sha1_vector_and_skew() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); the last 6 are ours.
        let totp = totp(b"12345678901234567890".to_vec(), "t", "a@b.co").unwrap();
        assert_eq!(totp.generate(59), "287082");
        assert_eq!(matching_step(&totp, "287082", 59), Some(1));
        assert_eq!(matching_step(&totp, "287082", 59 + 30), Some(1));
        assert_eq!(matching_step(&totp, "287082", 59 + 60), None);
    }

    #[test]
    fn the_issuer_is_the_bare_host() {
        assert_eq!(issuer_of("https://app.test/"), "app.test");
        assert_eq!(issuer_of("http://127.0.0.1:8000/x"), "127.0.0.1");
        assert_eq!(issuer_of(""), "rocket-auth-template");
        assert_eq!(issuer_of("http://[::1]:8000"), "rocket-auth-template");
        for url in ["http://127.0.0.1:8000", "http://[::1]:8000"] {
            assert!(
                totp(vec![7; 20], &issuer_of(url), "a@b.co").is_ok(),
                "{url}"
            );
        }
    }
}
