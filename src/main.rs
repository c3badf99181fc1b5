use std::process::ExitCode;

#[rocket::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => match rocket_auth_template::rocket().launch().await {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Some("create-user") => rocket_auth_template::cli::create_user(&args[1..]).await,
        Some("help" | "--help" | "-h") => {
            println!("{}", rocket_auth_template::cli::USAGE);
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!(
                "unknown command {other:?}\n\n{}",
                rocket_auth_template::cli::USAGE
            );
            ExitCode::from(2)
        }
    }
}
