//! Webhooks in the database: endpoints, the outbox and its deliveries, and the
//! lifecycle milestone each application last announced.
//!
//! A message is written by [`announce`] in the transaction of what it announces
//! (rolled back with it, committed with it), with one delivery row per
//! endpoint that takes its event. Deliveries are leased one at a time
//! ([`claim`]), so however many instances run, one sends a given delivery at once.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use shared::{
    lifecycle::InterviewState,
    webhooks::{DeliveryStatus, WebhookData, WebhookEvent, WebhookPayload},
    ApplicationId, OrganizationId,
};
use uuid::Uuid;

use super::{
    entities::{job_application, webhook_delivery, webhook_endpoint, webhook_message},
    PersistenceError,
};

/// Endpoints an organization may register.
pub const ENDPOINTS_PER_ORGANIZATION: u64 = 20;

/// A new endpoint.
pub async fn create_endpoint(
    db: &DatabaseConnection,
    organization: Uuid,
    url: &str,
    events: &[WebhookEvent],
    secret: &str,
    now: DateTime<Utc>,
) -> Result<webhook_endpoint::Model, PersistenceError> {
    Ok(webhook_endpoint::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization),
        url: Set(url.to_string()),
        events: Set(join_events(events)),
        secret: Set(secret.to_string()),
        previous_secret: Set(None),
        previous_until: Set(None),
        created_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(db)
    .await?)
}

pub fn join_events(events: &[WebhookEvent]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The events an endpoint takes (unknown names, which no version of ours writes, are skipped).
pub fn events_of(endpoint: &webhook_endpoint::Model) -> Vec<WebhookEvent> {
    endpoint
        .events
        .split(',')
        .filter_map(|name| name.parse().ok())
        .collect()
}

/// Live endpoints: an organization's, or every one (`None`).
pub async fn endpoints(
    db: &DatabaseConnection,
    organization: Option<Uuid>,
) -> Result<Vec<webhook_endpoint::Model>, PersistenceError> {
    let mut query = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::DeletedAt.is_null())
        .order_by_asc(webhook_endpoint::Column::CreatedAt);
    if let Some(organization) = organization {
        query = query.filter(webhook_endpoint::Column::OrganizationId.eq(organization));
    }
    Ok(query.all(db).await?)
}

/// A live endpoint by id.
pub async fn endpoint(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<webhook_endpoint::Model>, PersistenceError> {
    Ok(webhook_endpoint::Entity::find_by_id(id)
        .filter(webhook_endpoint::Column::DeletedAt.is_null())
        .one(db)
        .await?)
}

/// Deletes an endpoint: it is sent nothing more; what was still pending for it fails.
pub async fn delete_endpoint(
    db: &DatabaseConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let deleted = webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::DeletedAt, Expr::value(now))
        .filter(webhook_endpoint::Column::Id.eq(id))
        .filter(webhook_endpoint::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::value(DeliveryStatus::Failed.as_str()),
        )
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value("the endpoint was deleted"),
        )
        .filter(webhook_delivery::Column::EndpointId.eq(id))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected == 1)
}

/// Replaces the endpoint's secret; the one it replaces keeps signing (beside
/// the new one) until `overlap_until`.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    endpoint: &webhook_endpoint::Model,
    secret: &str,
    overlap_until: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let rotated = webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::Secret, Expr::value(secret))
        .col_expr(
            webhook_endpoint::Column::PreviousSecret,
            Expr::value(endpoint.secret.clone()),
        )
        .col_expr(
            webhook_endpoint::Column::PreviousUntil,
            Expr::value(overlap_until),
        )
        .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
        // Of two rotations at once, one: the other would drop the first's secret unseen.
        .filter(webhook_endpoint::Column::Secret.eq(endpoint.secret.clone()))
        .filter(webhook_endpoint::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(rotated.rows_affected == 1)
}

/// What a message announces.
pub struct Announcement {
    pub event: WebhookEvent,
    pub application: Uuid,
    pub state: InterviewState,
    pub session_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub kind: Option<String>,
    pub verdict: Option<String>,
}

impl Announcement {
    pub fn new(event: WebhookEvent, application: Uuid, state: InterviewState) -> Self {
        Announcement {
            event,
            application,
            state,
            session_id: None,
            event_id: None,
            kind: None,
            verdict: None,
        }
    }
}

/// Writes the message into the outbox, in the caller's transaction, with a
/// delivery for each endpoint of the application's organization that takes
/// its event (none: nothing is written). Nothing is announced about an erased
/// application but its erasure.
pub async fn announce(
    txn: &impl ConnectionTrait,
    announcement: Announcement,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let application = announcement.application;
    announce_all(txn, application, vec![announcement], now).await
}

/// [`announce`] for several messages about one application (a batch of
/// flags): the application and its endpoints are read once.
pub async fn announce_all(
    txn: &impl ConnectionTrait,
    application: Uuid,
    announcements: Vec<Announcement>,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    if announcements.is_empty() {
        return Ok(());
    }
    let Some(application) = job_application::Entity::find_by_id(application)
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let endpoints: Vec<webhook_endpoint::Model> =
        webhook_endpoint::Entity::find_live(application.organization_id)
            .all(txn)
            .await?;
    let mut messages = Vec::new();
    let mut deliveries = Vec::new();
    for announcement in announcements {
        let erased = application.erased_at.is_some();
        if erased && announcement.event != WebhookEvent::ApplicationErased {
            continue;
        }
        let to: Vec<Uuid> = endpoints
            .iter()
            .filter(|endpoint| events_of(endpoint).contains(&announcement.event))
            .map(|endpoint| endpoint.id)
            .collect();
        if to.is_empty() {
            continue;
        }
        let payload = WebhookPayload {
            event: announcement.event,
            timestamp: now,
            data: WebhookData {
                application_id: ApplicationId(application.id),
                organization_id: OrganizationId(application.organization_id),
                state: announcement.state,
                session_id: announcement.session_id,
                event_id: announcement.event_id,
                kind: announcement.kind,
                verdict: announcement.verdict,
            },
        };
        let body = serde_json::to_string(&payload)
            .map_err(|error| PersistenceError::Corrupt(format!("a webhook payload: {error}")))?;
        let id = format!("msg_{}", Uuid::now_v7().simple());
        for endpoint in to {
            deliveries.push(webhook_delivery::ActiveModel {
                message_id: Set(id.clone()),
                endpoint_id: Set(endpoint),
                status: Set(DeliveryStatus::Pending.as_str().to_string()),
                attempts: Set(0),
                next_attempt_at: Set(now),
                lease_until: Set(0),
                last_error: Set(None),
                delivered_at: Set(None),
            });
        }
        messages.push(webhook_message::ActiveModel {
            id: Set(id),
            organization_id: Set(application.organization_id),
            application_id: Set(application.id),
            event: Set(announcement.event.as_str().to_string()),
            payload: Set(body),
            created_at: Set(now),
        });
    }
    // In slices: a statement has a bounded number of parameters (SQLite: 32,766).
    for slice in messages.chunks(500) {
        webhook_message::Entity::insert_many(slice.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    for slice in deliveries.chunks(500) {
        webhook_delivery::Entity::insert_many(slice.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Moves the application's announced milestone from `from` to `to`: whether
/// this call did (of many at once, on any instance, one does).
pub async fn advance_milestone(
    txn: &impl ConnectionTrait,
    application: Uuid,
    from: Option<&str>,
    to: &str,
) -> Result<bool, PersistenceError> {
    let mut update = job_application::Entity::update_many()
        .col_expr(job_application::Column::Announced, Expr::value(to))
        .filter(job_application::Column::Id.eq(application));
    update = match from {
        Some(from) => update.filter(job_application::Column::Announced.eq(from)),
        None => update.filter(job_application::Column::Announced.is_null()),
    };
    Ok(update.exec(txn).await?.rows_affected == 1)
}

/// The last milestone announced for the application, as a state (`invited` before any).
pub async fn announced_state(
    db: &impl ConnectionTrait,
    application: Uuid,
) -> Result<InterviewState, PersistenceError> {
    let announced = job_application::Entity::find_by_id(application)
        .one(db)
        .await?
        .and_then(|a| a.announced);
    Ok(announced
        .and_then(|name| name.parse().ok())
        .unwrap_or(InterviewState::Invited))
}

/// Applications whose interview started and was not yet announced analysed
/// (nor erased): `(id, milestone announced)`.
pub async fn unsettled(db: &DatabaseConnection) -> Result<Vec<(Uuid, String)>, PersistenceError> {
    Ok(job_application::Entity::find()
        .select_only()
        .column(job_application::Column::Id)
        .column(job_application::Column::Announced)
        .filter(job_application::Column::Announced.is_in(["in_progress", "ended"]))
        .filter(job_application::Column::ErasedAt.is_null())
        .into_tuple()
        .all(db)
        .await?)
}

/// Removes every message about the application (its data is erased) and stops
/// its milestones.
pub async fn forget_application(
    txn: &impl ConnectionTrait,
    application: Uuid,
) -> Result<(), PersistenceError> {
    let messages: Vec<String> = webhook_message::Entity::find()
        .select_only()
        .column(webhook_message::Column::Id)
        .filter(webhook_message::Column::ApplicationId.eq(application))
        .into_tuple()
        .all(txn)
        .await?;
    for chunk in messages.chunks(500) {
        webhook_delivery::Entity::delete_many()
            .filter(webhook_delivery::Column::MessageId.is_in(chunk.iter().cloned()))
            .exec(txn)
            .await?;
    }
    webhook_message::Entity::delete_many()
        .filter(webhook_message::Column::ApplicationId.eq(application))
        .exec(txn)
        .await?;
    job_application::Entity::update_many()
        .col_expr(job_application::Column::Announced, Expr::value("erased"))
        .filter(job_application::Column::Id.eq(application))
        .exec(txn)
        .await?;
    Ok(())
}

/// Removes up to 1,000 messages written before `before` that nothing is still
/// trying to deliver, with their deliveries: how many went.
pub async fn prune(
    db: &DatabaseConnection,
    before: DateTime<Utc>,
) -> Result<u64, PersistenceError> {
    let old: Vec<String> = webhook_message::Entity::find()
        .select_only()
        .column(webhook_message::Column::Id)
        .filter(webhook_message::Column::CreatedAt.lt(before))
        .limit(1_000)
        .into_tuple()
        .all(db)
        .await?;
    if old.is_empty() {
        return Ok(0);
    }
    let pending: std::collections::HashSet<String> = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::MessageId)
        .filter(webhook_delivery::Column::MessageId.is_in(old.iter().cloned()))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let done: Vec<String> = old.into_iter().filter(|id| !pending.contains(id)).collect();
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::MessageId.is_in(done.iter().cloned()))
        .exec(db)
        .await?;
    Ok(webhook_message::Entity::delete_many()
        .filter(webhook_message::Column::Id.is_in(done))
        .exec(db)
        .await?
        .rows_affected)
}

/// Deliveries due now that nobody holds: a read (an idle instance takes no
/// write lock).
pub async fn due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(String, Uuid)>, PersistenceError> {
    Ok(webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::MessageId)
        .column(webhook_delivery::Column::EndpointId)
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .filter(webhook_delivery::Column::LeaseUntil.lte(now.timestamp_millis()))
        .order_by_asc(webhook_delivery::Column::NextAttemptAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Leases a due delivery until `until`: whether this caller holds it now.
pub async fn claim(
    db: &DatabaseConnection,
    (message, endpoint): (&str, Uuid),
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let claimed = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::LeaseUntil,
            Expr::value(until.timestamp_millis()),
        )
        .filter(webhook_delivery::Column::MessageId.eq(message))
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .filter(webhook_delivery::Column::LeaseUntil.lte(now.timestamp_millis()))
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// A claimed delivery's message, attempts so far and endpoint (`None`: deleted).
pub async fn claimed(
    db: &DatabaseConnection,
    (message, endpoint): (&str, Uuid),
) -> Result<
    Option<(
        webhook_message::Model,
        webhook_delivery::Model,
        Option<webhook_endpoint::Model>,
    )>,
    PersistenceError,
> {
    let Some(delivery) = webhook_delivery::Entity::find_by_id((message.to_string(), endpoint))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(message) = webhook_message::Entity::find_by_id(message.to_string())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some((
        message,
        delivery,
        self::endpoint(db, endpoint).await?,
    )))
}

/// What one attempt came to.
pub enum Outcome {
    Delivered,
    /// Try again at this time.
    Retry(DateTime<Utc>, String),
    /// No more attempts.
    Failed(String),
}

/// Records an attempt at a delivery this caller holds (lease `until`); a
/// holder whose lease ran out (another instance took it) records nothing.
pub async fn record_attempt(
    db: &DatabaseConnection,
    (message, endpoint): (&str, Uuid),
    until: DateTime<Utc>,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Attempts,
            Expr::col(webhook_delivery::Column::Attempts).add(1),
        )
        .col_expr(webhook_delivery::Column::LeaseUntil, Expr::value(0i64));
    update = match outcome {
        Outcome::Delivered => update
            .col_expr(
                webhook_delivery::Column::Status,
                Expr::value(DeliveryStatus::Delivered.as_str()),
            )
            .col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(now))
            .col_expr(
                webhook_delivery::Column::LastError,
                Expr::value(Option::<String>::None),
            ),
        Outcome::Retry(at, error) => update
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(at))
            .col_expr(webhook_delivery::Column::LastError, Expr::value(error)),
        Outcome::Failed(error) => update
            .col_expr(
                webhook_delivery::Column::Status,
                Expr::value(DeliveryStatus::Failed.as_str()),
            )
            .col_expr(webhook_delivery::Column::LastError, Expr::value(error)),
    };
    update
        .filter(webhook_delivery::Column::MessageId.eq(message))
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint))
        .filter(webhook_delivery::Column::LeaseUntil.eq(until.timestamp_millis()))
        .exec(db)
        .await?;
    Ok(())
}

/// An endpoint's deliveries, newest first.
pub async fn deliveries(
    db: &DatabaseConnection,
    endpoint: Uuid,
    limit: u64,
) -> Result<Vec<(webhook_delivery::Model, webhook_message::Model)>, PersistenceError> {
    let rows = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint))
        .order_by_desc(webhook_delivery::Column::MessageId)
        .limit(limit)
        .all(db)
        .await?;
    let messages: std::collections::HashMap<String, webhook_message::Model> =
        webhook_message::Entity::find()
            .filter(webhook_message::Column::Id.is_in(rows.iter().map(|r| r.message_id.clone())))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let message = messages.get(&row.message_id)?.clone();
            Some((row, message))
        })
        .collect())
}

/// Sends a message to the endpoint again now (however its delivery ended):
/// whether the endpoint had that message.
pub async fn redeliver(
    db: &DatabaseConnection,
    (message, endpoint): (&str, Uuid),
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let again = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::value(DeliveryStatus::Pending.as_str()),
        )
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now))
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(0))
        .filter(webhook_delivery::Column::MessageId.eq(message))
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint))
        .exec(db)
        .await?;
    Ok(again.rows_affected == 1)
}
