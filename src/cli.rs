//! The command line: `serve` (the default) and the administration commands beside it
//! (`create-user`, `deactivate-user`, `activate-user`, `set-role`, `list-users`,
//! `revoke-sessions`, `reset-mfa`, `rotate-data-key`), all on the
//! server's own configuration (Rocket.toml, `ROCKET_…`). Add a command as a `Command` variant and
//! a function below; clap writes `--help`. Every error is one line on stderr and exit status 1.

use std::io::BufRead;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rocket::figment::Figment;
use rocket::{Build, Rocket};
use rocket_db_pools::Database;

use crate::account::admin::{self, Change};
use crate::account::Auth;
use crate::admin::directory::AdminView;
use crate::admin::Actor;
use crate::auth::device::ClientInfo;
use crate::auth::password::Passwords;
use crate::auth::users::{create_user, parse_name, Email, NewPassword, NewUser, Role};
use crate::db::{Db, Pool};
use crate::error::ApiError;

#[derive(Parser, Debug)]
#[command(version, about = "A Rocket web app with JWT sessions per device.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the app (the default when no command is given).
    Serve,
    /// Create a user, reading the password from standard input.
    ///
    /// The password is the first line of standard input, so it never shows in the process list
    /// or shell history:
    /// `echo 'a long passphrase' | cargo run -- create-user --email ann@example.com`
    CreateUser {
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// `user` or `admin`.
        #[arg(long, default_value = "user")]
        role: Role,
    },
    /// Deactivate a user: every session revoked at once, no sign-in until activated again.
    DeactivateUser {
        #[arg(long)]
        email: String,
    },
    /// Activate a deactivated user again (they sign in anew).
    ActivateUser {
        #[arg(long)]
        email: String,
    },
    /// Change a user's role; their tokens carry it from their next refresh.
    SetRole {
        #[arg(long)]
        email: String,
        /// `user` or `admin`.
        #[arg(long)]
        role: Role,
    },
    /// List users, newest first: a table, or JSON with `--json`.
    ListUsers {
        /// Only users whose email or name contains this.
        #[arg(long)]
        query: Option<String>,
        /// One JSON array, each user as `GET /api/admin/users` shows them.
        #[arg(long)]
        json: bool,
    },
    /// Sign every device of a user out (a stolen laptop).
    RevokeSessions {
        #[arg(long)]
        email: String,
    },
    /// Remove a user's second factor and recovery codes (a lost phone): the password alone
    /// signs in again.
    ResetMfa {
        #[arg(long)]
        email: String,
    },
    /// Seal every two-factor secret and stored key again under the current `data_key`; after
    /// it, `previous_data_keys` can be emptied.
    RotateDataKey,
}

/// Parses the command line and runs the command.
pub async fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help, --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => return fail(&first_line(&e.to_string())),
    };
    let figment = rocket::Config::figment();
    // The configuration is checked before anything starts: one line for what to fix.
    if let Err(why) = check_config(&figment) {
        return fail(&format!("invalid configuration: {why}"));
    }
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(figment).await,
        Command::CreateUser { email, name, role } => {
            create_user_from_stdin(figment, &email, name.as_deref(), role).await
        }
        Command::DeactivateUser { email } => set_active(figment, &email, false).await,
        Command::ActivateUser { email } => set_active(figment, &email, true).await,
        Command::SetRole { email, role } => set_role(figment, &email, role).await,
        Command::ListUsers { query, json } => list_users(figment, query.as_deref(), json).await,
        Command::RevokeSessions { email } => revoke_sessions(figment, &email).await,
        Command::ResetMfa { email } => reset_mfa(figment, &email).await,
        Command::RotateDataKey => rotate_data_key(figment).await,
    };
    match outcome {
        Ok(message) => {
            if !message.is_empty() {
                println!("{message}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {}", message.trim_start_matches("error: "));
    ExitCode::FAILURE
}

/// The first paragraph of clap's message on one line ("…not provided: --role <ROLE>").
fn first_line(text: &str) -> String {
    let paragraph: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|line| !line.is_empty())
        .collect();
    format!("{} (see --help)", paragraph.join(" "))
}

/// Rocket's own settings (address, port, limits…) and ours.
fn check_config(figment: &Figment) -> Result<(), String> {
    figment
        .extract::<rocket::Config>()
        .map_err(|e| first_line_of_figment(&e))?;
    crate::config::load(figment).map(|_| ())
}

fn first_line_of_figment(error: &rocket::figment::Error) -> String {
    error
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn serve(figment: Figment) -> Result<String, String> {
    use rocket::error::ErrorKind;
    match crate::build(figment).launch().await {
        Ok(_) => Ok(String::new()),
        Err(e) => Err(match e.kind() {
            // Each failing stage has logged its own reason just above.
            ErrorKind::FailedFairings(failed) => {
                let names: Vec<&str> = failed.iter().map(|info| info.name).collect();
                format!("cannot start: {} failed (see above)", names.join(", "))
            }
            other => other.to_string(),
        }),
    }
}

/// The app ignited but not launched: its configuration, database (migrated) and state.
async fn ignite(figment: Figment) -> Result<Rocket<rocket::Ignite>, String> {
    let quiet = figment.merge(("log_level", "critical"));
    let rocket: Rocket<Build> = crate::build(quiet);
    rocket
        .ignite()
        .await
        .map_err(|e| format!("cannot start the app (configuration or database): {e}"))
}

fn pool(rocket: &Rocket<rocket::Ignite>) -> Result<&Pool, String> {
    Db::fetch(rocket)
        .map(|db| &***db)
        .ok_or_else(|| "the database pool is missing".into())
}

async fn create_user_from_stdin(
    figment: Figment,
    email: &str,
    name: Option<&str>,
    role: Role,
) -> Result<String, String> {
    let email = Email::parse(email).map_err(|e| e.message())?;
    let name = parse_name(name).map_err(|e| e.message())?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    let password = NewPassword::parse(password, &email).map_err(|e| e.message())?;

    let rocket = ignite(figment).await?;
    let passwords = rocket
        .state::<Passwords>()
        .ok_or("the password hasher is missing")?;
    let new = NewUser {
        email,
        password,
        name,
        role,
        // The operator vouches for the address they typed.
        email_verified: true,
    };
    match create_user(pool(&rocket)?, passwords, new).await {
        Ok(user) => Ok(format!(
            "created user {} <{}> with role {}",
            user.id, user.email, user.role
        )),
        Err(ApiError::EmailTaken) => Err("a user with this email already exists".into()),
        Err(e) => Err(e.message()),
    }
}

/// A user-facing line for a refusal of an administration command.
fn admin_error(error: ApiError) -> String {
    match error {
        ApiError::NotFound => "no user has this email".into(),
        other => other.message(),
    }
}

/// The app an operator command runs on, and the user it names.
async fn operator(
    figment: Figment,
    email: &str,
) -> Result<(Rocket<rocket::Ignite>, Email), String> {
    let email = Email::parse(email).map_err(|e| e.message())?;
    Ok((ignite(figment).await?, email))
}

async fn set_active(figment: Figment, email: &str, active: bool) -> Result<String, String> {
    let (rocket, email) = operator(figment, email).await?;
    let db = pool(&rocket)?;
    let change = admin::set_active(db, &email, active)
        .await
        .map_err(admin_error)?;
    Ok(match (change, active) {
        (Change::Unchanged, true) => format!("{} is already active", email.as_str()),
        (Change::Unchanged, false) => format!("{} is already deactivated", email.as_str()),
        (Change::Changed { .. }, true) => format!("activated {}", email.as_str()),
        (Change::Changed { sessions_revoked }, false) => format!(
            "deactivated {} and revoked {sessions_revoked} sessions",
            email.as_str()
        ),
    })
}

async fn set_role(figment: Figment, email: &str, role: Role) -> Result<String, String> {
    let (rocket, email) = operator(figment, email).await?;
    let db = pool(&rocket)?;
    let change = admin::set_role(db, &email, role)
        .await
        .map_err(admin_error)?;
    Ok(match change {
        Change::Unchanged => format!("{} already has role {role}", email.as_str()),
        Change::Changed { .. } => format!(
            "{} now has role {role} (in their tokens from their next refresh)",
            email.as_str()
        ),
    })
}

async fn list_users(figment: Figment, query: Option<&str>, json: bool) -> Result<String, String> {
    let rocket = ignite(figment).await?;
    let auth = Auth::of(&rocket).ok_or("the app's state is missing")?;
    let client = ClientInfo::command_line();
    let steps = auth.admin(Actor::CommandLine, &client);
    let mut users: Vec<AdminView> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = steps
            .search(query, cursor.as_deref(), 100)
            .await
            .map_err(|e| e.message())?;
        users.extend(page.users.iter().map(AdminView::from));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if json {
        return serde_json::to_string_pretty(&users).map_err(|e| e.to_string());
    }
    Ok(users_table(&users))
}

/// The users as an aligned text table, one line each.
fn users_table(users: &[AdminView]) -> String {
    let header = [
        "ID",
        "EMAIL",
        "NAME",
        "ROLE",
        "ACTIVE",
        "MFA",
        "SESSIONS",
        "LAST SEEN",
    ];
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
    let rows: Vec<[String; 8]> = users
        .iter()
        .map(|u| {
            [
                u.user.id.clone(),
                u.user.email.clone(),
                u.user.name.clone(),
                u.user.role.to_string(),
                yes_no(u.active),
                yes_no(u.user.mfa_enabled),
                u.sessions.to_string(),
                u.last_seen_at.clone().unwrap_or_else(|| "never".into()),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = vec![line(&header.map(str::to_owned))];
    out.extend(rows.iter().map(|row| line(row)));
    out.push(format!("{} users", users.len()));
    out.join("\n")
}

/// The user an operator command names, on the app it runs on.
async fn operator_on_user(
    figment: Figment,
    email: &str,
) -> Result<(Rocket<rocket::Ignite>, Email, i64), String> {
    let (rocket, email) = operator(figment, email).await?;
    let user = admin::find_user(pool(&rocket)?, &email)
        .await
        .map_err(admin_error)?;
    Ok((rocket, email, user.id))
}

async fn revoke_sessions(figment: Figment, email: &str) -> Result<String, String> {
    let (rocket, email, user_id) = operator_on_user(figment, email).await?;
    let auth = Auth::of(&rocket).ok_or("the app's state is missing")?;
    let client = ClientInfo::command_line();
    let revoked = auth
        .admin(Actor::CommandLine, &client)
        .revoke_sessions(user_id)
        .await
        .map_err(admin_error)?;
    Ok(format!("revoked {revoked} sessions of {}", email.as_str()))
}

async fn reset_mfa(figment: Figment, email: &str) -> Result<String, String> {
    let (rocket, email, user_id) = operator_on_user(figment, email).await?;
    let auth = Auth::of(&rocket).ok_or("the app's state is missing")?;
    let client = ClientInfo::command_line();
    let changed = auth
        .admin(Actor::CommandLine, &client)
        .reset_mfa(user_id)
        .await
        .map_err(admin_error)?;
    Ok(match changed {
        true => format!(
            "two-factor sign-in is off for {}: the password alone signs in",
            email.as_str()
        ),
        false => format!("{} has no second factor", email.as_str()),
    })
}

async fn rotate_data_key(figment: Figment) -> Result<String, String> {
    let rocket = ignite(figment).await?;
    let keys = rocket
        .state::<crate::mfa::keys::MfaKeys>()
        .ok_or("the app's state is missing")?;
    let done = crate::mfa::keys::reseal_all(pool(&rocket)?, keys)
        .await
        .map_err(|e| e.message())?;
    let id = keys.data().current_id();
    if done.unreadable > 0 {
        return Err(format!(
            "re-sealed {} two-factor secrets and {} keys under data key {id}, but {} values open \
             under no configured data key: keep previous_data_keys until they are dealt with",
            done.secrets, done.keys, done.unreadable
        ));
    }
    Ok(format!(
        "re-sealed {} two-factor secrets and {} keys under data key {id}: previous_data_keys \
         can now be emptied",
        done.secrets, done.keys
    ))
}
