//! The database pool and its embedded migrations; one engine per build (`sqlite` or `postgres`).

use rocket::fairing::{self, AdHoc};
use rocket::{Build, Rocket};
use rocket_db_pools::Database;

#[cfg(all(feature = "sqlite", feature = "postgres"))]
compile_error!("features `sqlite` and `postgres` are exclusive: build with --no-default-features --features postgres");
#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("enable one database engine: feature `sqlite` (default) or `postgres`");

#[cfg(feature = "sqlite")]
pub type Engine = sqlx::Sqlite;
#[cfg(feature = "postgres")]
pub type Engine = sqlx::Postgres;

pub type Pool = sqlx::Pool<Engine>;

/// Configured under `[default.databases.app]` in `Rocket.toml` (`ROCKET_DATABASES`).
#[derive(Database)]
#[database("app")]
pub struct Db(Pool);

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Database", |rocket| async {
        rocket
            .attach(Db::init())
            .attach(AdHoc::try_on_ignite("Migrations", run_migrations))
    })
}

async fn run_migrations(rocket: Rocket<Build>) -> fairing::Result {
    let Some(db) = Db::fetch(&rocket) else {
        return Err(rocket);
    };
    #[cfg(feature = "sqlite")]
    let migrator = sqlx::migrate!("migrations/sqlite");
    #[cfg(feature = "postgres")]
    let migrator = sqlx::migrate!("migrations/postgres");
    match migrator.run(&**db).await {
        Ok(()) => Ok(rocket),
        Err(e) => {
            rocket::error!("database migrations failed: {e}");
            Err(rocket)
        }
    }
}

/// True when the error is a unique-constraint violation (portable across engines).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}
