//! Token hot spots: minting an access token (every login and refresh) and verifying one (every
//! request behind `Claims` or `CurrentUser`). `cargo bench --bench tokens`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rocket_auth_template::app_claims::AppClaims;
use rocket_auth_template::auth::tokens::{new_id, now, Keys, RefreshClaims, REFRESH};
use rocket_auth_template::config::{AuthConfig, Settings};

fn keys(algorithm: &str) -> Keys {
    let config = AuthConfig {
        jwt_algorithm: algorithm.into(),
        ..AuthConfig::default()
    };
    // `debug` = true: a random key, as `cargo run` makes one.
    Keys::new(&Settings::from_config(config, true).expect("a valid default config"))
}

fn refresh_claims() -> RefreshClaims {
    let now = now();
    RefreshClaims {
        sub: "42".into(),
        sid: new_id(),
        jti: new_id(),
        iat: now,
        exp: now + 14 * 24 * 3600,
        typ: REFRESH.into(),
        app: AppClaims::default(),
    }
}

fn tokens(c: &mut Criterion) {
    for algorithm in ["HS256", "EdDSA"] {
        let keys = keys(algorithm);
        let refresh = refresh_claims();
        c.bench_function(&format!("{algorithm} mint access token"), |b| {
            b.iter(|| keys.mint_access(black_box(&refresh), "user", now()))
        });
        let token = keys
            .mint_access(&refresh, "user", now())
            .expect("a token signs");
        c.bench_function(&format!("{algorithm} verify access token"), |b| {
            b.iter(|| keys.verify_access(black_box(&token)))
        });
        let refresh_token = keys.sign(&refresh).expect("a token signs");
        c.bench_function(&format!("{algorithm} verify refresh token"), |b| {
            b.iter(|| keys.verify_refresh(black_box(&refresh_token)))
        });
    }
}

criterion_group!(benches, tokens);
criterion_main!(benches);
