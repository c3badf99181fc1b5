use std::process::ExitCode;

#[rocket::main]
async fn main() -> ExitCode {
    rocket_auth_template::cli::run().await
}
