//! Monitoring image rows.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use shared::{ApplicationId, ImageKind, ObjectKey, UserId};
use uuid::Uuid;

use super::{entities::monitoring_image, PersistenceError};

pub struct NewImageRow<'a> {
    pub key: &'a ObjectKey,
    pub captured_at: DateTime<Utc>,
    pub stored_at: DateTime<Utc>,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: UserId,
}

pub async fn insert(db: &DatabaseConnection, row: NewImageRow<'_>) -> Result<(), PersistenceError> {
    monitoring_image::ActiveModel {
        id: Set(row.key.id),
        application_id: Set(row.key.application_id.0),
        kind: Set(row.key.kind.as_str().to_string()),
        object_key: Set(row.key.to_string()),
        captured_at: Set(row.captured_at),
        stored_at: Set(row.stored_at),
        size_bytes: Set(row.size_bytes),
        sha256: Set(row.sha256),
        uploaded_by: Set(row.uploaded_by.0),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// `(key, captured_at)` of one kind, oldest first; with `limit`, the latest `limit`
/// captured before `before`.
pub async fn list(
    db: &DatabaseConnection,
    application: ApplicationId,
    kind: ImageKind,
    before: Option<DateTime<Utc>>,
    limit: Option<u32>,
) -> Result<Vec<(String, DateTime<Utc>)>, PersistenceError> {
    let mut query = monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::ObjectKey)
        .column(monitoring_image::Column::CapturedAt)
        .filter(monitoring_image::Column::ApplicationId.eq(application.0))
        .filter(monitoring_image::Column::Kind.eq(kind.as_str()));
    if let Some(before) = before {
        query = query.filter(monitoring_image::Column::CapturedAt.lt(before));
    }
    let mut rows: Vec<(String, DateTime<Utc>)> = match limit {
        Some(limit) => {
            let mut rows: Vec<(String, DateTime<Utc>)> = query
                .order_by_desc(monitoring_image::Column::CapturedAt)
                .limit(u64::from(limit))
                .into_tuple()
                .all(db)
                .await?;
            rows.reverse();
            rows
        }
        None => query.order_by_asc(monitoring_image::Column::CapturedAt).into_tuple().all(db).await?,
    };
    // Equal capture times keep a stable order.
    rows.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Ok(rows)
}

pub async fn recorded_keys(db: &DatabaseConnection, keys: &[String]) -> Result<Vec<String>, PersistenceError> {
    Ok(monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::ObjectKey)
        .filter(monitoring_image::Column::ObjectKey.is_in(keys.iter().cloned()))
        .into_tuple()
        .all(db)
        .await?)
}

pub async fn find(db: &DatabaseConnection, key: &ObjectKey) -> Result<Option<monitoring_image::Model>, PersistenceError> {
    Ok(monitoring_image::Entity::find()
        .filter(monitoring_image::Column::ObjectKey.eq(key.to_string()))
        .one(db)
        .await?)
}

pub async fn find_by_id(db: &DatabaseConnection, id: Uuid) -> Result<Option<monitoring_image::Model>, PersistenceError> {
    Ok(monitoring_image::Entity::find_by_id(id).one(db).await?)
}

/// Whether a row was deleted.
pub async fn delete(db: &DatabaseConnection, id: Uuid) -> Result<bool, PersistenceError> {
    Ok(monitoring_image::Entity::delete_by_id(id).exec(db).await?.rows_affected > 0)
}

pub async fn uploads_since(db: &DatabaseConnection, user: UserId, since: DateTime<Utc>) -> Result<u64, PersistenceError> {
    Ok(monitoring_image::Entity::find()
        .filter(monitoring_image::Column::UploadedBy.eq(user.0))
        .filter(monitoring_image::Column::StoredAt.gt(since))
        .count(db)
        .await?)
}

/// Every recorded key with its row id, for reconciliation.
pub async fn all_keys(db: &DatabaseConnection) -> Result<Vec<(Uuid, String)>, PersistenceError> {
    Ok(monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::Id)
        .column(monitoring_image::Column::ObjectKey)
        .into_tuple()
        .all(db)
        .await?)
}
