//! The command line beside the server: `create-user`, for the first admin and scripted set-ups.

use std::io::BufRead;
use std::process::ExitCode;

use rocket_db_pools::Database;

use crate::auth::password::Passwords;
use crate::auth::users::{
    create_user as insert_user, parse_name, parse_role, Email, NewPassword, NewUser,
};
use crate::db::Db;
use crate::error::ApiError;

pub const USAGE: &str = "\
usage: rocket-auth-template [serve]
       rocket-auth-template create-user --email EMAIL [--name NAME] [--role user|admin]

create-user reads the password from the first line of standard input, so it never shows in the
process list or shell history:  echo 'a long passphrase' | cargo run -- create-user --email ...
It uses the same configuration (Rocket.toml, ROCKET_DATABASES...) as the server.";

struct Args {
    email: String,
    name: Option<String>,
    role: String,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let (mut email, mut name, mut role) = (None, None, "user".to_owned());
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--email" => email = Some(value()?),
            "--name" => name = Some(value()?),
            "--role" => role = value()?,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let email = email.ok_or("--email is required")?;
    Ok(Args { email, name, role })
}

pub async fn create_user(args: &[String]) -> ExitCode {
    match run_create_user(args).await {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run_create_user(args: &[String]) -> Result<String, String> {
    let args = parse_args(args).map_err(|e| format!("{e}\n\n{USAGE}"))?;
    let email = Email::parse(&args.email).map_err(|e| e.message())?;
    let role = parse_role(&args.role).map_err(|e| e.message())?;
    let name = parse_name(args.name.as_deref()).map_err(|e| e.message())?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    let password = NewPassword::parse(password, &email).map_err(|e| e.message())?;

    let figment = rocket::Config::figment().merge(("log_level", "critical"));
    let rocket = crate::build(figment)
        .ignite()
        .await
        .map_err(|e| format!("cannot start the app (configuration or database): {e}"))?;
    let db = Db::fetch(&rocket).ok_or("database pool missing")?;
    let passwords = rocket
        .state::<Passwords>()
        .ok_or("password hasher missing")?;
    let new = NewUser {
        email,
        password,
        name,
        role,
    };
    match insert_user(db, passwords, new).await {
        Ok(user) => Ok(format!(
            "created user {} <{}> with role {}",
            user.id, user.email, user.role
        )),
        Err(ApiError::EmailTaken) => Err("a user with this email already exists".into()),
        Err(e) => Err(e.message()),
    }
}
