//! Times as people read them: "3 minutes ago", with the exact UTC time alongside.

use serde::Serialize;

use crate::clock::{rfc3339, utc_text};

/// How long to wait, from a `Retry-After` in seconds: "45 seconds", "2 minutes", rounded up so
/// whoever waits that long is not refused again.
pub use crate::clock::in_words as wait;

#[derive(Debug, Serialize)]
pub struct When {
    /// "3 minutes ago".
    pub ago: String,
    /// RFC 3339 UTC, for `<time datetime>`.
    pub iso: String,
    /// "2026-11-24 19:43:00 UTC", for the hover title.
    pub exact: String,
}

pub fn when(unix: i64, now: i64) -> When {
    When {
        ago: ago(now - unix),
        iso: rfc3339(unix),
        exact: utc_text(unix),
    }
}

/// How long ago, from a number of seconds (a time slightly in the future counts as now).
pub fn ago(seconds: i64) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    let plural = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match seconds {
        s if s < 45 => "just now".into(),
        s if s < 90 => "a minute ago".into(),
        s if s < HOUR => plural((s + MINUTE / 2) / MINUTE, "minute"),
        s if s < 90 * MINUTE => "an hour ago".into(),
        s if s < DAY => plural((s + HOUR / 2) / HOUR, "hour"),
        s if s < 2 * DAY => "yesterday".into(),
        s if s < 30 * DAY => plural(s / DAY, "day"),
        s if s < 365 * DAY => plural(s / (30 * DAY), "month"),
        s => plural(s / (365 * DAY), "year"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn each_case<N: Copy + std::fmt::Display>(words: fn(N) -> String, cases: &[(N, &str)]) {
        for (seconds, expected) in cases {
            assert_eq!(words(*seconds), *expected, "{seconds}");
        }
    }

    #[test]
    fn reads_like_a_person_would_say_it() {
        let cases = [
            (-5, "just now"),
            (0, "just now"),
            (44, "just now"),
            (60, "a minute ago"),
            (3 * 60, "3 minutes ago"),
            (59 * 60, "59 minutes ago"),
            (61 * 60, "an hour ago"),
            (5 * 3600, "5 hours ago"),
            (30 * 3600, "yesterday"),
            (3 * 86400, "3 days ago"),
            (45 * 86400, "1 month ago"),
            (800 * 86400, "2 years ago"),
        ];
        each_case(ago, &cases);
    }

    #[test]
    fn waits_round_up() {
        let cases = [
            (0, "1 second"),
            (1, "1 second"),
            (45, "45 seconds"),
            (60, "1 minute"),
            (61, "2 minutes"),
            (1800, "30 minutes"),
            (3600, "1 hour"),
            (3601, "2 hours"),
            (30 * 60, "30 minutes"),
            (48 * 3600, "2 days"),
            (47 * 3600, "47 hours"),
        ];
        each_case(wait, &cases);
    }

    #[test]
    fn exact_time_is_utc() {
        let w = when(0, 180);
        assert_eq!(w.ago, "3 minutes ago");
        assert_eq!(w.iso, "1970-01-01T00:00:00Z");
        assert_eq!(w.exact, "1970-01-01 00:00:00 UTC");
    }
}
