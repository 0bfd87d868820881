//! Consent, monitoring sessions, events and flag reviews. Functions for one
//! application take the [`Permitted`] handle; the batch reads behind the
//! applications list take ids the list's own scope already limited.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use shared::{
    audit::AuditAction, integrity::MonitoringEvent, language::Language, lifecycle::InterviewState,
    webhooks::WebhookEvent, CurrentUser, UserId,
};
use uuid::Uuid;

use super::{
    audit,
    entities::{
        consent, flag_response, flag_review, job_application, monitoring_event, monitoring_image,
        monitoring_session, user,
    },
    PersistenceError,
};
use crate::policy::{to, Permitted};

/// The consent of `user` to monitoring of this application as that text
/// `version` in `language` states it, if they gave it.
pub async fn consent_to(
    db: &DatabaseConnection,
    permitted: &Permitted<to::Upload>,
    user: UserId,
    version: &str,
    language: Language,
) -> Result<Option<consent::Model>, PersistenceError> {
    Ok(consent::Entity::find()
        .filter(consent::Column::ApplicationId.eq(permitted.id().0))
        .filter(consent::Column::UserId.eq(user.0))
        .filter(consent::Column::ConsentVersion.eq(version))
        .filter(consent::Column::Language.eq(language.code()))
        .one(db)
        .await?)
}

/// Records consent to `version` in `language` (once: consenting again to the
/// same text keeps the first time), with its audit entry in the same transaction.
pub async fn record_consent(
    db: &DatabaseConnection,
    permitted: &Permitted<to::Consent>,
    actor: &CurrentUser,
    version: &str,
    language: Language,
    now: DateTime<Utc>,
) -> Result<consent::Model, PersistenceError> {
    let txn = db.begin().await?;
    let inserted = consent::Entity::insert(consent::ActiveModel {
        id: Set(Uuid::new_v4()),
        application_id: Set(permitted.id().0),
        user_id: Set(actor.id.0),
        consent_version: Set(version.to_string()),
        language: Set(language.code().to_string()),
        consented_at: Set(now),
    })
    .on_conflict_do_nothing_on([
        consent::Column::ApplicationId,
        consent::Column::UserId,
        consent::Column::ConsentVersion,
        consent::Column::Language,
    ])
    .exec_without_returning(&txn)
    .await?;
    if matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0) {
        let entry = audit::NewEntry {
            actor: audit::Actor::user(actor),
            action: AuditAction::Consent,
            application: Some(permitted.id().0),
            target: format!("consent text {version} ({language})"),
        };
        audit::append(&txn, entry, now).await?;
    }
    let consent = consent::Entity::find()
        .filter(consent::Column::ApplicationId.eq(permitted.id().0))
        .filter(consent::Column::UserId.eq(actor.id.0))
        .filter(consent::Column::ConsentVersion.eq(version))
        .filter(consent::Column::Language.eq(language.code()))
        .one(&txn)
        .await?
        .ok_or_else(|| PersistenceError::Corrupt("a recorded consent is missing".into()))?;
    txn.commit().await?;
    Ok(consent)
}

/// Monitoring sessions one application may have: a browser starts one per page
/// load, so an interview with many reloads stays far below it.
pub const SESSIONS_PER_APPLICATION: u64 = 200;
/// Events one application may have (browser events; the server's own are computed).
pub const EVENTS_PER_APPLICATION: u64 = 20_000;

/// An application has all the sessions or events it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaReached {
    pub what: &'static str,
    pub limit: u64,
}

/// Takes the application's row lock in `txn` (SQLite: the write lock), so that
/// what is counted for it next cannot change until the transaction ends.
async fn lock_application(
    txn: &impl ConnectionTrait,
    application: Uuid,
) -> Result<(), PersistenceError> {
    let backend = txn.get_database_backend();
    txn.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend,
        "UPDATE job_applications SET id = id WHERE id = $1",
        vec![application.into()],
    ))
    .await?;
    Ok(())
}

pub struct NewSession<'a> {
    pub user: UserId,
    pub started_at: DateTime<Utc>,
    pub camera_interval: u32,
    pub screen_interval: u32,
    pub user_agent: &'a str,
}

/// Starts a session, unless the application has [`SESSIONS_PER_APPLICATION`].
pub async fn start_session(
    db: &DatabaseConnection,
    permitted: &Permitted<to::Capture>,
    session: NewSession<'_>,
) -> Result<Result<monitoring_session::Model, QuotaReached>, PersistenceError> {
    let txn = db.begin().await?;
    lock_application(&txn, permitted.id().0).await?;
    let sessions = monitoring_session::Entity::find()
        .filter(monitoring_session::Column::ApplicationId.eq(permitted.id().0))
        .count(&txn)
        .await?;
    if sessions >= SESSIONS_PER_APPLICATION {
        return Ok(Err(QuotaReached {
            what: "monitoring sessions",
            limit: SESSIONS_PER_APPLICATION,
        }));
    }
    let started = monitoring_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        application_id: Set(permitted.id().0),
        user_id: Set(session.user.0),
        started_at: Set(session.started_at),
        camera_interval: Set(i32::try_from(session.camera_interval).unwrap_or(i32::MAX)),
        screen_interval: Set(i32::try_from(session.screen_interval).unwrap_or(i32::MAX)),
        user_agent: Set(session.user_agent.to_string()),
        ended_at: Set(None),
    }
    .insert(&txn)
    .await?;
    // The interview's first session: announced with it.
    if super::webhooks::advance_milestone(&txn, permitted.id().0, None, "in_progress").await? {
        let mut announcement = super::webhooks::Announcement::new(
            WebhookEvent::InterviewStarted,
            permitted.id().0,
            InterviewState::InProgress,
        );
        announcement.session_id = Some(started.id);
        super::webhooks::announce(&txn, announcement, session.started_at).await?;
    }
    txn.commit().await?;
    Ok(Ok(started))
}

/// Ends session `id` of this application at `now`, unless it has ended
/// already: when it ended, or `None` if there is no such session. When it was
/// the last open one, the interview has ended: its invitations are used up
/// and `interview.ended` is announced, in the same transaction.
pub async fn end_session(
    db: &DatabaseConnection,
    permitted: &Permitted<to::Upload>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, PersistenceError> {
    let application = permitted.id().0;
    let txn = db.begin().await?;
    // One statement: of two ends at once, the first wins and both answer it.
    let ended = monitoring_session::Entity::update_many()
        .col_expr(
            monitoring_session::Column::EndedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(monitoring_session::Column::Id.eq(id))
        .filter(monitoring_session::Column::ApplicationId.eq(application))
        .filter(monitoring_session::Column::EndedAt.is_null())
        .exec(&txn)
        .await?;
    if ended.rows_affected == 1 {
        let open = monitoring_session::Entity::find()
            .filter(monitoring_session::Column::ApplicationId.eq(application))
            .filter(monitoring_session::Column::EndedAt.is_null())
            .count(&txn)
            .await?;
        if open == 0
            && super::webhooks::advance_milestone(&txn, application, Some("in_progress"), "ended")
                .await?
        {
            super::integration::use_up_invitations(&txn, application, now).await?;
            super::webhooks::announce(
                &txn,
                super::webhooks::Announcement::new(
                    WebhookEvent::InterviewEnded,
                    application,
                    InterviewState::Ended,
                ),
                now,
            )
            .await?;
        }
    }
    let found = monitoring_session::Entity::find_by_id(id)
        .filter(monitoring_session::Column::ApplicationId.eq(application))
        .one(&txn)
        .await?
        .and_then(|session| session.ended_at);
    txn.commit().await?;
    Ok(found)
}

/// Whether `id` is a session of this application.
pub async fn session_exists(
    db: &DatabaseConnection,
    permitted: &Permitted<to::Capture>,
    id: Uuid,
) -> Result<bool, PersistenceError> {
    Ok(monitoring_session::Entity::find_by_id(id)
        .filter(monitoring_session::Column::ApplicationId.eq(permitted.id().0))
        .one(db)
        .await?
        .is_some())
}

/// An event as it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: Uuid,
    pub kind: String,
    pub at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Canonical JSON (serde_json sorts object keys).
    pub detail: Option<String>,
}

/// What recording a batch of events found. Only `Stored` is to be committed.
pub enum Recorded {
    /// All are stored (new, the same as before, or now ended); `new` are the
    /// ones not stored before.
    Stored { new: Vec<EventRow> },
    /// This id was stored for a different event: nothing of the batch is to be kept.
    Conflict(Uuid),
    /// The batch would take the application past [`EVENTS_PER_APPLICATION`]:
    /// nothing of it is to be kept.
    Quota(QuotaReached),
}

/// How a stored event and a sent one with the same id relate.
fn compare(stored: &monitoring_event::Model, application: Uuid, sent: &EventRow) -> Option<bool> {
    let same_event = stored.application_id == application
        && stored.kind == sent.kind
        && stored.at == sent.at
        && stored.source == "browser";
    if !same_event {
        return None;
    }
    match (stored.ended_at, sent.ended_at) {
        // Sent again, or an older copy that was still open: nothing to do.
        (Some(stored_end), Some(sent_end))
            if stored_end == sent_end && stored.detail == sent.detail =>
        {
            Some(false)
        }
        (Some(_), None) => Some(false),
        (None, None) if stored.detail == sent.detail => Some(false),
        // An open event ends: its end (and its detail, with the snapshots taken on return) is added.
        (None, Some(_)) => Some(true),
        _ => None,
    }
}

/// Stores `events` of one application in the caller's transaction (which
/// commits only on `Stored`): each id once; an id already stored for a
/// different event is a conflict and nothing is kept.
/// The application's row is locked first, so copies of a batch sent at once
/// run one after the other and cannot both decide an id is new.
pub async fn record_events(
    transaction: &DatabaseTransaction,
    permitted: &Permitted<to::Capture>,
    session: Option<Uuid>,
    recorded_by: UserId,
    events: &[EventRow],
    now: DateTime<Utc>,
) -> Result<Recorded, PersistenceError> {
    let application = permitted.id().0;
    lock_application(transaction, application).await?;
    let known: std::collections::HashSet<Uuid> = monitoring_event::Entity::find()
        .select_only()
        .column(monitoring_event::Column::Id)
        .filter(monitoring_event::Column::ApplicationId.eq(application))
        .filter(monitoring_event::Column::Id.is_in(events.iter().map(|e| e.id)))
        .into_tuple()
        .all(transaction)
        .await?
        .into_iter()
        .collect();
    let rows = events.iter().map(|event| monitoring_event::ActiveModel {
        id: Set(event.id),
        application_id: Set(application),
        session_id: Set(session),
        kind: Set(event.kind.clone()),
        at: Set(event.at),
        ended_at: Set(event.ended_at),
        detail: Set(event.detail.clone()),
        source: Set("browser".into()),
        recorded_at: Set(now),
        recorded_by: Set(Some(recorded_by.0)),
    });
    monitoring_event::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([
            monitoring_event::Column::ApplicationId,
            monitoring_event::Column::Id,
        ])
        .exec_without_returning(transaction)
        .await?;
    let count = monitoring_event::Entity::find()
        .filter(monitoring_event::Column::ApplicationId.eq(application))
        .count(transaction)
        .await?;
    if count > EVENTS_PER_APPLICATION {
        return Ok(Recorded::Quota(QuotaReached {
            what: "events",
            limit: EVENTS_PER_APPLICATION,
        }));
    }
    let stored: HashMap<Uuid, monitoring_event::Model> = monitoring_event::Entity::find()
        .filter(monitoring_event::Column::ApplicationId.eq(application))
        .filter(monitoring_event::Column::Id.is_in(events.iter().map(|e| e.id)))
        .all(transaction)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    for event in events {
        let Some(row) = stored.get(&event.id) else {
            return Err(PersistenceError::Corrupt(
                "an event just stored is missing".into(),
            ));
        };
        match compare(row, application, event) {
            None => {
                return Ok(Recorded::Conflict(event.id));
            }
            Some(true) => {
                monitoring_event::Entity::update_many()
                    .col_expr(monitoring_event::Column::EndedAt, event.ended_at.into())
                    .col_expr(
                        monitoring_event::Column::Detail,
                        event.detail.clone().into(),
                    )
                    .filter(monitoring_event::Column::ApplicationId.eq(application))
                    .filter(monitoring_event::Column::Id.eq(event.id))
                    .filter(monitoring_event::Column::EndedAt.is_null())
                    .exec(transaction)
                    .await?;
            }
            Some(false) => {}
        }
    }
    let mut new: Vec<EventRow> = Vec::new();
    for event in events {
        if !known.contains(&event.id) && !new.iter().any(|e| e.id == event.id) {
            new.push(event.clone());
        }
    }
    Ok(Recorded::Stored { new })
}

/// Everything an application's timeline and summary are made of.
#[derive(Default)]
pub struct Interview {
    pub events: Vec<monitoring_event::Model>,
    pub sessions: Vec<monitoring_session::Model>,
    pub camera: Vec<DateTime<Utc>>,
    pub screen: Vec<DateTime<Utc>>,
    /// Verdicts by event id, with the reviewer's email.
    pub reviews: HashMap<Uuid, (flag_review::Model, String)>,
    /// Camera snapshots analysed for faces (readable ones).
    pub faces: Vec<shared::integrity::Analysed>,
}

/// The interviews of `applications` (a list's ids, or one permitted application's).
async fn interviews_of(
    db: &impl ConnectionTrait,
    applications: &[Uuid],
) -> Result<HashMap<Uuid, Interview>, PersistenceError> {
    let mut interviews: HashMap<Uuid, Interview> = applications
        .iter()
        .map(|id| (*id, Interview::default()))
        .collect();
    if applications.is_empty() {
        return Ok(interviews);
    }
    let ids = || applications.iter().copied();
    for event in monitoring_event::Entity::find()
        .filter(monitoring_event::Column::ApplicationId.is_in(ids()))
        .order_by_asc(monitoring_event::Column::At)
        .order_by_asc(monitoring_event::Column::Id)
        .all(db)
        .await?
    {
        if let Some(interview) = interviews.get_mut(&event.application_id) {
            interview.events.push(event);
        }
    }
    for session in monitoring_session::Entity::find()
        .filter(monitoring_session::Column::ApplicationId.is_in(ids()))
        .order_by_asc(monitoring_session::Column::StartedAt)
        .all(db)
        .await?
    {
        if let Some(interview) = interviews.get_mut(&session.application_id) {
            interview.sessions.push(session);
        }
    }
    let times: Vec<(Uuid, Uuid, String, DateTime<Utc>)> = monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::Id)
        .column(monitoring_image::Column::ApplicationId)
        .column(monitoring_image::Column::Kind)
        .column(monitoring_image::Column::CapturedAt)
        .filter(monitoring_image::Column::ApplicationId.is_in(ids()))
        .filter(monitoring_image::Column::Pending.eq(false))
        .order_by_asc(monitoring_image::Column::CapturedAt)
        .into_tuple()
        .all(db)
        .await?;
    let analyses = super::faces::analyses(db, applications).await?;
    for (id, application, kind, at) in times {
        if let Some(interview) = interviews.get_mut(&application) {
            match kind.as_str() {
                "camera" => {
                    interview.camera.push(at);
                    if let Some(analysis) = analyses.get(&id).filter(|a| a.readable) {
                        interview.faces.push(shared::integrity::Analysed {
                            at,
                            capture: id,
                            faces: analysis.faces,
                        });
                    }
                }
                _ => interview.screen.push(at),
            }
        }
    }
    let reviews = flag_review::Entity::find()
        .filter(flag_review::Column::ApplicationId.is_in(ids()))
        .all(db)
        .await?;
    let reviewers: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(reviews.iter().map(|r| r.reviewed_by)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    for review in reviews {
        let email = reviewers
            .get(&review.reviewed_by)
            .cloned()
            .unwrap_or_default();
        if let Some(interview) = interviews.get_mut(&review.application_id) {
            interview.reviews.insert(review.event_id, (review, email));
        }
    }
    Ok(interviews)
}

pub async fn interview(
    db: &DatabaseConnection,
    permitted: &Permitted<to::View>,
) -> Result<Interview, PersistenceError> {
    let id = permitted.id().0;
    Ok(interviews_of(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// The interviews of these applications, on any connection (a transaction's).
pub async fn interviews_in(
    db: &impl ConnectionTrait,
    applications: &[Uuid],
) -> Result<HashMap<Uuid, Interview>, PersistenceError> {
    interviews_of(db, applications).await
}

/// The interviews behind a list of applications the caller may already see.
pub async fn interviews(
    db: &DatabaseConnection,
    visible: &[Uuid],
) -> Result<HashMap<Uuid, Interview>, PersistenceError> {
    interviews_of(db, visible).await
}

pub struct NewReview<'a> {
    pub event_id: Uuid,
    pub verdict: &'a str,
    pub note: &'a str,
    pub reviewer: UserId,
    pub at: DateTime<Utc>,
    /// The candidate had not seen the flag when the verdict was given.
    pub before_candidate_saw: bool,
}

/// Records a verdict on a flag; a later verdict replaces an earlier one.
pub async fn record_review(
    db: &impl ConnectionTrait,
    permitted: &Permitted<to::Review>,
    review: NewReview<'_>,
) -> Result<(), PersistenceError> {
    let row = flag_review::ActiveModel {
        event_id: Set(review.event_id),
        application_id: Set(permitted.id().0),
        verdict: Set(review.verdict.to_string()),
        note: Set(review.note.to_string()),
        reviewed_by: Set(review.reviewer.0),
        reviewed_at: Set(review.at),
        before_candidate_saw: Set(review.before_candidate_saw),
    };
    flag_review::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                flag_review::Column::ApplicationId,
                flag_review::Column::EventId,
            ])
            .update_columns([
                flag_review::Column::Verdict,
                flag_review::Column::Note,
                flag_review::Column::ReviewedBy,
                flag_review::Column::ReviewedAt,
                flag_review::Column::BeforeCandidateSaw,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A verdict as listed, from its row and the reviewer's email (stored and
/// computed events alike).
pub fn listed_review((review, by): &(flag_review::Model, String)) -> shared::integrity::FlagReview {
    shared::integrity::FlagReview {
        verdict: review
            .verdict
            .parse()
            .unwrap_or(shared::integrity::Verdict::Concern),
        note: review.note.clone(),
        by: by.clone(),
        at: review.reviewed_at,
        before_candidate_saw: review.before_candidate_saw,
    }
}

/// The candidate's responses to the flags of an application, by event id.
pub async fn responses(
    db: &impl ConnectionTrait,
    permitted: &Permitted<to::View>,
) -> Result<HashMap<Uuid, flag_response::Model>, PersistenceError> {
    Ok(flag_response::Entity::find()
        .filter(flag_response::Column::ApplicationId.eq(permitted.id().0))
        .all(db)
        .await?
        .into_iter()
        .map(|response| (response.event_id, response))
        .collect())
}

/// What became of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Responded {
    /// Stored (new, or a changed text).
    Stored,
    /// The same text was already stored: nothing changed.
    Unchanged,
    /// A verdict was given after the stored response: it can no longer change.
    Locked,
}

/// Stores the candidate's response to one flag (a later text replaces an
/// earlier one until a verdict follows it), on the caller's transaction.
pub async fn record_response(
    txn: &DatabaseTransaction,
    permitted: &Permitted<to::Respond>,
    event: Uuid,
    text: &str,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<Responded, PersistenceError> {
    let application = permitted.id().0;
    let existing = flag_response::Entity::find_by_id((application, event))
        .one(txn)
        .await?;
    if let Some(existing) = &existing {
        if existing.text == text {
            return Ok(Responded::Unchanged);
        }
        let verdict_after = flag_review::Entity::find_by_id((application, event))
            .one(txn)
            .await?
            .is_some_and(|review| review.reviewed_at >= existing.responded_at);
        if verdict_after {
            return Ok(Responded::Locked);
        }
    }
    let row = flag_response::ActiveModel {
        application_id: Set(application),
        event_id: Set(event),
        text: Set(text.to_string()),
        responded_by: Set(by.0),
        responded_at: Set(now),
    };
    flag_response::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                flag_response::Column::ApplicationId,
                flag_response::Column::EventId,
            ])
            .update_columns([
                flag_response::Column::Text,
                flag_response::Column::RespondedBy,
                flag_response::Column::RespondedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(Responded::Stored)
}

/// Records that the candidate has just seen the flags of their application.
pub async fn mark_flags_seen(
    db: &DatabaseConnection,
    permitted: &Permitted<to::View>,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    job_application::Entity::update_many()
        .col_expr(
            job_application::Column::FlagsSeenAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(job_application::Column::Id.eq(permitted.id().0))
        .exec(db)
        .await?;
    Ok(())
}

/// A listed event from its row (and its verdict, if any).
pub fn listed(
    row: &monitoring_event::Model,
    review: Option<&(flag_review::Model, String)>,
) -> Result<MonitoringEvent, PersistenceError> {
    use shared::integrity::EventSource;
    let kind = row
        .kind
        .parse()
        .map_err(|_| PersistenceError::Corrupt(format!("event kind `{}`", row.kind)))?;
    let detail = row
        .detail
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|_| PersistenceError::Corrupt("an event's detail is not JSON".into()))?;
    Ok(MonitoringEvent {
        event_id: row.id,
        kind,
        at: row.at,
        ended_at: row.ended_at,
        detail,
        source: if row.source == "server" {
            EventSource::Server
        } else {
            EventSource::Browser
        },
        review: review.map(listed_review),
        response: None,
    })
}
