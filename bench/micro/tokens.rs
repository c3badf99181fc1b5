//! Token hot spots: minting an access token (every login and refresh) and verifying one (every
//! request behind `Claims` or `CurrentUser`). `cargo bench --bench tokens`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rocket_auth_template::auth::app_claims::AppClaims;
use rocket_auth_template::auth::tokens::{RefreshClaims, TokenKind, Tokens};
use rocket_auth_template::auth::users::Role;
use rocket_auth_template::clock::{new_id, now};
use rocket_auth_template::config::{AuthConfig, Settings};

fn codec(algorithm: &str) -> Tokens {
    let config = AuthConfig {
        jwt_algorithm: algorithm.into(),
        ..AuthConfig::default()
    };
    // `debug` = true: a random key, as `cargo run` makes one.
    Tokens::new(
        &Settings::from_config(config, true).expect("a valid default config"),
        Default::default(),
    )
}

fn refresh_claims(tokens: &Tokens) -> RefreshClaims {
    let exp = now() + 14 * 24 * 3600;
    tokens.refresh_claims(42, &new_id(), &new_id(), exp, AppClaims::default())
}

fn tokens(c: &mut Criterion) {
    for algorithm in ["HS256", "EdDSA"] {
        let tokens = codec(algorithm);
        let refresh = refresh_claims(&tokens);
        c.bench_function(&format!("{algorithm} mint access token"), |b| {
            b.iter(|| tokens.mint_access(black_box(&refresh), Role::User, now()))
        });
        let token = tokens
            .mint_access(&refresh, Role::User, now())
            .expect("a token signs");
        c.bench_function(&format!("{algorithm} verify access token"), |b| {
            b.iter(|| tokens.verify_access(black_box(&token)))
        });
        let refresh_token = tokens
            .sign(TokenKind::Refresh, &refresh)
            .expect("a token signs");
        c.bench_function(&format!("{algorithm} verify refresh token"), |b| {
            b.iter(|| tokens.verify_refresh(black_box(&refresh_token)))
        });
    }
}

criterion_group!(benches, tokens);
criterion_main!(benches);
