//! `next`: where a page sends the browser after signing in. Only same-site relative paths get in.

use std::fmt;

use rocket::http::uri::Origin;

/// Longer `next` values are refused rather than cut.
const MAX_NEXT_BYTES: usize = 2048;

/// A path on this site to return to: starts with exactly one `/` (not `//` or `/\`, which browsers
/// read as another host), no scheme, no whitespace or control characters (browsers drop tabs and
/// newlines, turning `/\t/evil.com` into `//evil.com`), no backslash, and a valid origin-form URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeNext(String);

impl SafeNext {
    /// The path when it is safe, otherwise `/`.
    pub fn parse(raw: Option<&str>) -> SafeNext {
        raw.and_then(SafeNext::try_parse)
            .unwrap_or_else(|| SafeNext("/".into()))
    }

    fn try_parse(raw: &str) -> Option<SafeNext> {
        let safe = raw.len() <= MAX_NEXT_BYTES
            && raw.starts_with('/')
            && !raw.starts_with("//")
            && !raw.contains('\\')
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control())
            && Origin::parse(raw).is_ok();
        safe.then(|| SafeNext(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The sign-in page that returns here afterwards.
    pub fn login_url(&self) -> String {
        match self.0.as_str() {
            "/" => "/login".into(),
            path => format!("/login?next={}", encode_query_value(path)),
        }
    }

    /// `base` (a page of ours) with this path as its `next`.
    pub fn url_from(&self, base: &str) -> String {
        format!("{base}?next={}", encode_query_value(&self.0))
    }
}

/// Percent-encodes a value for a `data:` URL or a query.
pub fn encode_value(value: &str) -> String {
    encode_query_value(value)
}

impl fmt::Display for SafeNext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Percent-encodes everything but unreserved characters and `/`, so a path with its own query
/// (`/a?b=1&c=2`) survives as one query value.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_site_paths_are_kept() {
        for good in ["/", "/sessions", "/sessions?page=2&x=%2F", "/a/b/c"] {
            assert_eq!(SafeNext::parse(Some(good)).as_str(), good);
        }
    }

    #[test]
    fn everything_else_becomes_the_home_page() {
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "https://evil.com",
            "javascript:alert(1)",
            "evil.com",
            "",
            " /sessions",
            "/\t/evil.com",
            "/\n/evil.com",
            "/a b",
            "/\u{0}",
            "/é",
        ] {
            assert_eq!(SafeNext::parse(Some(bad)).as_str(), "/", "{bad:?}");
        }
        assert_eq!(SafeNext::parse(None).as_str(), "/");
        let long = format!("/{}", "a".repeat(MAX_NEXT_BYTES));
        assert_eq!(SafeNext::parse(Some(&long)).as_str(), "/");
    }

    #[test]
    fn login_url_carries_the_path_as_one_value() {
        assert_eq!(SafeNext::parse(Some("/")).login_url(), "/login");
        assert_eq!(
            SafeNext::parse(Some("/sessions?a=1&b=2")).login_url(),
            "/login?next=/sessions%3Fa%3D1%26b%3D2"
        );
    }
}
