//! The binary: `create-user` from the shell, and the release profile's refusal of weak keys.

use std::io::Write;
use std::process::{Command, Stdio};

use rocket::http::Status;
use serde_json::json;

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_rocket-auth-template");

fn run(args: &[&str], envs: &[(&str, &str)], stdin: &str) -> (bool, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .envs(envs.iter().copied())
        .env("ROCKET_LOG_LEVEL", "critical")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[rocket::async_test]
async fn create_user_makes_an_admin_who_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let databases = format!("{{app={{url=\"{url}\"}}}}");
    let envs = [("ROCKET_DATABASES", databases.as_str())];
    let args = [
        "create-user",
        "--email",
        "Root@Example.com",
        "--role",
        "admin",
        "--name",
        "Root",
    ];
    let (ok, out) = run(&args, &envs, &format!("{PASSWORD}\n"));
    assert!(ok, "{out}");
    assert!(
        out.contains("root@example.com") && out.contains("admin"),
        "{out}"
    );

    let (ok, out) = run(&args, &envs, &format!("{PASSWORD}\n"));
    assert!(!ok && out.contains("already exists"), "{out}");
    let (ok, out) = run(
        &["create-user", "--email", "x@example.com"],
        &envs,
        "short\n",
    );
    assert!(!ok && out.contains("8 characters"), "{out}");
    let (ok, out) = run(&["create-user", "--email", "nope"], &envs, "");
    assert!(!ok && out.contains("valid email"), "{out}");
    let (ok, _) = run(
        &["create-user", "--email", "x@example.com", "--role", "god"],
        &envs,
        "",
    );
    assert!(!ok);

    // The app on the same database accepts the account.
    let app = app_with(|f| f.merge(("databases.app.url", url))).await;
    let body = json!({ "email": "root@example.com", "password": PASSWORD });
    let response = app.post_json("/api/auth/login", body, FIREFOX).await;
    assert_eq!(response.status(), Status::Ok);
    let body: serde_json::Value = response.into_json().await.unwrap();
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(
        payload(body["access_token"].as_str().unwrap())["role"],
        "admin"
    );
}

#[rocket::async_test]
async fn release_profile_refuses_a_missing_or_short_signing_key() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let databases = format!("{{app={{url=\"{url}\"}}}}");
    let base = [
        ("ROCKET_PROFILE", "release"),
        (
            "ROCKET_SECRET_KEY",
            "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=",
        ),
        ("ROCKET_DATABASES", databases.as_str()),
        ("ROCKET_PORT", "0"),
    ];
    let (ok, out) = run(&[], &base, "");
    assert!(!ok && out.contains("jwt_secret is not set"), "{out}");
    let short = [base.as_slice(), &[("ROCKET_JWT_SECRET", "too-short")]].concat();
    let (ok, out) = run(&[], &short, "");
    assert!(!ok && out.contains("at least 32"), "{out}");
}
