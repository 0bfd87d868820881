//! Job applications.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Select, Set,
};
use shared::search::Cursor;
use shared::{
    ApplicationId, ApplicationSummary, CaptureSettings, ImageKind, OrganizationId, UserId,
};
use uuid::Uuid;

use super::{
    entities::{
        consent, face_job, job_application, monitoring_image, monitoring_session, organization,
        user,
    },
    PersistenceError,
};

pub async fn create_application(
    db: &impl ConnectionTrait,
    organization_id: OrganizationId,
    candidate_id: UserId,
    title: &str,
    capture: CaptureSettings,
) -> Result<job_application::Model, PersistenceError> {
    let interval = |seconds: Option<u32>| seconds.map(|s| s.min(i32::MAX as u32) as i32);
    Ok(job_application::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(organization_id.0),
        candidate_id: Set(candidate_id.0),
        title: Set(title.to_string()),
        created_at: Set(Utc::now()),
        erased_at: Set(None),
        camera_interval: Set(interval(capture.camera_interval)),
        screen_interval: Set(interval(capture.screen_interval)),
        camera_enabled: Set(capture.camera),
        screen_enabled: Set(capture.screen),
        announced: Set(None),
        flags_seen_at: Set(None),
        id_check: Set(capture.id_check),
    }
    .insert(db)
    .await?)
}

/// What the panel captures for this application.
pub fn capture_settings(application: &job_application::Model) -> CaptureSettings {
    let interval = |seconds: Option<i32>| {
        seconds
            .and_then(|s| u32::try_from(s).ok())
            .filter(|s| shared::application::INTERVALS.contains(s))
    };
    CaptureSettings {
        camera: application.camera_enabled,
        screen: application.screen_enabled,
        camera_interval: interval(application.camera_interval),
        screen_interval: interval(application.screen_interval),
        id_check: application.id_check,
    }
}

/// An application with whether `user` has consented to its monitoring: what an
/// upload checks, in one query (every upload asks).
#[derive(Debug, FromQueryResult)]
pub struct WithConsent {
    #[sea_orm(nested)]
    pub application: job_application::Model,
    pub consented: bool,
}

pub async fn application_with_consent(
    db: &DatabaseConnection,
    id: ApplicationId,
    user: UserId,
) -> Result<Option<WithConsent>, PersistenceError> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let consent = Query::select()
        .expr(Expr::val(1))
        .from(consent::Entity)
        .and_where(
            Expr::col((consent::Entity, consent::Column::ApplicationId))
                .equals((job_application::Entity, job_application::Column::Id)),
        )
        .and_where(Expr::col((consent::Entity, consent::Column::UserId)).eq(user.0))
        .to_owned();
    Ok(job_application::Entity::find_by_id(id.0)
        .expr_as(Expr::exists(consent), "consented")
        .into_model::<WithConsent>()
        .one(db)
        .await?)
}

/// The organization's own retention period, if it chose one.
pub async fn organization_retention(
    db: &DatabaseConnection,
    organization: OrganizationId,
) -> Result<Option<i32>, PersistenceError> {
    Ok(organization::Entity::find_by_id(organization.0)
        .one(db)
        .await?
        .and_then(|o| o.retention_days))
}

/// Days after an interview that its candidate may respond to flags, if the
/// organization set a window.
pub async fn organization_response_days(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
) -> Result<Option<i32>, PersistenceError> {
    Ok(organization::Entity::find_by_id(organization.0)
        .one(db)
        .await?
        .and_then(|o| o.response_days))
}

pub async fn application(
    db: &impl ConnectionTrait,
    id: ApplicationId,
) -> Result<Option<job_application::Model>, PersistenceError> {
    Ok(job_application::Entity::find_by_id(id.0).one(db).await?)
}

/// Which applications a listing covers.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    All,
    Organization(OrganizationId),
    Candidate(UserId),
    One(ApplicationId),
}

/// Which part of a scope's applications, in the list's order (newest first,
/// ties by id, highest first).
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
    /// Only those after this one in the list's order.
    pub after: Option<Cursor>,
    /// At most this many.
    pub limit: Option<u64>,
}

/// Applications in `scope` and `window`, newest first, with their organization's
/// name, candidate's email and the retention periods that apply (`periods`:
/// RETENTION_DAYS, or the organization's shorter one; ID_RETENTION_DAYS).
pub async fn summaries(
    db: &DatabaseConnection,
    scope: Scope,
    window: Window,
    periods: crate::periods::Periods,
) -> Result<Vec<ApplicationSummary>, PersistenceError> {
    use job_application::Column;
    let mut query: Select<job_application::Entity> =
        match scope {
            Scope::All => job_application::Entity::find(),
            Scope::Organization(id) => job_application::Entity::find()
                .filter(job_application::Column::OrganizationId.eq(id.0)),
            Scope::Candidate(id) => job_application::Entity::find()
                .filter(job_application::Column::CandidateId.eq(id.0)),
            Scope::One(id) => {
                job_application::Entity::find().filter(job_application::Column::Id.eq(id.0))
            }
        };
    if let Some(from) = window.from {
        query = query.filter(Column::CreatedAt.gte(from));
    }
    if let Some(to) = window.to {
        query = query.filter(Column::CreatedAt.lt(to));
    }
    if let Some(after) = window.after {
        query = query.filter(
            Condition::any()
                .add(Column::CreatedAt.lt(after.created_at))
                .add(
                    Condition::all()
                        .add(Column::CreatedAt.eq(after.created_at))
                        .add(Column::Id.lt(after.id.0)),
                ),
        );
    }
    let applications = query
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .limit(window.limit)
        .all(db)
        .await?;

    let org_ids: Vec<Uuid> = applications.iter().map(|a| a.organization_id).collect();
    let user_ids: Vec<Uuid> = applications.iter().map(|a| a.candidate_id).collect();
    let organizations: HashMap<Uuid, (String, Option<i32>)> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, (o.name, o.retention_days)))
        .collect();
    let candidates: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();

    // Image counts and the latest capture per application and kind, in one query.
    let ids: Vec<Uuid> = applications.iter().map(|a| a.id).collect();
    let stats: Vec<(Uuid, String, i64, Option<DateTime<Utc>>)> = monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::ApplicationId)
        .column(monitoring_image::Column::Kind)
        .column_as(monitoring_image::Column::Id.count(), "images")
        .column_as(monitoring_image::Column::CapturedAt.max(), "last_capture")
        .filter(monitoring_image::Column::ApplicationId.is_in(ids))
        .filter(monitoring_image::Column::Pending.eq(false))
        .group_by(monitoring_image::Column::ApplicationId)
        .group_by(monitoring_image::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    // (images, the newest capture) of each application and kind.
    type Counts = HashMap<(Uuid, ImageKind), (u64, Option<DateTime<Utc>>)>;
    let mut counts = Counts::new();
    for (application, kind, images, last) in stats {
        if let Ok(kind) = kind.parse::<ImageKind>() {
            counts.insert((application, kind), (images.max(0) as u64, last));
        }
    }
    let count = |id: Uuid, kind: ImageKind| counts.get(&(id, kind)).copied().unwrap_or((0, None));

    Ok(applications
        .into_iter()
        .map(|a| ApplicationSummary {
            camera_images: count(a.id, ImageKind::Camera).0,
            screen_images: count(a.id, ImageKind::Screen).0,
            id_images: count(a.id, ImageKind::Id).0,
            id_retention_days: a.id_check.then_some(periods.id_photos),
            last_capture_at: count(a.id, ImageKind::Camera)
                .1
                .max(count(a.id, ImageKind::Screen).1),
            // Filled in from the integrity summary and the lifecycle's facts.
            integrity_level: Default::default(),
            unreviewed_flags: 0,
            state: Default::default(),
            id: ApplicationId(a.id),
            organization_name: organizations
                .get(&a.organization_id)
                .map(|o| o.0.clone())
                .unwrap_or_default(),
            retention_days: crate::periods::effective_days(
                periods.all,
                organizations.get(&a.organization_id).and_then(|o| o.1),
            ),
            erased_at: a.erased_at,
            capture: capture_settings(&a),
            candidate_email: candidates.get(&a.candidate_id).cloned().unwrap_or_default(),
            organization_id: OrganizationId(a.organization_id),
            title: a.title,
            created_at: a.created_at,
        })
        .collect())
}

/// The applications with these ids (unknown ids are left out).
pub async fn applications(
    db: &DatabaseConnection,
    ids: &[ApplicationId],
) -> Result<Vec<job_application::Model>, PersistenceError> {
    Ok(job_application::Entity::find()
        .filter(job_application::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(db)
        .await?)
}

/// What each application's lifecycle state is worked out from, except its
/// flags (the integrity summary has those): sessions started and still open,
/// the latest start or capture, and captures waiting for face analysis. Four
/// grouped queries, on any connection (a transaction's too).
pub async fn lifecycle_facts(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, shared::lifecycle::StateFacts>, PersistenceError> {
    let mut facts: HashMap<Uuid, shared::lifecycle::StateFacts> = HashMap::new();
    if ids.is_empty() {
        return Ok(facts);
    }
    let sessions: Vec<(Uuid, i64, Option<DateTime<Utc>>)> = monitoring_session::Entity::find()
        .select_only()
        .column(monitoring_session::Column::ApplicationId)
        .column_as(monitoring_session::Column::Id.count(), "sessions")
        .column_as(monitoring_session::Column::StartedAt.max(), "last_start")
        .filter(monitoring_session::Column::ApplicationId.is_in(ids.iter().copied()))
        .group_by(monitoring_session::Column::ApplicationId)
        .into_tuple()
        .all(db)
        .await?;
    for (application, count, last_start) in sessions {
        let entry = facts.entry(application).or_default();
        entry.sessions = count.max(0) as u64;
        entry.last_activity = last_start;
    }
    let open: Vec<(Uuid, i64)> = monitoring_session::Entity::find()
        .select_only()
        .column(monitoring_session::Column::ApplicationId)
        .column_as(monitoring_session::Column::Id.count(), "open")
        .filter(monitoring_session::Column::ApplicationId.is_in(ids.iter().copied()))
        .filter(monitoring_session::Column::EndedAt.is_null())
        .group_by(monitoring_session::Column::ApplicationId)
        .into_tuple()
        .all(db)
        .await?;
    for (application, count) in open {
        facts.entry(application).or_default().open_sessions = count.max(0) as u64;
    }
    let pending: Vec<(Uuid, i64)> = face_job::Entity::find()
        .select_only()
        .column(face_job::Column::ApplicationId)
        .column_as(face_job::Column::ImageId.count(), "pending")
        .filter(face_job::Column::ApplicationId.is_in(ids.iter().copied()))
        .group_by(face_job::Column::ApplicationId)
        .into_tuple()
        .all(db)
        .await?;
    for (application, count) in pending {
        facts.entry(application).or_default().pending_analyses = count.max(0) as u64;
    }
    let captures: Vec<(Uuid, Option<DateTime<Utc>>)> = monitoring_image::Entity::find()
        .select_only()
        .column(monitoring_image::Column::ApplicationId)
        .column_as(monitoring_image::Column::CapturedAt.max(), "last_capture")
        .filter(monitoring_image::Column::ApplicationId.is_in(ids.iter().copied()))
        .filter(monitoring_image::Column::Pending.eq(false))
        .group_by(monitoring_image::Column::ApplicationId)
        .into_tuple()
        .all(db)
        .await?;
    for (application, last_capture) in captures {
        if let Some(entry) = facts.get_mut(&application) {
            entry.last_activity = entry.last_activity.max(last_capture);
        }
    }
    Ok(facts)
}

/// How far each of these interviews has gone at `now` by its facts alone
/// (`invited`, `in_progress`, `ended` or `analysed`; never `reviewed`, which
/// needs the summary's flags): what the milestones and `flag.raised` need,
/// without loading any interview. `idle` is INTERVIEW_IDLE_SECS.
pub async fn stages(
    db: &impl sea_orm::ConnectionTrait,
    ids: &[Uuid],
    idle: std::time::Duration,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<HashMap<Uuid, shared::lifecycle::InterviewState>, PersistenceError> {
    let facts = lifecycle_facts(db, ids).await?;
    let idle = chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::MAX);
    Ok(ids
        .iter()
        .map(|id| {
            let facts = facts.get(id).copied().unwrap_or_default();
            (*id, shared::lifecycle::interview_state(&facts, now, idle))
        })
        .collect())
}
