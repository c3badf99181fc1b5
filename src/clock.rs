//! What every record is stamped with: the time (unix seconds, RFC 3339 for people) and random ids.

/// Seconds since the unix epoch, UTC: the one clock of the database and the tokens.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// RFC 3339 UTC, to the second: how the API shows times.
pub fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// 128 random bits as hex: session ids, `jti`s and CSRF tokens.
pub fn new_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
