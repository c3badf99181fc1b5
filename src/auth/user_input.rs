//! What people type, parsed once (parse, don't validate): an `Email`, a `NewPassword`, a name.
//! A value of these types is valid; the constructors are the only way in.

use crate::auth::common_passwords;
use crate::auth::password::MAX_PASSWORD_BYTES;
use crate::clock::new_id;
use crate::error::ApiError;

pub const MAX_EMAIL_BYTES: usize = 254;
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_NAME_CHARS: usize = 100;

/// An email address, trimmed and lower-cased (so unique ignoring case), parsed strictly: one
/// `@`, a local part of plain characters (no `:`, quotes, brackets or separators, which mail
/// headers and `otpauth` labels would read differently), and one lettre accepts as an address,
/// so every address stored can be mailed and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, ApiError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= MAX_EMAIL_BYTES
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && email.matches('@').count() == 1
            && email.parse::<lettre::Address>().is_ok()
            && match email.rsplit_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !local.contains([':', '"', '(', ')', ',', ';', '<', '>', '[', ']', '\\'])
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if valid {
            Ok(Email(email))
        } else {
            Err(ApiError::InvalidEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password good enough to store: 8 characters to 1 KiB, not the email address, not one of
/// the most common passwords (`common_passwords`).
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: String, email: &Email) -> Result<NewPassword, ApiError> {
        let weak = |why: &str| Err(ApiError::WeakPassword(why.into()));
        if raw.chars().count() < MIN_PASSWORD_CHARS {
            return weak("The password must have at least 8 characters.");
        }
        if raw.len() > MAX_PASSWORD_BYTES {
            return weak("The password must be at most 1024 bytes.");
        }
        if raw.to_lowercase() == email.as_str() {
            return weak("The password must not be the email address.");
        }
        if common_passwords::is_common(&raw) {
            return weak(
                "This password is one of the most commonly used passwords, \
                 which attackers try first: choose another.",
            );
        }
        Ok(NewPassword(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A random password nobody knows, for the timing-equalising dummy hash.
    pub(crate) fn dummy() -> NewPassword {
        NewPassword(new_id())
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

/// An optional display name: trimmed, at most 100 characters, no control characters.
pub fn parse_name(raw: Option<&str>) -> Result<String, ApiError> {
    let name = raw.unwrap_or("").trim();
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::InvalidInput(
            "name must be at most 100 characters, without control characters".into(),
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@example",
            "a b@example.com",
            "ann@.example.com",
            "ann@example..com",
            "ann@example.com.",
            // Strict: one `@`, nothing a mail header or an otpauth label reads differently.
            "a:b@example.com",
            "ann@b@example.com",
            "\"ann\"@example.com",
            "ann,bob@example.com",
            "<ann>@example.com",
            "ann;@example.com",
        ] {
            assert_eq!(Email::parse(bad), Err(ApiError::InvalidEmail), "{bad:?}");
        }
        for good in ["ann.o'neil+tag@example.com", "a_b-c@sub.example.org"] {
            assert!(Email::parse(good).is_ok(), "{good:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(ApiError::InvalidEmail));
    }

    #[test]
    fn passwords_are_bounded() {
        let email = Email::parse("ann@example.com").unwrap();
        assert!(NewPassword::parse("short".into(), &email).is_err());
        assert!(NewPassword::parse("x".repeat(1025), &email).is_err());
        assert!(NewPassword::parse("ANN@example.com".into(), &email).is_err());
        assert!(NewPassword::parse("Password1".into(), &email).is_err());
        assert!(NewPassword::parse("correct horse".into(), &email).is_ok());
    }
}
