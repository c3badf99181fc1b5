//! The most common passwords (NIST SP 800-63B §5.1.1.2), embedded in the binary: which new
//! passwords `NewPassword::parse` refuses. The list, its source (zxcvbn 4.4.2, MIT) and how to
//! make it again are in `data/README.md`.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::auth::user_input::MIN_PASSWORD_CHARS;

/// One lower-case password a line, most common first (zxcvbn's order).
const LIST: &str = include_str!("../../data/common-passwords.txt");

/// Built on first use (about 11,600 borrowed `&str`, no copies); a lookup is one hash of the
/// lower-cased password and a probe.
fn set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        LIST.lines()
            .map(str::trim)
            // Shorter ones never get this far: the length rule refuses them first.
            .filter(|line| line.chars().count() >= MIN_PASSWORD_CHARS)
            .collect()
    })
}

/// Whether `password`, ignoring case, is on the list.
pub fn is_common(password: &str) -> bool {
    set().contains(password.to_lowercase().as_str())
}

/// How many passwords are refused (for the tests and the README).
pub fn count() -> usize {
    set().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_embedded_and_large_enough() {
        assert!(count() >= 10_000, "{} entries", count());
    }

    #[test]
    fn common_passwords_are_found_ignoring_case() {
        for common in [
            "password",
            "PassWord1",
            "12345678",
            "iloveyou",
            "QWERTYUIOP",
        ] {
            assert!(is_common(common), "{common}");
        }
        for rare in [
            "correct horse battery",
            "password with more words",
            "Tr0ub4dor&3x",
        ] {
            assert!(!is_common(rare), "{rare}");
        }
    }
}
