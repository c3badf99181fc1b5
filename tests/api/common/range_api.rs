//! A local server that answers like the Pwned Passwords range API (`GET /range/{prefix}`:
//! `SUFFIX:COUNT` lines, with padding lines of count 0 when asked for `Add-Padding: true`), and
//! keeps every request it got, as bytes, so a test can say what left the app.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use rocket_auth_template::account::breached::split_sha1;

pub struct RangeApi {
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl RangeApi {
    /// Answers with these passwords as breached, `count` times each; `silent`: accepts and never
    /// answers (a range API that hangs).
    pub fn start(breached: &[(&str, u64)], silent: bool) -> RangeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let known: Vec<(String, String, u64)> = breached
            .iter()
            .map(|(password, count)| {
                let (prefix, suffix) = split_sha1(password);
                (prefix, suffix, *count)
            })
            .collect();
        let seen = requests.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    request.push_str(&line);
                }
                let length = request
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                request.push_str(&String::from_utf8_lossy(&body));
                seen.lock().unwrap().push(request.clone());
                if silent {
                    held.push(stream);
                    continue;
                }
                let path = request.split_whitespace().nth(1).unwrap_or_default();
                let prefix = path
                    .strip_prefix("/range/")
                    .unwrap_or_default()
                    .to_uppercase();
                let padded = request.to_ascii_lowercase().contains("add-padding: true");
                let mut lines: Vec<String> = known
                    .iter()
                    .filter(|(p, _, _)| *p == prefix)
                    .map(|(_, suffix, count)| format!("{suffix}:{count}"))
                    .collect();
                if padded {
                    for i in 0..5 {
                        lines.push(format!("{:035X}:0", 0xABCDEF_u64 + i));
                    }
                }
                let body = lines.join("\r\n");
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        RangeApi { url, requests }
    }

    /// Every request received, whole (request line, headers, body).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}
