//! Two-factor data outlives the signing key: TOTP secrets and recovery codes are sealed and
//! keyed by the data key (`data_key`), so rotating or dropping a signing key, HMAC or EdDSA,
//! changes nothing for them; a data key rotates on its own (`previous_data_keys`, re-sealed on
//! use, `rotate-data-key` for everything at once); rows from before the data key move to it.

use std::process::{Command, Stdio};

use rocket::http::Status;
use rocket_auth_template::mfa::keys::legacy;

use crate::common::*;

const ANN: &str = "ann@example.com";
const BOB: &str = "bob@example.com";
const BIN: &str = env!("CARGO_BIN_EXE_rocket-auth-template");

/// Signs in with the password and a code on `app`: the answer's status.
async fn second_step(app: &TestApp, email: &str, code: &str) -> Status {
    let ticket = app.mfa_ticket(email).await;
    app.complete_mfa(&ticket, code).await.status()
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.db())
        .await
        .unwrap()
}

async fn stored_secret(app: &TestApp, email: &str) -> String {
    let id = user_id(app, email).await;
    sqlx::query_scalar("SELECT secret FROM mfa_totp WHERE user_id = $1")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap()
}

#[rocket::async_test]
async fn dropping_the_hmac_signing_key_leaves_totp_and_recovery_codes_working() {
    let first = app().await;
    let ann = first.register(ANN).await;
    let mut enrolled = first.enable_mfa(&ann).await;

    let rotated = app_sharing_db(&first, |f| {
        f.merge(("jwt_secret", OTHER_SECRET))
            .merge(("jwt_previous_secrets", vec![SECRET]))
    })
    .await;
    assert_eq!(
        second_step(&rotated, ANN, &enrolled.recovery_codes[5]).await,
        Status::Ok
    );
    let dropped = app_sharing_db(&first, |f| f.merge(("jwt_secret", OTHER_SECRET))).await;
    assert_eq!(
        second_step(&dropped, ANN, &enrolled.next_code()).await,
        Status::Ok,
        "a TOTP code after the old signing key is gone"
    );
    assert_eq!(
        second_step(&dropped, ANN, &enrolled.recovery_codes[0]).await,
        Status::Ok,
        "a recovery code after the old signing key is gone"
    );
}

#[rocket::async_test]
async fn rotating_the_eddsa_key_without_keeping_the_old_one_leaves_two_factor_working() {
    let first = eddsa_app().await;
    let ann = first.register(ANN).await;
    let mut enrolled = first.enable_mfa(&ann).await;
    let key = ed25519_pem();
    let rotated = app_sharing_db(&first, move |f| {
        f.merge(("jwt_algorithm", "EdDSA"))
            .merge(("jwt_private_key", key))
    })
    .await;
    assert_eq!(
        second_step(&rotated, ANN, &enrolled.next_code()).await,
        Status::Ok
    );
    assert_eq!(
        second_step(&rotated, ANN, &enrolled.recovery_codes[3]).await,
        Status::Ok
    );
}

fn rotate_data_key(db_url: &str, envs: &[(&str, &str)]) -> (bool, String) {
    let databases = format!("{{app={{url=\"{db_url}\"}}}}");
    let out = Command::new(BIN)
        .arg("rotate-data-key")
        .env("ROCKET_DATABASES", databases)
        .env("ROCKET_JWT_SECRET", SECRET)
        .env("ROCKET_LOG_LEVEL", "critical")
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[rocket::async_test]
async fn a_data_key_rotates_on_use_and_all_at_once_then_the_old_one_can_go() {
    let first = app().await;
    let ann = first.register(ANN).await;
    let mut ann_codes = first.enable_mfa(&ann).await;
    let bob = first.register(BOB).await;
    let mut bob_codes = first.enable_mfa(&bob).await;

    // The new key seals, the old one still opens: Ann's secret is sealed again when she uses it.
    let rotated = app_sharing_db(&first, |f| {
        f.merge(("data_key", OTHER_DATA_KEY))
            .merge(("previous_data_keys", vec![DATA_KEY]))
    })
    .await;
    let before = stored_secret(&rotated, ANN).await;
    assert_eq!(
        second_step(&rotated, ANN, &ann_codes.next_code()).await,
        Status::Ok
    );
    let after = stored_secret(&rotated, ANN).await;
    assert_ne!(before, after, "sealed again under the new key on use");

    // Without the new key configured, the command refuses to guess; with it, it re-seals Bob's.
    let (ok, out) = rotate_data_key(&first.db_url, &[("ROCKET_DATA_KEY", OTHER_DATA_KEY)]);
    assert!(!ok && out.contains("previous_data_keys"), "{out}");
    let previous = format!("[\"{DATA_KEY}\"]");
    let (ok, out) = rotate_data_key(
        &first.db_url,
        &[
            ("ROCKET_DATA_KEY", OTHER_DATA_KEY),
            ("ROCKET_PREVIOUS_DATA_KEYS", previous.as_str()),
        ],
    );
    assert!(
        ok && out.contains("re-sealed 1 two-factor secrets"),
        "{out}"
    );

    let dropped = app_sharing_db(&first, |f| f.merge(("data_key", OTHER_DATA_KEY))).await;
    assert_eq!(
        second_step(&dropped, BOB, &bob_codes.next_code()).await,
        Status::Ok
    );
    assert_eq!(
        second_step(&dropped, BOB, &bob_codes.recovery_codes[0]).await,
        Status::Ok
    );
    assert_eq!(
        second_step(&dropped, ANN, &ann_codes.recovery_codes[0]).await,
        Status::Ok
    );
}

#[rocket::async_test]
async fn secrets_from_before_the_data_key_move_to_it_at_start_up() {
    let first = app().await;
    let ann = first.register(ANN).await;
    let mut enrolled = first.enable_mfa(&ann).await;
    // Ann's rows as the release before the data key left them: the secret sealed and the codes
    // hashed with keys derived from the signing secret.
    let id = user_id(&first, ANN).await;
    let signing = &first.tokens().keys;
    let raw = totp_rs::Secret::Encoded(enrolled.secret.clone())
        .to_bytes()
        .unwrap();
    let old_secret = legacy::seal_secret(signing, id, &raw).unwrap();
    sqlx::query("UPDATE mfa_totp SET secret = $1 WHERE user_id = $2")
        .bind(&old_secret)
        .bind(id)
        .execute(first.db())
        .await
        .unwrap();
    sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1")
        .bind(id)
        .execute(first.db())
        .await
        .unwrap();
    for code in &enrolled.recovery_codes {
        let hash = legacy::recovery_hash(signing, id, &code.replace('-', ""));
        sqlx::query("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(id)
            .bind(hash)
            .execute(first.db())
            .await
            .unwrap();
    }
    sqlx::query("DELETE FROM sealed_keys")
        .execute(first.db())
        .await
        .unwrap();

    // The upgrade starts under the same signing key, which is then rotated away.
    let upgraded = app_sharing_db(&first, |f| f).await;
    assert_ne!(stored_secret(&upgraded, ANN).await, old_secret, "moved");
    let dropped = app_sharing_db(&first, |f| f.merge(("jwt_secret", OTHER_SECRET))).await;
    assert_eq!(
        second_step(&dropped, ANN, &enrolled.next_code()).await,
        Status::Ok
    );
    assert_eq!(
        second_step(&dropped, ANN, &enrolled.recovery_codes[1]).await,
        Status::Ok
    );
}
