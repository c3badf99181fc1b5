//! User-agent parsing (woothee), done for every login and refresh to describe the device.
//! `cargo bench --bench user_agent`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rocket_auth_template::auth::device::{Device, MAX_USER_AGENT_BYTES};

const AGENTS: [(&str, &str); 5] = [
    (
        "Firefox on Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
    ),
    (
        "Safari on iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
         (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    ),
    (
        "Chrome on Android",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/120.0.0.0 Mobile Safari/537.36",
    ),
    ("curl", "curl/8.5.0"),
    ("empty", ""),
];

fn user_agents(c: &mut Criterion) {
    for (name, agent) in AGENTS {
        c.bench_function(&format!("parse {name}"), |b| {
            b.iter(|| Device::parse(black_box(agent)))
        });
    }
    // The longest agent that is parsed whole; longer ones are cut to this first.
    let longest = format!("Mozilla/5.0 {}", "x".repeat(MAX_USER_AGENT_BYTES - 12));
    c.bench_function("parse a maximal unknown agent", |b| {
        b.iter(|| Device::parse(black_box(&longest)))
    });
}

criterion_group!(benches, user_agents);
criterion_main!(benches);
