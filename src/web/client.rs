//! `ClientInfo` from a request: the user agent, and the client IP behind trusted proxies.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use rocket::request::{FromRequest, Outcome, Request};

use crate::auth::device::ClientInfo;
use crate::config::Settings;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientInfo {
    type Error = Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Infallible> {
        Outcome::Success(client_info(req))
    }
}

/// The requesting device: never fails.
pub fn client_info(req: &Request<'_>) -> ClientInfo {
    let user_agent = req.headers().get_one("User-Agent").unwrap_or("");
    let ip = match req.rocket().state::<Settings>() {
        Some(settings) => client_ip(req.remote().map(|r| r.ip()), req, settings),
        None => req.remote().map(|r| r.ip()),
    };
    ClientInfo::new(user_agent, ip)
}

/// The peer address; behind trusted proxies, `X-Forwarded-For` read from the right: each hop
/// appends the address it received from, so only the entries right of the last trusted proxy
/// were written by someone we trust. The first entry that is not a trusted proxy is the client;
/// an entry that is not an IP address ends the walk, and the hop to its right is taken (the
/// client cannot choose its IP by writing junk or addresses into the header).
fn client_ip(peer: Option<IpAddr>, req: &Request<'_>, settings: &Settings) -> Option<IpAddr> {
    let mut client = peer?;
    let header: Vec<&str> = req.headers().get("X-Forwarded-For").collect();
    if !header.is_empty() && !settings.is_trusted_proxy(client) && first_time(&UNTRUSTED_FORWARDER)
    {
        rocket::warn!(
            "X-Forwarded-For came from {client}, which is not in trusted_proxies: it is ignored, \
             so every client behind that proxy shares one rate-limit key (and one IP in the \
             sessions); list the proxy in trusted_proxies if it is yours"
        );
    }
    let mut entries = header.iter().rev().flat_map(|v| v.rsplit(','));
    while settings.is_trusted_proxy(client) {
        match entries.next().map(|e| e.trim().parse::<IpAddr>()) {
            Some(Ok(hop)) => client = hop,
            _ => break,
        }
    }
    Some(client)
}

/// Said once per process: a proxy the configuration does not know about.
static UNTRUSTED_FORWARDER: AtomicBool = AtomicBool::new(false);

/// `true` the first time only (a line in the log, not one per request).
fn first_time(flag: &AtomicBool) -> bool {
    !flag.swap(true, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untrusted_forwarder_is_logged_once() {
        let flag = AtomicBool::new(false);
        assert!(first_time(&flag));
        assert!(!first_time(&flag));
        assert!(!first_time(&flag));
    }

    #[test]
    fn forwarded_for_is_read_from_the_right_skipping_trusted_proxies() {
        let settings = Settings::from_config(
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
}
