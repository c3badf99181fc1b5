//! The device behind a request: its user agent parsed by woothee, and its client IP (read from
//! the request by `web::client`).

use std::net::IpAddr;
use std::sync::OnceLock;

/// Longer user agents are cut here before parsing and storing.
pub const MAX_USER_AGENT_BYTES: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub user_agent: String,
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    /// woothee's category: pc, smartphone, mobilephone, appliance, crawler, misc or UNKNOWN.
    pub device: String,
}

impl Device {
    pub fn parse(user_agent: &str) -> Device {
        let user_agent = truncate(user_agent, MAX_USER_AGENT_BYTES).to_owned();
        let parsed = woothee::parser::Parser::new().parse(&user_agent);
        match parsed {
            Some(r) => Device {
                browser: r.name.to_owned(),
                browser_version: r.version.to_owned(),
                os: r.os.to_owned(),
                device: r.category.to_owned(),
                user_agent,
            },
            None => Device {
                browser: "UNKNOWN".into(),
                browser_version: "UNKNOWN".into(),
                os: "UNKNOWN".into(),
                device: "UNKNOWN".into(),
                user_agent,
            },
        }
    }
}

/// The value, unless woothee could not tell (empty or `UNKNOWN`).
pub fn known(value: &str) -> Option<&str> {
    Some(value).filter(|v| !v.is_empty() && *v != "UNKNOWN")
}

/// "Firefox on Windows 10", as far as the user agent told.
pub fn describe(browser: &str, os: &str) -> String {
    match (known(browser), known(os)) {
        (Some(browser), Some(os)) => format!("{browser} on {os}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(os)) => format!("A browser on {os}"),
        (None, None) => "An unknown device".to_owned(),
    }
}

/// woothee's device category as an icon name (a fixed set) and in words.
pub fn device_kind(category: &str) -> (&'static str, &'static str) {
    match category {
        "pc" => ("computer", "Computer"),
        "smartphone" => ("phone", "Smartphone"),
        "mobilephone" => ("phone", "Mobile phone"),
        "appliance" => ("appliance", "TV or console"),
        "crawler" => ("bot", "Bot"),
        _ => ("other", "Other device"),
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The requesting device: user agent and client IP. Never fails. The user agent is parsed
/// (woothee, about 15k instructions) only when something asks for the device, as a sign-in or a
/// security event does; a refresh only compares the raw user agent with its session's.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// The `User-Agent` header cut to `MAX_USER_AGENT_BYTES`: what a session stores and compares.
    pub user_agent: String,
    pub ip: Option<IpAddr>,
    device: OnceLock<Device>,
}

impl ClientInfo {
    pub fn new(user_agent: &str, ip: Option<IpAddr>) -> ClientInfo {
        ClientInfo {
            user_agent: truncate(user_agent, MAX_USER_AGENT_BYTES).to_owned(),
            ip,
            device: OnceLock::new(),
        }
    }

    /// The operator at the command line (`deactivate-user`…), as the event log records them.
    pub fn command_line() -> ClientInfo {
        ClientInfo::new("command line", None)
    }

    /// The user agent as woothee reads it, parsed on first use.
    pub fn device(&self) -> &Device {
        self.device.get_or_init(|| Device::parse(&self.user_agent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_agents() {
        let firefox = Device::parse(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
        );
        assert_eq!(
            (
                firefox.browser.as_str(),
                firefox.os.as_str(),
                firefox.device.as_str()
            ),
            ("Firefox", "Windows 10", "pc")
        );
        assert_eq!(firefox.browser_version, "120.0");
        let iphone = Device::parse(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
        );
        assert_eq!(
            (iphone.browser.as_str(), iphone.device.as_str()),
            ("Safari", "smartphone")
        );
        assert_eq!(Device::parse("").device, "UNKNOWN");
    }

    #[test]
    fn long_agents_are_cut_on_a_char_boundary() {
        let ua = "é".repeat(400);
        let device = Device::parse(&ua);
        assert!(device.user_agent.len() <= MAX_USER_AGENT_BYTES);
        assert!(ua.starts_with(&device.user_agent));
    }
}
