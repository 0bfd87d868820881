//! Face jobs and analyses. Jobs are claimed with a lease: on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so instances working the same table never take the
//! same job; on SQLite (one writer at a time) the same statement without it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Set, Statement, TransactionTrait, Value,
};
use uuid::Uuid;

use super::{
    entities::{face_analysis, face_job, monitoring_image},
    PersistenceError,
};

/// Queues the analysis of a stored camera image (once).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    image: Uuid,
    application: Uuid,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    face_job::Entity::insert(face_job::ActiveModel {
        image_id: Set(image),
        application_id: Set(application),
        attempts: Set(0),
        claimed_until: Set(0),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([face_job::Column::ImageId])
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Queues every stored camera image that has neither an analysis nor a job (an
/// upload whose enqueue failed, or images from before analysis was switched on).
pub async fn enqueue_missing(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, PersistenceError> {
    let sql =
        "INSERT INTO face_jobs (image_id, application_id, attempts, claimed_until, created_at) \
        SELECT i.id, i.application_id, 0, 0, $1 FROM monitoring_images i \
        WHERE i.kind = 'camera' AND i.pending = $2 \
        AND NOT EXISTS (SELECT 1 FROM face_analyses a WHERE a.image_id = i.id) \
        AND NOT EXISTS (SELECT 1 FROM face_jobs j WHERE j.image_id = i.id)";
    let values: Vec<Value> = vec![now.into(), false.into()];
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?
        .rows_affected())
}

/// Whether any job is free to claim now: a read, so an idle worker takes no
/// write lock (on SQLite every write, even one that changes nothing, holds the
/// database's one writer slot, which a CLI run against the same file needs too).
pub async fn claimable(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    Ok(face_job::Entity::find()
        .select_only()
        .column(face_job::Column::ImageId)
        .filter(face_job::Column::ClaimedUntil.lte(now.timestamp_millis()))
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .is_some())
}

/// A job a worker holds.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub image_id: Uuid,
    pub application_id: Uuid,
    pub object_key: String,
    pub attempts: i32,
}

/// Takes up to `limit` jobs nobody holds (or whose holder's lease ran out) until `until`.
pub async fn claim(
    db: &DatabaseConnection,
    limit: u64,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Claimed>, PersistenceError> {
    let lock = match db.get_database_backend() {
        DatabaseBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "UPDATE face_jobs SET claimed_until = $1, attempts = attempts + 1 WHERE image_id IN \
         (SELECT image_id FROM face_jobs WHERE claimed_until <= $2 ORDER BY created_at LIMIT $3{lock}) \
         RETURNING image_id, application_id, attempts"
    );
    let values: Vec<Value> = vec![
        until.timestamp_millis().into(),
        now.timestamp_millis().into(),
        (limit as i64).into(),
    ];
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let image_id: Uuid = row.try_get_by_index(0)?;
        let application_id: Uuid = row.try_get_by_index(1)?;
        let attempts: i32 = row.try_get_by_index(2)?;
        claimed.push((image_id, application_id, attempts));
    }
    let keys: HashMap<Uuid, String> = monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::Id)
        .column(monitoring_image::Column::ObjectKey)
        .filter(monitoring_image::Column::Id.is_in(claimed.iter().map(|c| c.0)))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(claimed
        .into_iter()
        .filter_map(|(image_id, application_id, attempts)| {
            Some(Claimed {
                image_id,
                application_id,
                object_key: keys.get(&image_id)?.clone(),
                attempts,
            })
        })
        .collect())
}

/// What one analysis found.
pub struct Finding<'a> {
    pub faces: i32,
    /// JSON of the boxes.
    pub boxes: &'a str,
    /// `analysed`, `unreadable` or `too_small`.
    pub outcome: &'a str,
}

/// Records the analysis and removes its job, together.
pub async fn record(
    db: &DatabaseConnection,
    job: &Claimed,
    finding: Finding<'_>,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let transaction = db.begin().await?;
    face_analysis::Entity::insert(face_analysis::ActiveModel {
        image_id: Set(job.image_id),
        application_id: Set(job.application_id),
        faces: Set(finding.faces),
        boxes: Set(finding.boxes.to_string()),
        outcome: Set(finding.outcome.to_string()),
        analysed_at: Set(now),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::column(face_analysis::Column::ImageId)
            .update_columns([
                face_analysis::Column::Faces,
                face_analysis::Column::Boxes,
                face_analysis::Column::Outcome,
                face_analysis::Column::AnalysedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&transaction)
    .await?;
    face_job::Entity::delete_by_id(job.image_id)
        .exec(&transaction)
        .await?;
    transaction.commit().await?;
    Ok(())
}

/// Lets a job go to be tried again at `retry_at` (storage was unreachable, say).
pub async fn retry_later(
    db: &DatabaseConnection,
    image: Uuid,
    retry_at: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    face_job::Entity::update_many()
        .col_expr(
            face_job::Column::ClaimedUntil,
            retry_at.timestamp_millis().into(),
        )
        .filter(face_job::Column::ImageId.eq(image))
        .exec(db)
        .await?;
    Ok(())
}

/// Drops a job whose image is gone.
pub async fn drop_job(db: &DatabaseConnection, image: Uuid) -> Result<(), PersistenceError> {
    face_job::Entity::delete_by_id(image).exec(db).await?;
    Ok(())
}

/// Jobs waiting (claimed or not).
pub async fn backlog(db: &DatabaseConnection) -> Result<u64, PersistenceError> {
    Ok(face_job::Entity::find().count(db).await?)
}

/// The outcome of an image the detector could read (`unreadable` and `too_small` are the others).
pub const ANALYSED: &str = "analysed";

/// An image's analysis as lists and summaries use it.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub faces: u32,
    pub boxes: Vec<shared::FaceBox>,
    pub readable: bool,
}

/// The analyses of the images of `applications` (ids a policy check or a scoped list gave).
pub async fn analyses(
    db: &impl ConnectionTrait,
    applications: &[Uuid],
) -> Result<HashMap<Uuid, Analysis>, PersistenceError> {
    if applications.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = face_analysis::Entity::find()
        .filter(face_analysis::Column::ApplicationId.is_in(applications.iter().copied()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let boxes = serde_json::from_str(&row.boxes).unwrap_or_default();
            let analysis = Analysis {
                faces: u32::try_from(row.faces).unwrap_or(0),
                boxes,
                readable: row.outcome == ANALYSED,
            };
            (row.image_id, analysis)
        })
        .collect())
}
