//! Persistence: SeaORM over SQLite or PostgreSQL, behind small repository functions.

pub mod accounts;
pub mod applications;
pub mod audit;
pub mod counters;
pub mod entities;
pub mod faces;
pub mod images;
pub mod integration;
pub mod integrity;
pub mod live;
mod migration;
pub mod retention;
mod sqlite;
pub mod summaries;
pub mod webhooks;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, SqlErr};
use sea_orm_migration::MigratorTrait;

pub use migration::Migrator;

#[derive(Debug, thiserror::Error)]
pub enum PersistenceError {
    #[error("the database is unreachable")]
    Unreachable(#[source] DbErr),
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("a database query failed")]
    Query(#[source] DbErr),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

impl From<DbErr> for PersistenceError {
    fn from(error: DbErr) -> Self {
        if unavailable(&error) {
            PersistenceError::Unreachable(error)
        } else {
            PersistenceError::Query(error)
        }
    }
}

/// Whether the database went away (refused, reset, timed out, shutting down)
/// or ran out of room, rather than refused a statement: the first is 503 and
/// worth retrying, the second is a fault of ours. A pooled connection broken by
/// a database restart fails its next statement with an I/O error, not a
/// connection error.
fn unavailable(error: &DbErr) -> bool {
    use sea_orm::{sqlx, RuntimeErr};
    match error {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(inner)) | DbErr::Query(RuntimeErr::SqlxError(inner)) => {
            match inner.as_ref() {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                // PostgreSQL: 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now,
                // 08xxx connection exceptions, 53xxx insufficient resources (53100 disk_full).
                // SQLite (numbers): 13 SQLITE_FULL (the disk is full).
                sqlx::Error::Database(database) => database.code().is_some_and(|code| {
                    let postgres = code.len() == 5;
                    (postgres
                        && (code.starts_with("57P")
                            || code.starts_with("08")
                            || code.starts_with("53")))
                        || code == "13"
                }),
                _ => false,
            }
        }
        _ => false,
    }
}

impl PersistenceError {
    /// Turns a unique-constraint violation into `Duplicate(what)`.
    pub fn duplicate_as(error: DbErr, what: impl FnOnce() -> String) -> Self {
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => PersistenceError::Duplicate(what()),
            _ => error.into(),
        }
    }
}

/// Connects and brings the schema up to date.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, PersistenceError> {
    if let Some(path) = sqlite_file(url) {
        if let Some(parent) = std::path::Path::new(path).parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                PersistenceError::Unreachable(DbErr::Custom(format!(
                    "cannot create {}: {e}",
                    parent.display()
                )))
            })?;
        }
    }
    let mut options = ConnectOptions::new(url.to_string());
    // WAL lets readers go on while one writer commits. FULL syncs the WAL at every
    // commit: an upload answered 200 has its row on disk and survives a power cut
    // (NORMAL could roll back the last commits, and the sweep would then delete
    // their objects as orphans).
    options.map_sqlx_sqlite_opts(|sqlite| {
        sqlite
            .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(10))
    });
    options.map_sqlx_sqlite_pool_opts(|pool| {
        pool.after_connect(|connection, _| Box::pin(sqlite::plan_once(connection)))
    });
    options
        .sqlx_logging(false)
        .connect_timeout(std::time::Duration::from_secs(5))
        .acquire_timeout(std::time::Duration::from_secs(5));
    let db = Database::connect(options)
        .await
        .map_err(PersistenceError::Unreachable)?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}
