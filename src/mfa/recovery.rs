//! Recovery codes: ten single-use codes shown once when two-factor sign-in is turned on, stored
//! as keyed hashes. Every query on `mfa_recovery_codes` but the ones that replace them all
//! (`totp::enable`, `totp::disable`).

use rand::Rng;

use crate::db::Pool;
use crate::error::ApiResult;
use crate::mfa::keys::MfaKeys;

pub const RECOVERY_CODES: usize = 10;
/// Recovery codes: 10 characters of an alphabet without look-alikes (about 49 bits).
pub const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Ten fresh recovery codes, shown as `xxxxx-xxxxx`.
pub fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// Spends a recovery code; `false` when it is not one of the user's unused codes.
pub async fn spend_recovery_code(
    db: &Pool,
    keys: &MfaKeys,
    user_id: i64,
    code: &str,
    now: i64,
) -> ApiResult<bool> {
    for hash in keys.recovery_hashes(user_id, code) {
        let done = sqlx::query(
            "UPDATE mfa_recovery_codes SET used_at = $1 \
             WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .bind(hash)
        .execute(db)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
    }
    Ok(false)
}

pub async fn recovery_codes_left(db: &Pool, user_id: i64) -> ApiResult<i64> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(db)
    .await?)
}
