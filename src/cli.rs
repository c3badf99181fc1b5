//! The command line: `serve` (the default) and the administration commands beside it
//! (`create-user`, `deactivate-user`, `activate-user`, `set-role`), all on the
//! server's own configuration (Rocket.toml, `ROCKET_…`). Add a command as a `Command` variant and
//! a function below; clap writes `--help`. Every error is one line on stderr and exit status 1.

use std::io::BufRead;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rocket::figment::Figment;
use rocket::{Build, Rocket};
use rocket_db_pools::Database;

use crate::account::admin::{self, Change};
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
