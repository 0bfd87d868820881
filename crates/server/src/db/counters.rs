//! Rate counters shared by every instance: one row per subject (an email, a
//! client address, a user's uploads) counting within a fixed window.
//!
//! Each request increments its subject's counter with one atomic statement and
//! learns its own position, so of many requests at once exactly the first
//! `limit` get through: a count taken after inserting (the earlier design) let
//! too many through, or none, depending on timing.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};

use super::PersistenceError;

const TAKE: &str = "INSERT INTO rate_counters (subject, window_start, count) VALUES ($1, $2, $4) \
    ON CONFLICT (subject) DO UPDATE SET \
    count = CASE WHEN rate_counters.window_start <= $3 THEN $4 ELSE rate_counters.count + $4 END, \
    window_start = CASE WHEN rate_counters.window_start <= $3 THEN $2 ELSE rate_counters.window_start END \
    RETURNING count, window_start";

fn statement(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// Counts one more event for `subject` in the window of `window_secs` that
/// started at its first event; returns this event's position in the window (1 = first).
pub async fn take(
    db: &DatabaseConnection,
    subject: &str,
    now: DateTime<Utc>,
    window_secs: i64,
) -> Result<u64, PersistenceError> {
    Ok(take_many(db, subject, now, window_secs, 1).await?.0)
}

/// Counts `n` more events at once; returns the count after them and when the
/// window started (Unix seconds).
pub async fn take_many(
    db: &DatabaseConnection,
    subject: &str,
    now: DateTime<Utc>,
    window_secs: i64,
    n: u64,
) -> Result<(u64, i64), PersistenceError> {
    let now = now.timestamp();
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let values = vec![
        subject.into(),
        now.into(),
        (now - window_secs).into(),
        n.into(),
    ];
    let row = db
        .query_one_raw(statement(db, TAKE, values))
        .await?
        .ok_or_else(|| PersistenceError::Corrupt("the rate counter returned nothing".into()))?;
    let count: i64 = row.try_get_by_index(0).map_err(PersistenceError::from)?;
    let window_start: i64 = row.try_get_by_index(1).map_err(PersistenceError::from)?;
    Ok((count.max(0) as u64, window_start))
}

/// Takes back one event (it did not happen after all: a sign-in that succeeded,
/// an upload that was not stored).
pub async fn give_back(db: &DatabaseConnection, subject: &str) -> Result<(), PersistenceError> {
    let sql = "UPDATE rate_counters SET count = count - 1 WHERE subject = $1 AND count > 0";
    db.execute_raw(statement(db, sql, vec![subject.into()]))
        .await?;
    Ok(())
}

/// Forgets the subject's events (an email's failures after a good sign-in).
pub async fn reset(db: &DatabaseConnection, subject: &str) -> Result<(), PersistenceError> {
    db.execute_raw(statement(
        db,
        "DELETE FROM rate_counters WHERE subject = $1",
        vec![subject.into()],
    ))
    .await?;
    Ok(())
}

/// Removes counters whose window ended before `before`.
pub async fn forget_before(
    db: &DatabaseConnection,
    before: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let sql = "DELETE FROM rate_counters WHERE window_start < $1";
    db.execute_raw(statement(db, sql, vec![before.timestamp().into()]))
        .await?;
    Ok(())
}
