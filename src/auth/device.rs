//! The device behind a request: its user agent parsed by woothee, and its client IP.

use std::convert::Infallible;
use std::net::IpAddr;

use rocket::request::{FromRequest, Outcome, Request};

use crate::config::Settings;

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

/// The requesting device: user agent and client IP. Never fails.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub device: Device,
    pub ip: Option<IpAddr>,
}

impl ClientInfo {
    /// The operator at the command line (`deactivate-user`…), as the event log records them.
    pub fn command_line() -> ClientInfo {
        ClientInfo {
            device: Device::parse("command line"),
            ip: None,
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientInfo {
    type Error = Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Infallible> {
        let user_agent = req.headers().get_one("User-Agent").unwrap_or("");
        let ip = match req.rocket().state::<Settings>() {
            Some(settings) => client_ip(req.remote().map(|r| r.ip()), req, settings),
            None => req.remote().map(|r| r.ip()),
        };
        Outcome::Success(ClientInfo {
            device: Device::parse(user_agent),
            ip,
        })
    }
}

/// The peer address; behind trusted proxies, `X-Forwarded-For` read from the right: each hop
/// appends the address it received from, so only the entries right of the last trusted proxy
/// were written by someone we trust. The first entry that is not a trusted proxy is the client;
/// an entry that is not an IP address ends the walk, and the hop to its right is taken (the
/// client cannot choose its IP by writing junk or addresses into the header).
fn client_ip(peer: Option<IpAddr>, req: &Request<'_>, settings: &Settings) -> Option<IpAddr> {
    let mut client = peer?;
    let header: Vec<&str> = req.headers().get("X-Forwarded-For").collect();
    let mut entries = header.iter().rev().flat_map(|v| v.rsplit(','));
    while settings.is_trusted_proxy(client) {
        match entries.next().map(|e| e.trim().parse::<IpAddr>()) {
            Some(Ok(hop)) => client = hop,
            _ => break,
        }
    }
    Some(client)
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
    fn forwarded_for_is_read_from_the_right_skipping_trusted_proxies() {
        let settings = crate::config::Settings::from_config(
            crate::config::AuthConfig {
                trusted_proxies: vec!["10.0.0.0/8".into()],
                ..Default::default()
            },
            true,
        )
        .unwrap();
        let client = rocket::local::blocking::Client::untracked(rocket::build()).unwrap();
        let ip = |peer: &str, xff: Option<&str>| {
            let mut req = client.get("/");
            if let Some(xff) = xff {
                req = req.header(rocket::http::Header::new("X-Forwarded-For", xff.to_owned()));
            }
            client_ip(Some(peer.parse().unwrap()), req.inner(), &settings).map(|ip| ip.to_string())
        };
        let ip = |peer, xff| ip(peer, xff).unwrap();
        // An untrusted peer is the client, whatever it writes.
        assert_eq!(ip("203.0.113.9", Some("6.6.6.6")), "203.0.113.9");
        // Behind one trusted proxy: the address it appended, not what the client wrote before.
        assert_eq!(
            ip("10.0.0.1", Some("6.6.6.6, 198.51.100.7")),
            "198.51.100.7"
        );
        assert_eq!(ip("10.0.0.1", Some("6.6.6.6, junk")), "10.0.0.1");
        assert_eq!(
            ip("10.0.0.1", Some("6.6.6.6, junk, 198.51.100.7")),
            "198.51.100.7"
        );
        // Trusted hops are skipped, over several headers too.
        assert_eq!(
            ip("10.0.0.1", Some("198.51.100.7, 10.0.0.2")),
            "198.51.100.7"
        );
        let two = client
            .get("/")
            .header(rocket::http::Header::new(
                "X-Forwarded-For",
                "6.6.6.6, 198.51.100.7",
            ))
            .header(rocket::http::Header::new("X-Forwarded-For", "10.0.0.3"));
        let found = client_ip(Some("10.0.0.1".parse().unwrap()), two.inner(), &settings);
        assert_eq!(found.unwrap().to_string(), "198.51.100.7");
        // Nothing but trusted proxies: the leftmost of them.
        assert_eq!(ip("10.0.0.1", Some("10.0.0.2")), "10.0.0.2");
        assert_eq!(ip("10.0.0.1", None), "10.0.0.1");
    }

    #[test]
    fn long_agents_are_cut_on_a_char_boundary() {
        let ua = "é".repeat(400);
        let device = Device::parse(&ua);
        assert!(device.user_agent.len() <= MAX_USER_AGENT_BYTES);
        assert!(ua.starts_with(&device.user_agent));
    }
}
