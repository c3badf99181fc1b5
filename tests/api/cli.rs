//! The binary: `create-user`, `deactivate-user`, `activate-user`, `set-role`, `list-users`,
//! `revoke-sessions` and `reset-mfa` from the shell,
//! and the release profile's refusal of a bad configuration.

use std::io::Write;
use std::process::{Command, Stdio};

use rocket::http::Status;
use serde_json::json;

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_rocket-auth-template");

fn run(args: &[&str], envs: &[(&str, &str)], stdin: &str) -> (bool, String) {
    let mut child = Command::new(BIN)
        .args(args)
        // The tests' apps share the database: the same data key.
        .env("ROCKET_DATA_KEY", DATA_KEY)
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
    // No ROCKET_SECRET_KEY: the template uses no private cookies, so release does not need one.
    let base = [
        ("ROCKET_PROFILE", "release"),
        ("ROCKET_DATABASES", databases.as_str()),
        ("ROCKET_PORT", "0"),
    ];
    let (ok, out) = run(&[], &base, "");
    assert!(!ok && out.contains("jwt_secret is not set"), "{out}");
    let short = [base.as_slice(), &[("ROCKET_JWT_SECRET", "too-short")]].concat();
    let (ok, out) = run(&[], &short, "");
    assert!(!ok && out.contains("at least 32"), "{out}");
}

/// The binary as an operator runs it: Rocket's own logging at its default level.
fn run_loud(args: &[&str], envs: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("ROCKET_DATA_KEY", DATA_KEY)
        .envs(envs.iter().copied())
        .env_remove("ROCKET_LOG_LEVEL")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[rocket::async_test]
async fn a_bad_configuration_is_one_line_on_stderr_and_exit_status_1() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let databases = format!("{{app={{url=\"{url}\"}}}}");
    let release = [
        ("ROCKET_PROFILE", "release"),
        ("ROCKET_DATABASES", databases.as_str()),
        ("ROCKET_DATA_KEY", DATA_KEY),
        ("ROCKET_PUBLIC_URL", "https://app.example.com"),
        ("ROCKET_ALLOW_MAIL_OUTBOX", "true"),
    ];
    let secret = ("ROCKET_JWT_SECRET", SECRET);
    let cases: [(&[(&str, &str)], &str); 16] = [
        // Round three: the data key, plain HTTP and the outbox.
        (&[secret, ("ROCKET_DATA_KEY", "")], "data_key is not set"),
        (
            &[secret, ("ROCKET_DATA_KEY", "c2hvcnQ=")],
            "data_key is 5 bytes",
        ),
        (
            &[secret, ("ROCKET_COOKIE_SECURE", "false")],
            "cookie_secure is false outside debug",
        ),
        (
            &[secret, ("ROCKET_PUBLIC_URL", "http://app.example.com")],
            "is plain http outside debug",
        ),
        (
            &[secret, ("ROCKET_ALLOW_MAIL_OUTBOX", "false")],
            "ROCKET_ALLOW_MAIL_OUTBOX=true",
        ),
        (&[], "jwt_secret is not set"),
        (&[("ROCKET_JWT_SECRET", "too-short")], "at least 32"),
        (
            &[secret, ("ROCKET_ACCESS_TOKEN_TTL", "0")],
            "access_token_ttl",
        ),
        (&[secret, ("ROCKET_PORT", "not-a-port")], "PORT"),
        (
            &[secret, ("ROCKET_SMTP_URL", "imap://u:pw@x.example")],
            "smtp_url",
        ),
        (
            &[secret, ("ROCKET_PUBLIC_URL", "app.example.com")],
            "public_url",
        ),
        // Lifetimes and the grace window have upper bounds.
        (
            &[secret, ("ROCKET_ACCESS_TOKEN_TTL", "86401")],
            "access_token_ttl is 86401",
        ),
        (
            &[secret, ("ROCKET_REFRESH_TOKEN_TTL", "99999999")],
            "refresh_token_ttl",
        ),
        (
            &[secret, ("ROCKET_SESSION_MAX_LIFETIME", "99999999")],
            "session_max_lifetime",
        ),
        (
            &[secret, ("ROCKET_REFRESH_REUSE_GRACE", "61")],
            "refresh_reuse_grace is 61",
        ),
        (
            &[secret, ("ROCKET_ALLOWED_ORIGINS", "[\"evil\"]")],
            "allowed_origins",
        ),
    ];
    for (extra, says) in cases {
        let envs: Vec<_> = release.iter().chain(extra).copied().collect();
        let (code, stdout, stderr) = run_loud(&[], &envs);
        assert_eq!(code, Some(1), "{extra:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{extra:?}: one line, got {stderr:?}");
        assert!(
            lines[0].starts_with("error: ") && lines[0].contains(says),
            "{stderr}"
        );
        assert!(stdout.trim().is_empty(), "nothing starts: {stdout}");
    }
}

#[test]
fn the_command_line_has_generated_help_and_one_line_errors() {
    let (code, stdout, _) = run_loud(&["--help"], &[]);
    assert_eq!(code, Some(0));
    assert!(
        [
            "serve",
            "create-user",
            "deactivate-user",
            "activate-user",
            "set-role",
            "list-users",
            "revoke-sessions",
            "reset-mfa"
        ]
        .iter()
        .all(|command| stdout.contains(command)),
        "{stdout}"
    );
    let (code, stdout, _) = run_loud(&["create-user", "--help"], &[]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("--email") && stdout.contains("--role"),
        "{stdout}"
    );
    for args in [
        &["frobnicate"][..],
        &["create-user"],
        &["create-user", "--email"],
    ] {
        let (code, _, stderr) = run_loud(args, &[]);
        assert_eq!(code, Some(1), "{args:?}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
}

#[rocket::async_test]
async fn deactivate_activate_and_set_role_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let databases = format!("{{app={{url=\"{url}\"}}}}");
    let envs = [("ROCKET_DATABASES", databases.as_str())];
    let create = ["create-user", "--email", "ann@example.com"];
    assert!(run(&create, &envs, &format!("{PASSWORD}\n")).0);
    let app = app_with(|f| f.merge(("databases.app.url", url))).await;
    let ann = app.login("ann@example.com", FIREFOX).await;

    let deactivate = ["deactivate-user", "--email", "Ann@Example.com"];
    let (ok, out) = run(&deactivate, &envs, "");
    assert!(
        ok && out.contains("deactivated ann@example.com and revoked 1 sessions"),
        "{out}"
    );
    // Out at once, everywhere: no refresh, no page, no sign-in.
    assert_eq!(app.refresh(&ann).await.status(), Status::Unauthorized);
    let me = app.get_with("/api/auth/me", &ann.access).await;
    assert_eq!(me.status(), Status::Unauthorized);
    let body = json!({ "email": "ann@example.com", "password": PASSWORD });
    let refused = app
        .post_json("/api/auth/login", body.clone(), FIREFOX)
        .await;
    assert_eq!(refused.status(), Status::Unauthorized);
    let (ok, out) = run(&deactivate, &envs, "");
    assert!(ok && out.contains("already deactivated"), "{out}");

    let (ok, out) = run(&["activate-user", "--email", "ann@example.com"], &envs, "");
    assert!(ok && out.contains("activated ann@example.com"), "{out}");
    let ann = app.login("ann@example.com", FIREFOX).await;
    assert_eq!(payload(&ann.access)["role"], "user");

    let set_role = ["set-role", "--email", "ann@example.com", "--role", "admin"];
    let (ok, out) = run(&set_role, &envs, "");
    assert!(ok && out.contains("now has role admin"), "{out}");
    let refreshed: serde_json::Value = app.refresh(&ann).await.into_json().await.unwrap();
    let access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(payload(access)["role"], "admin", "from the next refresh");
    let (ok, out) = run(&set_role, &envs, "");
    assert!(ok && out.contains("already has role admin"), "{out}");
    let kinds = event_kinds(&app, access).await;
    for kind in ["role_changed", "user_activated", "user_deactivated"] {
        assert!(kinds.contains(&kind.to_owned()), "{kind}: {kinds:?}");
    }

    // Refusals: one line on stderr, exit status 1.
    for (args, says) in [
        (
            &["deactivate-user", "--email", "nobody@example.com"][..],
            "no user has this email",
        ),
        (&["activate-user", "--email", "nope"], "valid email"),
        (
            &["set-role", "--email", "ann@example.com", "--role", "god"],
            "role",
        ),
        (&["set-role", "--email", "ann@example.com"], "--role"),
    ] {
        let (code, _, stderr) = run_loud(args, &envs);
        assert_eq!(code, Some(1), "{args:?}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(says),
            "{args:?}: {stderr}"
        );
    }
}

#[rocket::async_test]
async fn insecure_cookies_outside_debug_are_started_with_a_warning_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let databases = format!("{{app={{url=\"{url}\"}}}}");
    let mut child = Command::new(BIN)
        .envs([
            ("ROCKET_PROFILE", "release"),
            ("ROCKET_DATABASES", databases.as_str()),
            ("ROCKET_JWT_SECRET", SECRET),
            ("ROCKET_DATA_KEY", DATA_KEY),
            ("ROCKET_ALLOW_MAIL_OUTBOX", "true"),
            ("ROCKET_ALLOW_PLAIN_HTTP", "true"),
            ("ROCKET_COOKIE_SECURE", "false"),
            ("ROCKET_PORT", "0"),
            ("ROCKET_LOG_LEVEL", "normal"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // The warning comes at ignition, before the server listens; then stop it.
    let mut out = String::new();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let warned = loop {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut reader, &mut line).unwrap_or(0) == 0 {
            break false;
        }
        out.push_str(&line);
        if line.contains("cookie_secure is false outside debug") {
            break true;
        }
        if line.contains("launched from") {
            break false;
        }
    };
    child.kill().ok();
    child.wait().ok();
    assert!(warned, "{out}");
}

#[rocket::async_test]
async fn list_users_revoke_sessions_and_reset_mfa_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let databases = format!("{{app={{url=\"{url}\"}}}}");
    let envs = [("ROCKET_DATABASES", databases.as_str())];
    let app = app_with(|f| f.merge(("databases.app.url", url))).await;
    let ann = app.register("ann@example.com").await;
    app.enable_mfa(&ann).await;
    let bob = app.register("bob@example.com").await;

    let (ok, out) = run(&["list-users"], &envs, "");
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("EMAIL"),
        "{out}"
    );
    assert!(lines[1].contains("bob@example.com"), "newest first: {out}");
    assert!(
        lines[2].contains("ann@example.com") && lines[2].contains("yes"),
        "{out}"
    );
    assert_eq!(lines[3], "2 users");
    let (ok, out) = run(&["list-users", "--json", "--query", "ANN"], &envs, "");
    assert!(ok, "{out}");
    let users: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("JSON: {e}: {out}"));
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["email"], "ann@example.com");
    assert_eq!(users[0]["mfa_enabled"], true);
    assert_eq!(users[0]["sessions"], 1);
    assert!(!out.contains("argon2"));

    let (ok, out) = run(
        &["revoke-sessions", "--email", "bob@example.com"],
        &envs,
        "",
    );
    assert!(
        ok && out.contains("revoked 1 sessions of bob@example.com"),
        "{out}"
    );
    assert_eq!(app.refresh(&bob).await.status(), Status::Unauthorized);

    let (ok, out) = run(&["reset-mfa", "--email", "ann@example.com"], &envs, "");
    assert!(ok && out.contains("the password alone signs in"), "{out}");
    let login = app.login("ann@example.com", FIREFOX).await;
    assert_eq!(login.body["user"]["mfa_enabled"], false);
    let (ok, out) = run(&["reset-mfa", "--email", "ann@example.com"], &envs, "");
    assert!(ok && out.contains("has no second factor"), "{out}");

    // Audited as done from the command line.
    let audit: Vec<(String, String)> =
        sqlx::query_as("SELECT admin_email, action FROM admin_audit ORDER BY id")
            .fetch_all(app.db())
            .await
            .unwrap();
    let command_line = |action: &str| ("command line".to_owned(), action.to_owned());
    assert_eq!(
        audit,
        [command_line("sessions_revoked"), command_line("mfa_reset")]
    );

    for args in [
        &["revoke-sessions", "--email", "nobody@example.com"][..],
        &["reset-mfa", "--email", "nobody@example.com"],
    ] {
        let (code, _, stderr) = run_loud(args, &envs);
        assert_eq!(code, Some(1), "{args:?}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains("no user has this email"),
            "{args:?}: {stderr}"
        );
    }
}
