//! The integrity service: the server's side of `app::services::Integrity`.
//! Consent gates a candidate's captures and events; sessions record the
//! intervals the panel used; events are stored once per id; the timeline adds
//! the capture gaps computed over the whole interview; reviewers' verdicts stay
//! with their events.

use std::{collections::HashMap, time::Duration};

use app::{services::Integrity, AppError};
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{DatabaseConnection, TransactionTrait};
use shared::input::integrity::NewEvent;
use shared::{
    audit::AuditAction,
    integrity::{
        capture_gaps, face_runs, summarize, ConsentReceipt, ConsentTerms, EventKind, EventList,
        EventSource, EventsAccepted, FlagResponse, MonitoringEvent, ResponseRecorded,
        ReviewRecorded, SessionEnded, SessionSpan, SessionStarted, Verdict, CONSENT_VERSION,
    },
    language::Language,
    webhooks::WebhookEvent,
    ApplicationId, CurrentUser,
};
use uuid::Uuid;

use crate::{
    db::audit,
    db::counters,
    db::integrity::{self as repo, listed_review, EventRow, Interview, Recorded},
    db::summaries as stored,
    db::webhooks::{self, Announcement},
    db::PersistenceError,
    monitoring::check_time,
    policy::{self, to, to::Permission, Permitted},
};

pub struct IntegrityService {
    pub db: DatabaseConnection,
    /// INTERVIEW_IDLE_SECS, for the state webhooks report.
    pub interview_idle: Duration,
    /// How long images, events and ID photos are kept, as the consent text states.
    pub retention: crate::periods::Periods,
    pub signed_url_ttl: Duration,
}

/// Responses (each change one) a user may send in an hour.
pub const RESPONSES_PER_HOUR: u64 = 60;

impl IntegrityService {
    /// The flag `event` of the application as its timeline shows it: 404 when
    /// there is no such event, 400 when it is no flag (`takes`: the verdict or
    /// response a flag takes and another event does not).
    async fn flag_of(
        &self,
        viewed: &Permitted<to::View>,
        event: Uuid,
        takes: &str,
    ) -> Result<MonitoringEvent, AppError> {
        let interview = repo::interview(&self.db, viewed).await?;
        let flagged = timeline(viewed.id(), &interview)?
            .events
            .into_iter()
            .find(|e| e.event_id == event)
            .ok_or_else(|| AppError::NotFound("no such event in this application".into()))?;
        if !flagged.kind.is_flag() {
            return Err(AppError::BadRequest(format!(
                "`{}` events are not flags and take no {takes}",
                flagged.kind
            )));
        }
        Ok(flagged)
    }

    /// The application's retention period: the server's, or its organization's shorter one.
    async fn retention_of<P: Permission>(
        &self,
        permitted: &Permitted<P>,
    ) -> Result<Option<u32>, AppError> {
        let organization =
            crate::db::applications::organization_retention(&self.db, permitted.organization())
                .await?;
        Ok(crate::periods::effective_days(
            self.retention.all,
            organization,
        ))
    }
}

/// 429: the application has all of something it may have.
fn quota_reached(quota: repo::QuotaReached) -> AppError {
    AppError::TooManyRequests(format!(
        "this application already has the most {} one interview may have ({})",
        quota.what, quota.limit
    ))
}

fn spans(interview: &Interview) -> Vec<SessionSpan> {
    interview
        .sessions
        .iter()
        .map(|s| SessionSpan {
            started_at: s.started_at,
            camera_interval: u32::try_from(s.camera_interval).unwrap_or(30),
            screen_interval: u32::try_from(s.screen_interval).unwrap_or(30),
        })
        .collect()
}

/// The timeline's events (stored, and gaps and face runs computed now) with the summary.
pub(crate) fn timeline(
    application: ApplicationId,
    interview: &Interview,
) -> Result<EventList, AppError> {
    let review = |id: &Uuid| interview.reviews.get(id);
    let mut events = interview
        .events
        .iter()
        .map(|row| repo::listed(row, review(&row.id)))
        .collect::<Result<Vec<_>, _>>()?;
    let sessions = spans(interview);
    for gap in capture_gaps(&sessions, &interview.camera, &interview.screen, &events) {
        let event_id = gap.event_id(application);
        events.push(MonitoringEvent {
            event_id,
            kind: EventKind::CaptureGap,
            at: gap.from,
            ended_at: Some(gap.to),
            detail: Some(serde_json::json!({"imageType": gap.kind.as_str(), "expectedEverySeconds": gap.expected_every_secs})),
            source: EventSource::Server,
            review: review(&event_id).map(listed_review),
            response: None,
        });
    }
    for run in face_runs(&interview.faces) {
        let event_id = run.event_id(application);
        let captures: Vec<String> = run.captures.iter().map(ToString::to_string).collect();
        events.push(MonitoringEvent {
            event_id,
            kind: run.kind,
            at: run.from,
            ended_at: Some(run.to),
            detail: Some(serde_json::json!({"snapshots": run.snapshots, "captureIds": captures})),
            source: EventSource::Server,
            review: review(&event_id).map(listed_review),
            response: None,
        });
    }
    events.sort_by_key(|e| (e.at, e.event_id));
    let captures: Vec<_> = interview
        .camera
        .iter()
        .chain(&interview.screen)
        .copied()
        .collect();
    let summary = summarize(&sessions, &captures, &events);
    Ok(EventList {
        events,
        summary,
        responses_close_at: None,
    })
}

/// The interview's lifecycle state at `now`, read on `db` (a transaction's,
/// to announce it with what changed it).
pub(crate) async fn state_in(
    db: &impl sea_orm::ConnectionTrait,
    application: Uuid,
    idle: Duration,
    now: chrono::DateTime<Utc>,
) -> Result<shared::lifecycle::InterviewState, AppError> {
    // The facts first, as in the listings.
    let mut facts = crate::db::applications::lifecycle_facts(db, &[application])
        .await?
        .remove(&application)
        .unwrap_or_default();
    let interview = repo::interviews_in(db, &[application])
        .await?
        .remove(&application)
        .unwrap_or_default();
    let summary = timeline(ApplicationId(application), &interview)?.summary;
    facts.flags = summary.flags;
    facts.unreviewed_flags = summary.unreviewed_flags;
    let idle = chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::MAX);
    Ok(shared::lifecycle::interview_state(&facts, now, idle))
}

/// The flags the server worked out for an application (faces, capture
/// gaps), by id: what `flag.raised` announces when the interview is analysed.
pub async fn server_flags(
    db: &impl sea_orm::ConnectionTrait,
    application: Uuid,
) -> Result<Vec<(Uuid, EventKind)>, AppError> {
    let Some(interview) = repo::interviews_in(db, &[application])
        .await?
        .remove(&application)
    else {
        return Ok(Vec::new());
    };
    Ok(timeline(ApplicationId(application), &interview)?
        .events
        .into_iter()
        .filter(|event| event.source == EventSource::Server && event.kind.is_flag())
        .map(|event| (event.event_id, event.kind))
        .collect())
}

/// What lists show of the summaries of applications a list already scoped to
/// what the caller may see: the stored ones still current, the others computed
/// from their interviews and stored.
pub async fn summaries(
    db: &DatabaseConnection,
    visible: &[Uuid],
) -> Result<HashMap<Uuid, stored::Listed>, AppError> {
    let stamps = stored::stamps(db, visible).await?;
    let mut listed = stored::current(db, &stamps).await?;
    let stale: Vec<Uuid> = visible
        .iter()
        .copied()
        .filter(|id| !listed.contains_key(id))
        .collect();
    if stale.is_empty() {
        return Ok(listed);
    }
    let mut computed = Vec::with_capacity(stale.len());
    for (id, interview) in repo::interviews(db, &stale).await? {
        let summary = stored::Listed::of(&timeline(ApplicationId(id), &interview)?);
        listed.insert(id, summary);
        if let Some(stamp) = stamps.get(&id) {
            computed.push((id, stamp.clone(), summary));
        }
    }
    // A summary that could not be stored is computed again next time.
    if let Err(error) = stored::store(db, &computed, Utc::now()).await {
        tracing::warn!(error = %crate::telemetry::error_chain(&error), "could not store integrity summaries");
    }
    Ok(listed)
}

#[async_trait]
impl Integrity for IntegrityService {
    async fn terms(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        language: Language,
    ) -> Result<ConsentTerms, AppError> {
        let permitted = policy::authorize::<to::Upload>(&self.db, user, application).await?;
        let consented =
            repo::consent_to(&self.db, &permitted, user.id, CONSENT_VERSION, language).await?;
        Ok(ConsentTerms {
            consent_version: CONSENT_VERSION.into(),
            language,
            retention_days: self.retention_of(&permitted).await?,
            signed_url_ttl_secs: self.signed_url_ttl.as_secs(),
            consented_at: consented.map(|c| c.consented_at),
            id_photo_days: permitted.asks_for_id().then_some(self.retention.id_photos),
        })
    }

    #[tracing::instrument(skip_all, fields(application = %application))]
    async fn consent(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        version: &str,
        language: Language,
    ) -> Result<ConsentReceipt, AppError> {
        let permitted = policy::authorize::<to::Consent>(&self.db, user, application).await?;
        let consent =
            repo::record_consent(&self.db, &permitted, user, version, language, Utc::now()).await?;
        tracing::info!(user = %user.id, version, %language, "consent recorded");
        let retention_days = self.retention_of(&permitted).await?;
        Ok(ConsentReceipt {
            consented_at: consent.consented_at,
            consent_version: consent.consent_version,
            language,
            retention_days,
        })
    }

    async fn start_session(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        (camera_interval, screen_interval): (u32, u32),
        user_agent: &str,
    ) -> Result<SessionStarted, AppError> {
        let permitted = policy::authorize::<to::Capture>(&self.db, user, application).await?;
        let now = Utc::now();
        let session = repo::start_session(
            &self.db,
            &permitted,
            repo::NewSession {
                user: user.id,
                started_at: now,
                camera_interval,
                screen_interval,
                user_agent,
            },
        )
        .await?
        .map_err(quota_reached)?;
        Ok(SessionStarted {
            session_id: session.id,
            started_at: session.started_at,
            server_time: Utc::now(),
        })
    }

    async fn end_session(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        session: Uuid,
    ) -> Result<SessionEnded, AppError> {
        let permitted = policy::authorize::<to::Upload>(&self.db, user, application).await?;
        let ended_at = repo::end_session(&self.db, &permitted, session, Utc::now())
            .await?
            .ok_or_else(|| {
                AppError::NotFound("no such monitoring session in this application".into())
            })?;
        tracing::info!(user = %user.id, %session, "monitoring session ended");
        Ok(SessionEnded {
            session_id: session,
            ended_at,
        })
    }

    #[tracing::instrument(skip_all, fields(application = %application, events = events.len()))]
    async fn record_events(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        session: Option<Uuid>,
        events: Vec<NewEvent>,
    ) -> Result<EventsAccepted, AppError> {
        let permitted = policy::authorize::<to::Capture>(&self.db, user, application).await?;
        if let Some(session) = session {
            if !repo::session_exists(&self.db, &permitted, session).await? {
                return Err(AppError::NotFound(
                    "no such monitoring session in this application".into(),
                ));
            }
        }
        let now = Utc::now();
        for event in &events {
            check_time("at", event.at, permitted.created_at(), now)?;
            if let Some(end) = event.ended_at {
                check_time("endedAt", end, permitted.created_at(), now)?;
            }
        }
        if events.is_empty() {
            return Ok(EventsAccepted { accepted: 0 });
        }
        let rows: Vec<EventRow> = events
            .iter()
            .map(|e| EventRow {
                id: e.event_id,
                kind: e.kind.as_str().into(),
                at: e.at,
                ended_at: e.ended_at,
                detail: e.detail.clone(),
            })
            .collect();
        let txn = self.db.begin().await.map_err(PersistenceError::from)?;
        match repo::record_events(&txn, &permitted, session, user.id, &rows, now).await? {
            Recorded::Stored { new } => {
                // The flags among them are announced with them.
                let raised: Vec<(Uuid, EventKind)> = new
                    .iter()
                    .filter_map(|row| Some((row.id, row.kind.parse::<EventKind>().ok()?)))
                    .filter(|(_, kind)| kind.is_flag())
                    .collect();
                if !raised.is_empty() {
                    // A flag just raised has no verdict: the facts alone give the state.
                    let state = crate::db::applications::stages(
                        &txn,
                        &[application.0],
                        self.interview_idle,
                        now,
                    )
                    .await?
                    .remove(&application.0)
                    .unwrap_or_default();
                    let announcements = raised
                        .into_iter()
                        .map(|(event_id, kind)| {
                            let mut announcement =
                                Announcement::new(WebhookEvent::FlagRaised, application.0, state);
                            announcement.event_id = Some(event_id);
                            announcement.kind = Some(kind.as_str().to_string());
                            announcement
                        })
                        .collect();
                    webhooks::announce_all(&txn, application.0, announcements, now).await?;
                }
                txn.commit().await.map_err(PersistenceError::from)?;
                metrics::counter!("interview_monitor_events_total").increment(rows.len() as u64);
                Ok(EventsAccepted {
                    accepted: rows.len(),
                })
            }
            Recorded::Conflict(id) => Err(AppError::Conflict(format!(
                "eventId {id} was already used for a different event"
            ))),
            Recorded::Quota(quota) => Err(quota_reached(quota)),
        }
    }

    async fn events(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
    ) -> Result<EventList, AppError> {
        let permitted = policy::authorize::<to::View>(&self.db, user, application).await?;
        let interview = repo::interview(&self.db, &permitted).await?;
        let mut list = timeline(application, &interview)?;
        with_responses(&self.db, &permitted, &mut list).await?;
        list.responses_close_at = responses_close_at(&self.db, &permitted).await?;
        if !policy::sees_verdicts(user) {
            for event in &mut list.events {
                event.review = None;
            }
            list.summary.concerns = 0;
        }
        // The candidate has now seen the flags listed: a verdict from here on
        // is not marked as given before they saw it.
        if user.id == permitted.candidate() {
            repo::mark_flags_seen(&self.db, &permitted, Utc::now()).await?;
        }
        Ok(list)
    }

    #[tracing::instrument(skip_all, fields(application = %application, event = %event))]
    async fn review_flag(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        event: Uuid,
        verdict: Verdict,
        note: String,
    ) -> Result<ReviewRecorded, AppError> {
        let permitted = policy::authorize::<to::Review>(&self.db, user, application).await?;
        let flagged = self.flag_of(&permitted.to_view(), event, "verdict").await?;
        let before_candidate_saw = permitted
            .flags_seen_at()
            .is_none_or(|seen| seen < flagged.ended_at.unwrap_or(flagged.at));
        let now = Utc::now();
        // The verdict, its audit entry and its announcement together; the
        // entry first (it takes SQLite's write lock), the note kept out of it.
        let txn = self.db.begin().await.map_err(PersistenceError::from)?;
        audit::append(
            &txn,
            audit::NewEntry {
                actor: audit::Actor::user(user),
                action: AuditAction::Review,
                application: Some(application.0),
                target: format!("event {event}: {}", verdict.as_str()),
            },
            now,
        )
        .await?;
        repo::record_review(
            &txn,
            &permitted,
            repo::NewReview {
                event_id: event,
                verdict: verdict.as_str(),
                note: &note,
                reviewer: user.id,
                at: now,
                before_candidate_saw,
            },
        )
        .await?;
        let state = state_in(&txn, application.0, self.interview_idle, now).await?;
        let mut announcement = Announcement::new(WebhookEvent::FlagReviewed, application.0, state);
        announcement.event_id = Some(event);
        announcement.verdict = Some(verdict.as_str().to_string());
        webhooks::announce(&txn, announcement, now).await?;
        txn.commit().await.map_err(PersistenceError::from)?;
        tracing::info!(user = %user.id, verdict = verdict.as_str(), "flag reviewed");
        Ok(ReviewRecorded { success: true })
    }

    #[tracing::instrument(skip_all, fields(application = %application, event = %event))]
    async fn respond(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        event: Uuid,
        text: String,
    ) -> Result<ResponseRecorded, AppError> {
        let permitted = policy::authorize::<to::Respond>(&self.db, user, application).await?;
        let viewed = permitted.to_view();
        self.flag_of(&viewed, event, "response").await?;
        let now = Utc::now();
        if let Some(closed) = responses_close_at(&self.db, &viewed)
            .await?
            .filter(|closes| *closes <= now)
        {
            return Err(AppError::Conflict(format!(
                "responses to this interview's flags closed at {}",
                closed.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )));
        }
        // Each change is an audit entry: a flood of them is refused, counted
        // across instances (a person changes a response a few times).
        let subject = format!("responses:{}", user.id);
        if counters::take(&self.db, &subject, now, 3600).await? > RESPONSES_PER_HOUR {
            return Err(AppError::TooManyRequests(format!(
                "more than {RESPONSES_PER_HOUR} responses sent in an hour; try again later"
            )));
        }
        // The response and its audit entry together, the entry first (it takes
        // SQLite's write lock); the text stays out of the trail.
        let txn = self.db.begin().await.map_err(PersistenceError::from)?;
        audit::append(
            &txn,
            audit::NewEntry {
                actor: audit::Actor::user(user),
                action: AuditAction::Respond,
                application: Some(application.0),
                target: format!("event {event}"),
            },
            now,
        )
        .await?;
        match repo::record_response(&txn, &permitted, event, &text, user.id, now).await? {
            repo::Responded::Stored => {
                txn.commit().await.map_err(PersistenceError::from)?;
                tracing::info!(user = %user.id, "flag responded to");
                // Who answers a flag has seen it (and the ones listed with it).
                repo::mark_flags_seen(&self.db, &viewed, now).await?;
            }
            // Nothing changed: no entry either.
            repo::Responded::Unchanged => {
                txn.rollback().await.map_err(PersistenceError::from)?;
            }
            repo::Responded::Locked => {
                txn.rollback().await.map_err(PersistenceError::from)?;
                return Err(AppError::Conflict(
                    "a reviewer has given a verdict on this flag since your response; it can no longer change".into(),
                ));
            }
        }
        Ok(ResponseRecorded { success: true })
    }
}

/// Adds the candidate's responses to the flags listed (a response is locked
/// once a verdict follows it).
pub(crate) async fn with_responses(
    db: &DatabaseConnection,
    permitted: &Permitted<to::View>,
    list: &mut EventList,
) -> Result<(), AppError> {
    let mut responses = repo::responses(db, permitted).await?;
    if responses.is_empty() {
        return Ok(());
    }
    for event in list.events.iter_mut().filter(|e| e.kind.is_flag()) {
        if let Some(response) = responses.remove(&event.event_id) {
            let locked = event
                .review
                .as_ref()
                .is_some_and(|review| review.at >= response.responded_at);
            event.response = Some(FlagResponse {
                text: response.text,
                at: response.responded_at,
                locked,
            });
        }
    }
    Ok(())
}

/// When responses to the application's flags close: its organization's
/// window after the interview's last activity (`None`: no window, or no
/// interview yet).
async fn responses_close_at(
    db: &DatabaseConnection,
    permitted: &Permitted<to::View>,
) -> Result<Option<chrono::DateTime<Utc>>, AppError> {
    let Some(days) =
        crate::db::applications::organization_response_days(db, permitted.organization()).await?
    else {
        return Ok(None);
    };
    let last = crate::db::applications::lifecycle_facts(db, &[permitted.id().0])
        .await?
        .remove(&permitted.id().0)
        .and_then(|facts| facts.last_activity);
    Ok(last.map(|at| at + chrono::Duration::days(i64::from(days.max(0)))))
}
