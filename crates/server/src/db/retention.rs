//! What retention removes, and the lease that lets one instance purge at a time.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement, Value};
use uuid::Uuid;

use super::{
    entities::{flag_review, monitoring_event, monitoring_image, monitoring_session},
    PersistenceError,
};

/// Takes the lease `name` for `holder` until `until` if nobody holds it now (or
/// `holder` does): one atomic statement, so of many instances at once one gets it.
pub async fn take_lease(db: &DatabaseConnection, name: &str, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool, PersistenceError> {
    let sql = "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3) \
        ON CONFLICT (name) DO UPDATE SET holder = $2, until = $3 \
        WHERE leases.until <= $4 OR leases.holder = $2 RETURNING holder";
    let values: Vec<Value> = vec![name.into(), holder.into(), until.timestamp_millis().into(), now.timestamp_millis().into()];
    let row = db.query_one_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, values)).await?;
    Ok(row.is_some())
}

/// Gives the lease back early (the work is done).
pub async fn release_lease(db: &DatabaseConnection, name: &str, holder: &str) -> Result<(), PersistenceError> {
    let sql = "UPDATE leases SET until = 0 WHERE name = $1 AND holder = $2";
    db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, vec![name.into(), holder.into()])).await?;
    Ok(())
}

/// Up to `limit` images captured before `cutoff`: `(id, key)`, oldest first.
pub async fn expired_images(db: &DatabaseConnection, cutoff: DateTime<Utc>, limit: u64) -> Result<Vec<(Uuid, String)>, PersistenceError> {
    Ok(monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::Id)
        .column(monitoring_image::Column::ObjectKey)
        .filter(monitoring_image::Column::CapturedAt.lt(cutoff))
        .order_by_asc(monitoring_image::Column::CapturedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// How much is past `cutoff`: (images, events, sessions).
pub async fn count_expired(db: &DatabaseConnection, cutoff: DateTime<Utc>) -> Result<(u64, u64, u64), PersistenceError> {
    let images = monitoring_image::Entity::find().filter(monitoring_image::Column::CapturedAt.lt(cutoff)).count(db).await?;
    let events = monitoring_event::Entity::find().filter(monitoring_event::Column::At.lt(cutoff)).count(db).await?;
    let sessions = monitoring_session::Entity::find().filter(monitoring_session::Column::StartedAt.lt(cutoff)).count(db).await?;
    Ok((images, events, sessions))
}

/// Removes the events, sessions and verdicts from before `cutoff`: (events, sessions).
pub async fn remove_expired_rows(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<(u64, u64), PersistenceError> {
    let events = monitoring_event::Entity::delete_many().filter(monitoring_event::Column::At.lt(cutoff)).exec(db).await?.rows_affected;
    let sessions = monitoring_session::Entity::delete_many().filter(monitoring_session::Column::StartedAt.lt(cutoff)).exec(db).await?.rows_affected;
    // A verdict older than the retention period goes too (its event, stored or
    // computed from images, is gone or going).
    flag_review::Entity::delete_many().filter(flag_review::Column::ReviewedAt.lt(cutoff)).exec(db).await?;
    Ok((events, sessions))
}
