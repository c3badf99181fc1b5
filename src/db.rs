//! The database pool and its embedded migrations; one engine per build (`sqlite` or `postgres`).

pub mod availability;

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
pub struct Db(AppPool);

/// sqlx's pool, built here rather than by rocket_db_pools' generic `init`, for two settings it
/// does not expose (bench/ measured both on the hot paths):
/// - no ping before each checkout (`test_before_acquire`): on SQLite a ping is a second round
///   trip to the connection's worker thread, doubling the cost of a one-query guard like
///   `CurrentUser`. On PostgreSQL, connections that died with the server are retired by the
///   cheaper rules of `availability::check_before_acquire` instead;
/// - SQLite `synchronous = NORMAL` in WAL mode: commits stop waiting for an fsync each (the WAL
///   is synced at checkpoints). The database cannot be corrupted; a power cut (not a crash of the
///   app) may lose the last commits, at worst a rotation, whose holder then signs in again;
/// - SQLite checkpoints off the request path (`wal_autocheckpoint = 0`, then `checkpoints`): by
///   default the commit that fills the WAL to 1,000 pages copies them into the database and
///   fsyncs twice while it holds the write lock, and every writer queued behind it waits (the
///   p99 of 8 refresh chains, bench/).
pub struct AppPool {
    pool: Pool,
    writer: Writer,
}

impl std::ops::Deref for AppPool {
    type Target = Pool;
    fn deref(&self) -> &Pool {
        &self.pool
    }
}

impl AppPool {
    /// The turn hot writes take, and on SQLite the connection they may run on.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }
}

type InitError = rocket_db_pools::Error<sqlx::Error>;

#[rocket::async_trait]
impl rocket_db_pools::Pool for AppPool {
    type Connection = sqlx::pool::PoolConnection<Engine>;
    type Error = InitError;

    async fn init(figment: &rocket::figment::Figment) -> Result<Self, InitError> {
        use sqlx::ConnectOptions;
        use std::time::Duration;

        let config = figment.extract::<rocket_db_pools::Config>()?;
        type Options = <<Engine as sqlx::Database>::Connection as sqlx::Connection>::Options;
        let options = config.url.parse::<Options>().map_err(InitError::Init)?;
        #[cfg(feature = "sqlite")]
        let options = options
            .busy_timeout(Duration::from_secs(config.connect_timeout))
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
            .pragma("wal_autocheckpoint", "0");
        // The server's NOTICEs ("relation … already exists, skipping" from the migrator) are not
        // for the app's log, nor for a command's standard output (`list-users --json`).
        #[cfg(feature = "postgres")]
        let options = options.options([("client_min_messages", "warning")]);
        let pool = sqlx::pool::PoolOptions::new();
        #[cfg(feature = "postgres")]
        let pool = pool.before_acquire(availability::check_before_acquire);
        let pool = pool
            .max_connections(config.max_connections as u32)
            .min_connections(config.min_connections.unwrap_or_default())
            .acquire_timeout(Duration::from_secs(config.connect_timeout))
            .idle_timeout(config.idle_timeout.map(Duration::from_secs))
            .test_before_acquire(false)
            .connect_with(options.disable_statement_logging())
            .await
            .map_err(InitError::Init)?;
        let writer = Writer::new(pool.clone());
        Ok(AppPool { pool, writer })
    }

    async fn get(&self) -> Result<Self::Connection, InitError> {
        self.pool.acquire().await.map_err(InitError::Get)
    }

    async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Database", |rocket| async {
        let rocket = rocket
            .attach(Db::init())
            .attach(AdHoc::try_on_ignite("Migrations", run_migrations));
        #[cfg(feature = "sqlite")]
        let rocket = rocket.attach(checkpoints());
        rocket
    })
}

/// How often the SQLite WAL is copied back into the database file.
#[cfg(feature = "sqlite")]
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// SQLite's checkpoints, in the background: a passive checkpoint every `CHECKPOINT_EVERY` copies
/// what the WAL holds into the database file and fsyncs it on a pool connection's own thread,
/// while writers go on appending to the WAL (a passive checkpoint takes no write lock). The WAL
/// starts over from its beginning at the first commit after a complete one, so it stays at what
/// half a second of writes fills. The last connection to close checkpoints whatever is left.
#[cfg(feature = "sqlite")]
fn checkpoints() -> AdHoc {
    AdHoc::on_liftoff("SQLite checkpoints", |rocket| {
        Box::pin(async move {
            let Some(db) = Db::fetch(rocket) else {
                return;
            };
            let db: Pool = (**db).clone();
            rocket::tokio::spawn(async move {
                let mut warned = false;
                while !db.is_closed() {
                    rocket::tokio::time::sleep(CHECKPOINT_EVERY).await;
                    let done = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                        .execute(&db)
                        .await;
                    match done {
                        Err(e) if !db.is_closed() && !std::mem::replace(&mut warned, true) => {
                            rocket::warn!(
                                "SQLite checkpoint failed (the WAL grows until one succeeds): {e}"
                            )
                        }
                        Err(_) => {}
                        Ok(_) => warned = false,
                    }
                }
            });
        })
    })
}

/// The engine's migrations, embedded in the binary. sqlx's migrator holds an advisory lock
/// (`pg_advisory_lock`, keyed by the database's name) from before it reads which migrations
/// are applied until it has applied the rest, so instances that start together on an empty
/// database apply each migration once and wait for each other (tests/api/database.rs starts
/// eight at once; a migrator without its lock fails that test).
pub fn migrator() -> sqlx::migrate::Migrator {
    #[cfg(feature = "sqlite")]
    let migrator = sqlx::migrate!("migrations/sqlite");
    #[cfg(feature = "postgres")]
    let migrator = sqlx::migrate!("migrations/postgres");
    migrator
}

async fn run_migrations(rocket: Rocket<Build>) -> fairing::Result {
    // No pool: its own fairing failed the launch and said why; nothing to add here.
    let Some(db) = rocket.state::<Db>() else {
        return Ok(rocket);
    };
    match migrator().run(&***db).await {
        Ok(()) => Ok(rocket),
        Err(e) => {
            rocket::error!("database migrations failed: {e}");
            Err(rocket)
        }
    }
}

/// Hot writes (a rotation, a sign-out by refresh token, a passkey ceremony taken) one at a time.
///
/// SQLite admits one writer at a time and makes the others sleep in its busy handler, retrying
/// after back-offs of up to 100 ms, in no order: with 8 refresh chains at once a rotation waited
/// up to 1.2 s (bench/). Hot writes take a turn here first, in arrival order, and so find the
/// database free. The turn also holds a connection of its own, out of the pool, for the rotation:
/// one worker thread kept busy rather than the pool's sixteen in turn, no checkout, and no task
/// spawned to give the connection back (sqlx does that on every pooled query): 0.95x the
/// instructions and 0.7x the context switches of a refresh (bench/README.md).
/// PostgreSQL locks rows: its turn is free and holds no connection.
pub struct Writer {
    pool: Pool,
    #[cfg(feature = "sqlite")]
    turn: rocket::tokio::sync::Mutex<Option<sqlx::SqliteConnection>>,
}

/// Held while a hot write runs.
pub struct WriteTurn<'a> {
    pool: &'a Pool,
    #[cfg(feature = "sqlite")]
    connection: rocket::tokio::sync::MutexGuard<'a, Option<sqlx::SqliteConnection>>,
}

impl Writer {
    fn new(pool: Pool) -> Writer {
        Writer {
            pool,
            #[cfg(feature = "sqlite")]
            turn: rocket::tokio::sync::Mutex::const_new(None),
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub async fn turn(&self) -> WriteTurn<'_> {
        WriteTurn {
            pool: &self.pool,
            #[cfg(feature = "sqlite")]
            connection: self.turn.lock().await,
        }
    }

    /// Closes the turn's connection (a pool closing closes its own).
    async fn close(&self) {
        #[cfg(feature = "sqlite")]
        if let Some(connection) = self.turn.lock().await.take() {
            let _ = sqlx::Connection::close(connection).await;
        }
    }
}

impl WriteTurn<'_> {
    /// SQLite: the turn's own connection, opened at the first turn and kept; PostgreSQL: `None`
    /// (run on the pool).
    pub async fn connection(
        &mut self,
    ) -> Result<Option<&mut <Engine as sqlx::Database>::Connection>, sqlx::Error> {
        #[cfg(feature = "sqlite")]
        {
            if self.connection.is_none() {
                *self.connection = Some(self.pool.acquire().await?.detach());
            }
            Ok(self.connection.as_mut())
        }
        #[cfg(feature = "postgres")]
        {
            Ok(None)
        }
    }

    /// A transaction on the turn's connection (SQLite) or on a pooled one (PostgreSQL).
    pub async fn begin(&mut self) -> Result<sqlx::Transaction<'_, Engine>, sqlx::Error> {
        let pool = self.pool;
        match self.connection().await? {
            Some(connection) => sqlx::Connection::begin(connection).await,
            None => pool.begin().await,
        }
    }

    /// Ends the turn (as dropping it does): the next writer goes.
    pub fn end(self) {}

    /// After an error on the turn's connection: the next turn opens another.
    pub fn discard_connection(&mut self) {
        #[cfg(feature = "sqlite")]
        {
            *self.connection = None;
        }
    }
}

/// Whether the database answers a query now (readiness); waits at most the acquire timeout.
pub async fn answers(db: &Pool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(db).await.map(|_| ())
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

    use super::{Pool, Writer};

    #[rocket::async_test]
    async fn write_turns_are_taken_one_at_a_time_on_a_connection_they_keep() {
        let writer = Writer::new(Pool::connect("sqlite::memory:").await.unwrap());
        let mut first = writer.turn().await;
        let connection = first.connection().await.unwrap().unwrap();
        // A temporary table lives as long as its connection, and only there.
        sqlx::query("CREATE TEMP TABLE mark (x)")
            .execute(&mut *connection)
            .await
            .unwrap();
        assert!(
            writer.turn().now_or_never().is_none(),
            "a second writer got in"
        );
        drop(first);
        let marked = "SELECT count(*) FROM temp.sqlite_master WHERE name = 'mark'";
        let mut second = writer.turn().now_or_never().expect("the turn is free");
        let connection = second.connection().await.unwrap().unwrap();
        let kept: i64 = sqlx::query_scalar(marked)
            .fetch_one(connection)
            .await
            .unwrap();
        assert_eq!(kept, 1, "the turn's connection was kept");
        second.discard_connection();
        let mut tx = second.begin().await.unwrap();
        let after: i64 = sqlx::query_scalar(marked)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(after, 0, "a discarded connection is replaced");
    }
}
