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

/// Held while a hot write transaction runs; `None` where the engine needs no turn.
pub type WriteTurn = Option<rocket::tokio::sync::MutexGuard<'static, ()>>;

/// SQLite admits one writer at a time and makes the others sleep in its busy handler, retrying
/// after back-offs of up to 100 ms, in no order: with 8 refresh chains at once a rotation waited
/// up to 1.2 s (bench/). Hot write transactions take a turn here first, in arrival order, and so
/// find the database free. One database per process in production; the tests' many databases
/// merely share turns. PostgreSQL locks rows and takes no turn.
pub async fn write_turn() -> WriteTurn {
    #[cfg(feature = "sqlite")]
    {
        static WRITERS: rocket::tokio::sync::Mutex<()> = rocket::tokio::sync::Mutex::const_new(());
        Some(WRITERS.lock().await)
    }
    #[cfg(feature = "postgres")]
    {
        None
    }
}

/// True when the error is a unique-constraint violation (portable across engines).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use rocket::futures::FutureExt;

    use super::write_turn;

    #[rocket::async_test]
    async fn write_turns_are_taken_one_at_a_time() {
        let first = write_turn().await;
        assert!(first.is_some());
        assert!(
            write_turn().now_or_never().is_none(),
            "a second writer got in"
        );
        drop(first);
        assert!(write_turn().now_or_never().is_some());
    }
}
