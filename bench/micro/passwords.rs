//! The new-password rules (sign-up, password change, create-user): length, not the email, not
//! one of the most common passwords (a hash-set lookup). `cargo bench --bench passwords`

use std::time::Instant;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rocket_auth_template::auth::common_passwords::is_common;
use rocket_auth_template::auth::password::MAX_PASSWORD_BYTES;
use rocket_auth_template::auth::users::{Email, NewPassword};

fn passwords(c: &mut Criterion) {
    // The set is built on first use, once per process: say what that first call costs.
    let start = Instant::now();
    black_box(is_common("password"));
    println!(
        "common passwords: first use, building the set: {:?}",
        start.elapsed()
    );

    let longest = "x".repeat(MAX_PASSWORD_BYTES);
    for (name, password) in [
        ("a listed password", "Sunshine1"),
        ("an unlisted password", "correct horse battery"),
        ("a 1 KiB password", longest.as_str()),
    ] {
        c.bench_function(&format!("is_common: {name}"), |b| {
            b.iter(|| is_common(black_box(password)))
        });
    }
    let email = Email::parse("ann@example.com").expect("a valid email");
    c.bench_function("NewPassword::parse: an accepted password", |b| {
        b.iter(|| NewPassword::parse(black_box("correct horse battery".into()), &email))
    });
}

criterion_group!(benches, passwords);
criterion_main!(benches);
