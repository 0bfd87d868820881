//! Monitoring image rows. Everything that reads or changes one application's
//! images for a user takes the [`Permitted`] handle the access policy hands
//! out for what it does, so a query for an application nobody checked does not
//! compile; a reservation is completed or released only through the
//! [`Reservation`] that made it. The rest answer to other authorities: a
//! signed URL's key (`recorded_sha256`, for `/media`) and the operator's
//! reconciliation of the whole store (`all_rows`, `forget`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DerivePartialModel,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use shared::{capture::CaptureMeta, ImageKind, ImageRef, ObjectKey, UserId};
use uuid::Uuid;

use super::{entities::monitoring_image, PersistenceError};
use crate::policy::{to, Permitted};

/// A capture's row: its record as the client sent it, and what the server made of it.
pub struct NewImageRow<'a> {
    pub meta: &'a CaptureMeta,
    pub key: &'a ObjectKey,
    /// The record's time, or the arrival's when it had none.
    pub captured_at: DateTime<Utc>,
    /// When the reservation is made; set again when the image is completed.
    pub stored_at: DateTime<Utc>,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: UserId,
}

/// A reserved row (`pending`): made by [`reserve`], taken over from an
/// abandoned upload ([`take_over`]), or found by reconciliation
/// ([`RecordedObject::reservation`]). Only these complete or release a row.
pub struct Reservation(Uuid);

impl Reservation {
    pub fn id(&self) -> Uuid {
        self.0
    }
}

/// Reserves the row of an image about to be stored (`pending` until [`complete`]).
/// A second reservation of the same capture id is `Duplicate`.
pub async fn reserve(
    db: &DatabaseConnection,
    permitted: &Permitted<to::Capture>,
    row: NewImageRow<'_>,
) -> Result<Reservation, PersistenceError> {
    debug_assert_eq!(row.key.application_id, permitted.id());
    monitoring_image::ActiveModel {
        id: Set(row.key.id),
        application_id: Set(permitted.id().0),
        kind: Set(row.key.kind.as_str().to_string()),
        object_key: Set(row.key.to_string()),
        captured_at: Set(row.captured_at),
        stored_at: Set(row.stored_at),
        size_bytes: Set(row.size_bytes),
        sha256: Set(row.sha256),
        uploaded_by: Set(row.uploaded_by.0),
        pending: Set(true),
        device_label: Set(row.meta.device_label.clone()),
    }
    .insert(db)
    .await
    .map_err(|e| PersistenceError::duplicate_as(e, || format!("capture {}", row.key.id)))?;
    Ok(Reservation(row.key.id))
}

/// Marks a reserved image as stored; `false` when its row is gone (the
/// application was erased or its images purged while the object was stored).
pub async fn complete(
    db: &impl ConnectionTrait,
    reservation: &Reservation,
    stored_at: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    Ok(monitoring_image::Entity::update_many()
        .col_expr(monitoring_image::Column::Pending, false.into())
        .col_expr(monitoring_image::Column::StoredAt, stored_at.into())
        .filter(monitoring_image::Column::Id.eq(reservation.0))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Gives up a reservation whose object was not stored. Completed rows are never touched.
pub async fn release(
    db: &impl ConnectionTrait,
    reservation: &Reservation,
) -> Result<(), PersistenceError> {
    monitoring_image::Entity::delete_many()
        .filter(monitoring_image::Column::Id.eq(reservation.0))
        .filter(monitoring_image::Column::Pending.eq(true))
        .exec(db)
        .await?;
    Ok(())
}

/// What a listing shows of one image (faces aside: the service adds them).
#[derive(DerivePartialModel)]
#[sea_orm(entity = "monitoring_image::Entity")]
struct Listed {
    object_key: String,
    captured_at: DateTime<Utc>,
    stored_at: DateTime<Utc>,
    device_label: Option<String>,
}

impl Listed {
    fn into_ref(self) -> Result<ImageRef, PersistenceError> {
        let key = self
            .object_key
            .parse()
            .map_err(|e: shared::ObjectKeyError| PersistenceError::Corrupt(e.to_string()))?;
        Ok(ImageRef {
            device_label: self.device_label,
            ..ImageRef::new(key, self.captured_at, self.stored_at)
        })
    }
}

/// The stored images of one kind, oldest first; with `limit`, the latest
/// `limit` captured before `before`. Equal capture times in key order.
pub async fn list(
    db: &DatabaseConnection,
    permitted: &Permitted<to::View>,
    kind: ImageKind,
    before: Option<DateTime<Utc>>,
    limit: Option<u32>,
) -> Result<Vec<ImageRef>, PersistenceError> {
    let mut query = monitoring_image::Entity::find()
        .filter(monitoring_image::Column::ApplicationId.eq(permitted.id().0))
        .filter(monitoring_image::Column::Kind.eq(kind.as_str()))
        .filter(monitoring_image::Column::Pending.eq(false));
    if let Some(before) = before {
        query = query.filter(monitoring_image::Column::CapturedAt.lt(before));
    }
    let mut rows: Vec<Listed> = match limit {
        Some(limit) => {
            let mut rows: Vec<_> = query
                .order_by_desc(monitoring_image::Column::CapturedAt)
                .limit(u64::from(limit))
                .into_partial_model()
                .all(db)
                .await?;
            rows.reverse();
            rows
        }
        None => {
            query
                .order_by_asc(monitoring_image::Column::CapturedAt)
                .into_partial_model()
                .all(db)
                .await?
        }
    };
    rows.sort_by(|a, b| {
        a.captured_at
            .cmp(&b.captured_at)
            .then_with(|| a.object_key.cmp(&b.object_key))
    });
    rows.into_iter().map(Listed::into_ref).collect()
}

/// Which of `keys` are stored images of the permitted applications.
pub async fn recorded_keys(
    db: &DatabaseConnection,
    permitted: &[Permitted<to::View>],
    keys: &[String],
) -> Result<Vec<String>, PersistenceError> {
    Ok(monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::ObjectKey)
        .filter(monitoring_image::Column::ApplicationId.is_in(permitted.iter().map(|p| p.id().0)))
        .filter(monitoring_image::Column::ObjectKey.is_in(keys.iter().cloned()))
        .filter(monitoring_image::Column::Pending.eq(false))
        .into_tuple()
        .all(db)
        .await?)
}

/// The stored image with this key in a permitted application.
pub async fn find(
    db: &DatabaseConnection,
    permitted: &Permitted<to::View>,
    key: &ObjectKey,
) -> Result<Option<monitoring_image::Model>, PersistenceError> {
    Ok(monitoring_image::Entity::find()
        .filter(monitoring_image::Column::ApplicationId.eq(permitted.id().0))
        .filter(monitoring_image::Column::ObjectKey.eq(key.to_string()))
        .filter(monitoring_image::Column::Pending.eq(false))
        .one(db)
        .await?)
}

/// Any row (reserved or stored) with this capture id, in whichever
/// application: how a repeated upload to a permitted application finds the
/// first (and a capture id used in another application is a conflict).
pub async fn find_capture(
    db: &DatabaseConnection,
    _permitted: &Permitted<to::Capture>,
    id: Uuid,
) -> Result<Option<monitoring_image::Model>, PersistenceError> {
    Ok(monitoring_image::Entity::find_by_id(id).one(db).await?)
}

/// Takes over the reservation of an upload that abandoned it (found by
/// [`find_capture`] in the permitted application).
pub fn take_over(
    permitted: &Permitted<to::Capture>,
    row: &monitoring_image::Model,
) -> Option<Reservation> {
    (row.pending && row.application_id == permitted.id().0).then_some(Reservation(row.id))
}

/// Deletes an image of a permitted application; whether a row was deleted.
pub async fn delete(
    db: &impl ConnectionTrait,
    permitted: &Permitted<to::Delete>,
    id: Uuid,
) -> Result<bool, PersistenceError> {
    Ok(monitoring_image::Entity::delete_many()
        .filter(monitoring_image::Column::Id.eq(id))
        .filter(monitoring_image::Column::ApplicationId.eq(permitted.id().0))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// A row as reconciliation sees it.
pub struct RecordedObject {
    pub id: Uuid,
    pub key: String,
    pub pending: bool,
    pub stored_at: DateTime<Utc>,
    /// Recorded at upload.
    pub sha256: String,
}

/// Every row, for reconciliation (an operator's whole-store check, not one application's).
pub async fn all_rows(db: &DatabaseConnection) -> Result<Vec<RecordedObject>, PersistenceError> {
    let rows: Vec<(Uuid, String, bool, DateTime<Utc>, String)> = monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::Id)
        .column(monitoring_image::Column::ObjectKey)
        .column(monitoring_image::Column::Pending)
        .column(monitoring_image::Column::StoredAt)
        .column(monitoring_image::Column::Sha256)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, key, pending, stored_at, sha256)| RecordedObject {
            id,
            key,
            pending,
            stored_at,
            sha256,
        })
        .collect())
}

impl RecordedObject {
    /// The reservation of a pending row, for reconciliation to complete.
    pub fn reservation(&self) -> Option<Reservation> {
        self.pending.then_some(Reservation(self.id))
    }
}

/// Removes a row reconciliation found without its object.
pub async fn forget(db: &DatabaseConnection, row: &RecordedObject) -> Result<(), PersistenceError> {
    monitoring_image::Entity::delete_by_id(row.id)
        .exec(db)
        .await?;
    Ok(())
}

/// Every stored image of a permitted application, oldest first (an export).
pub async fn all_of(
    db: &DatabaseConnection,
    permitted: &Permitted<to::Export>,
) -> Result<Vec<monitoring_image::Model>, PersistenceError> {
    Ok(monitoring_image::Entity::find()
        .filter(monitoring_image::Column::ApplicationId.eq(permitted.id().0))
        .filter(monitoring_image::Column::Pending.eq(false))
        .order_by_asc(monitoring_image::Column::CapturedAt)
        .order_by_asc(monitoring_image::Column::Id)
        .all(db)
        .await?)
}

/// The SHA-256 recorded at upload for the stored image with this key.
pub async fn recorded_sha256(
    db: &DatabaseConnection,
    key: &str,
) -> Result<Option<String>, PersistenceError> {
    Ok(monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::Sha256)
        .filter(monitoring_image::Column::ObjectKey.eq(key))
        .into_tuple()
        .one(db)
        .await?)
}
