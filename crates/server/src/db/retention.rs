//! What retention and erasure remove, one application at a time, and the lease
//! that lets one instance purge at a time.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Query, SelectStatement, SimpleExpr},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement, TransactionTrait,
    Value,
};
use shared::ImageKind;
use uuid::Uuid;

use super::{
    entities::{
        capture_link, consent, flag_response, flag_review, idempotency_key, job_application,
        monitoring_event, monitoring_image, monitoring_session, organization, session,
    },
    PersistenceError,
};

/// Takes the lease `name` for `holder` until `until` if nobody holds it now (or
/// `holder` does): one atomic statement, so of many instances at once one gets it.
pub async fn take_lease(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let sql = "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3) \
        ON CONFLICT (name) DO UPDATE SET holder = $2, until = $3 \
        WHERE leases.until <= $4 OR leases.holder = $2 RETURNING holder";
    let values: Vec<Value> = vec![
        name.into(),
        holder.into(),
        until.timestamp_millis().into(),
        now.timestamp_millis().into(),
    ];
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    Ok(row.is_some())
}

/// Gives the lease back early (the work is done).
pub async fn release_lease(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
) -> Result<(), PersistenceError> {
    let sql = "UPDATE leases SET until = 0 WHERE name = $1 AND holder = $2";
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        vec![name.into(), holder.into()],
    ))
    .await?;
    Ok(())
}

/// Organizations that chose their own retention period: (id, days).
pub async fn organization_periods(
    db: &DatabaseConnection,
) -> Result<Vec<(Uuid, i32)>, PersistenceError> {
    let rows: Vec<(Uuid, Option<i32>)> = organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .column(organization::Column::RetentionDays)
        .filter(organization::Column::RetentionDays.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, days)| Some((id, days?)))
        .collect())
}

/// Which organizations' applications a purge pass covers.
#[derive(Debug, Clone)]
pub enum Organizations {
    Only(Vec<Uuid>),
    AllBut(Vec<Uuid>),
}

/// The distinct applications of `E`'s rows (its application column `column`)
/// that belong to `applications` and match `condition`.
async fn applications_of<E: EntityTrait>(
    db: &DatabaseConnection,
    column: E::Column,
    applications: &SelectStatement,
    condition: Option<SimpleExpr>,
) -> Result<Vec<Uuid>, PersistenceError> {
    Ok(E::find()
        .select_only()
        .column(column)
        .distinct()
        .filter(column.in_subquery(applications.clone()))
        .apply_if(condition, |query, condition| query.filter(condition))
        .into_tuple()
        .all(db)
        .await?)
}

fn merged(lists: impl IntoIterator<Item = Vec<Uuid>>) -> Vec<Uuid> {
    let mut all: Vec<Uuid> = lists.into_iter().flatten().collect();
    all.sort();
    all.dedup();
    all
}

/// Applications of these organizations with images, events or sessions from before `cutoff`.
pub async fn applications_with_expired(
    db: &DatabaseConnection,
    organizations: &Organizations,
    cutoff: DateTime<Utc>,
) -> Result<Vec<Uuid>, PersistenceError> {
    let mut applications = Query::select()
        .column(job_application::Column::Id)
        .from(job_application::Entity)
        .to_owned();
    match organizations {
        Organizations::Only(ids) => {
            applications.and_where(job_application::Column::OrganizationId.is_in(ids.clone()))
        }
        Organizations::AllBut(ids) => {
            applications.and_where(job_application::Column::OrganizationId.is_not_in(ids.clone()))
        }
    };
    use monitoring_event::Column as Event;
    use monitoring_image::Column as Image;
    use monitoring_session::Column as Session;
    Ok(merged([
        applications_of::<monitoring_image::Entity>(
            db,
            Image::ApplicationId,
            &applications,
            Some(Image::CapturedAt.lt(cutoff)),
        )
        .await?,
        applications_of::<monitoring_event::Entity>(
            db,
            Event::ApplicationId,
            &applications,
            Some(Event::At.lt(cutoff)),
        )
        .await?,
        applications_of::<monitoring_session::Entity>(
            db,
            Session::ApplicationId,
            &applications,
            Some(Session::StartedAt.lt(cutoff)),
        )
        .await?,
    ]))
}

/// Applications with completed or reserved images of `kind`.
pub async fn applications_with(
    db: &DatabaseConnection,
    kind: ImageKind,
) -> Result<Vec<Uuid>, PersistenceError> {
    Ok(monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::ApplicationId)
        .distinct()
        .filter(monitoring_image::Column::Kind.eq(kind.as_str()))
        .into_tuple()
        .all(db)
        .await?)
}

/// Every image of `kind` of `application`: `(id, key, captured at)` (a
/// handful: ID photos).
pub async fn images_of_kind(
    db: &DatabaseConnection,
    application: Uuid,
    kind: ImageKind,
) -> Result<Vec<(Uuid, String, DateTime<Utc>)>, PersistenceError> {
    Ok(monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::Id)
        .column(monitoring_image::Column::ObjectKey)
        .column(monitoring_image::Column::CapturedAt)
        .filter(monitoring_image::Column::ApplicationId.eq(application))
        .filter(monitoring_image::Column::Kind.eq(kind.as_str()))
        .order_by_asc(monitoring_image::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

/// Removes the rows of `images` (their objects are gone already); face jobs
/// and analyses go with them (ON DELETE CASCADE).
pub async fn remove_images(
    txn: &DatabaseTransaction,
    images: &[Uuid],
) -> Result<(), PersistenceError> {
    for chunk in images.chunks(500) {
        monitoring_image::Entity::delete_many()
            .filter(monitoring_image::Column::Id.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Erased applications that still have rows: an erase that stopped half-way.
pub async fn unfinished_erasures(db: &DatabaseConnection) -> Result<Vec<Uuid>, PersistenceError> {
    let erased = Query::select()
        .column(job_application::Column::Id)
        .from(job_application::Entity)
        .and_where(job_application::Column::ErasedAt.is_not_null())
        .to_owned();
    Ok(merged([
        applications_of::<monitoring_image::Entity>(
            db,
            monitoring_image::Column::ApplicationId,
            &erased,
            None,
        )
        .await?,
        applications_of::<monitoring_event::Entity>(
            db,
            monitoring_event::Column::ApplicationId,
            &erased,
            None,
        )
        .await?,
    ]))
}

/// Up to `limit` images of `application` captured before `cutoff` (every one
/// when `None`), after `after` (id order): `(id, key)`.
pub async fn images_of(
    db: &DatabaseConnection,
    application: Uuid,
    cutoff: Option<DateTime<Utc>>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<(Uuid, String)>, PersistenceError> {
    let mut query = monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::Id)
        .column(monitoring_image::Column::ObjectKey)
        .filter(monitoring_image::Column::ApplicationId.eq(application));
    if let Some(cutoff) = cutoff {
        query = query.filter(monitoring_image::Column::CapturedAt.lt(cutoff));
    }
    if let Some(after) = after {
        query = query.filter(monitoring_image::Column::Id.gt(after));
    }
    Ok(query
        .order_by_asc(monitoring_image::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// How much of `application` is from before `cutoff`: (events, sessions).
pub async fn count_rows(
    db: &DatabaseConnection,
    application: Uuid,
    cutoff: Option<DateTime<Utc>>,
) -> Result<(u64, u64), PersistenceError> {
    let events = monitoring_event::Entity::find()
        .filter(monitoring_event::Column::ApplicationId.eq(application))
        .apply_if(cutoff, |q, cutoff| {
            q.filter(monitoring_event::Column::At.lt(cutoff))
        })
        .count(db)
        .await?;
    let sessions = monitoring_session::Entity::find()
        .filter(monitoring_session::Column::ApplicationId.eq(application))
        .apply_if(cutoff, |q, cutoff| {
            q.filter(monitoring_session::Column::StartedAt.lt(cutoff))
        })
        .count(db)
        .await?;
    Ok((events, sessions))
}

/// Removes the rows of `images` and the events, sessions and verdicts of
/// `application` from before `cutoff` (all of them when `None`, and its
/// consents, capture links and link sessions too): (events, sessions). The images' objects are already gone.
pub async fn remove_rows(
    txn: &DatabaseTransaction,
    application: Uuid,
    images: &[Uuid],
    cutoff: Option<DateTime<Utc>>,
) -> Result<(u64, u64), PersistenceError> {
    remove_images(txn, images).await?;
    let events = monitoring_event::Entity::delete_many()
        .filter(monitoring_event::Column::ApplicationId.eq(application))
        .apply_if(cutoff, |q, cutoff| {
            q.filter(monitoring_event::Column::At.lt(cutoff))
        })
        .exec(txn)
        .await?
        .rows_affected;
    let sessions = monitoring_session::Entity::delete_many()
        .filter(monitoring_session::Column::ApplicationId.eq(application))
        .apply_if(cutoff, |q, cutoff| {
            q.filter(monitoring_session::Column::StartedAt.lt(cutoff))
        })
        .exec(txn)
        .await?
        .rows_affected;
    // A verdict older than the period goes too (its event, stored or computed
    // from images, is gone or going).
    flag_review::Entity::delete_many()
        .filter(flag_review::Column::ApplicationId.eq(application))
        .apply_if(cutoff, |q, cutoff| {
            q.filter(flag_review::Column::ReviewedAt.lt(cutoff))
        })
        .exec(txn)
        .await?;
    // So does a candidate's response (written about such an event).
    flag_response::Entity::delete_many()
        .filter(flag_response::Column::ApplicationId.eq(application))
        .apply_if(cutoff, |q, cutoff| {
            q.filter(flag_response::Column::RespondedAt.lt(cutoff))
        })
        .exec(txn)
        .await?;
    if cutoff.is_none() {
        consent::Entity::delete_many()
            .filter(consent::Column::ApplicationId.eq(application))
            .exec(txn)
            .await?;
        // Erased: its capture links stop working and the sessions they opened end.
        capture_link::Entity::delete_many()
            .filter(capture_link::Column::ApplicationId.eq(application))
            .exec(txn)
            .await?;
        session::Entity::delete_many()
            .filter(session::Column::ApplicationId.eq(application))
            .exec(txn)
            .await?;
        // The platform's key may name the candidate; a retry makes a new application.
        idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::ApplicationId.eq(application))
            .exec(txn)
            .await?;
    }
    Ok((events, sessions))
}

/// Marks the application erased (the first time only); whether it exists.
/// The first time, every webhook message about it is dropped and
/// `application.erased` announced, in the same transaction.
pub async fn mark_erased(
    db: &DatabaseConnection,
    application: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let txn = db.begin().await?;
    let state = super::webhooks::announced_state(&txn, application).await?;
    let marked = job_application::Entity::update_many()
        .col_expr(job_application::Column::ErasedAt, Some(now).into())
        .filter(job_application::Column::Id.eq(application))
        .filter(job_application::Column::ErasedAt.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected == 1 {
        super::webhooks::forget_application(&txn, application).await?;
        super::webhooks::announce(
            &txn,
            super::webhooks::Announcement::new(
                shared::webhooks::WebhookEvent::ApplicationErased,
                application,
                state,
            ),
            now,
        )
        .await?;
    }
    let exists = job_application::Entity::find_by_id(application)
        .one(&txn)
        .await?
        .is_some();
    txn.commit().await?;
    Ok(exists)
}
