//! What the live view polls: images stored, flags recorded and faces found
//! since a moment, in an organization (or everywhere). Read from the database
//! every instance shares, so a viewer connected to one instance sees what was
//! uploaded through another.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Query, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use shared::{integrity::EventKind, OrganizationId};
use uuid::Uuid;

use super::{
    entities::{face_analysis, job_application, monitoring_event, monitoring_image},
    faces::ANALYSED,
    PersistenceError,
};

/// One stored image, as the live view announces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub id: Uuid,
    pub application: Uuid,
    pub object_key: String,
    pub captured_at: DateTime<Utc>,
    pub stored_at: DateTime<Utc>,
}

impl From<monitoring_image::Model> for Frame {
    fn from(row: monitoring_image::Model) -> Self {
        Frame {
            id: row.id,
            application: row.application_id,
            object_key: row.object_key,
            captured_at: row.captured_at,
            stored_at: row.stored_at,
        }
    }
}

/// A flag: a browser event of a flag's kind, or a camera image on which the
/// face analysis found no face or several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub application: Uuid,
    /// The event's id; for a face flag, the analysed image's.
    pub id: Uuid,
    pub kind: EventKind,
    pub recorded_at: DateTime<Utc>,
}

/// The ids of an organization's applications, as a subquery.
fn of_organization(organization: OrganizationId) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(job_application::Column::Id)
        .from(job_application::Entity)
        .and_where(job_application::Column::OrganizationId.eq(organization.0))
        .to_owned()
}

/// How many rows one poll reads of each kind at most (a flood is caught up
/// over the next polls).
const POLL_ROWS: u64 = 500;

/// Camera and screen images stored after `since` (of `organization`'s
/// applications, or all); an ID photo is no frame of the interview.
pub async fn frames(
    db: &impl ConnectionTrait,
    organization: Option<OrganizationId>,
    since: DateTime<Utc>,
) -> Result<Vec<Frame>, PersistenceError> {
    let mut query = monitoring_image::Entity::find()
        .filter(monitoring_image::Column::Pending.eq(false))
        .filter(monitoring_image::Column::StoredAt.gt(since))
        .filter(monitoring_image::Column::Kind.ne(shared::ImageKind::Id.as_str()));
    if let Some(organization) = organization {
        query = query.filter(
            monitoring_image::Column::ApplicationId.in_subquery(of_organization(organization)),
        );
    }
    Ok(query
        .order_by_asc(monitoring_image::Column::StoredAt)
        .limit(POLL_ROWS)
        .all(db)
        .await?
        .into_iter()
        .map(Frame::from)
        .collect())
}

/// The latest image of each kind of each of `applications`.
pub async fn latest_frames(
    db: &impl ConnectionTrait,
    applications: &[Uuid],
) -> Result<Vec<Frame>, PersistenceError> {
    let mut frames = Vec::new();
    for application in applications {
        for kind in ["camera", "screen"] {
            let latest = monitoring_image::Entity::find()
                .filter(monitoring_image::Column::ApplicationId.eq(*application))
                .filter(monitoring_image::Column::Kind.eq(kind))
                .filter(monitoring_image::Column::Pending.eq(false))
                .order_by_desc(monitoring_image::Column::CapturedAt)
                .one(db)
                .await?;
            frames.extend(latest.map(Frame::from));
        }
    }
    Ok(frames)
}

/// Flags recorded after `since`: browser events of a flag's kind, and face
/// analyses that found no face or more than one.
pub async fn flags(
    db: &impl ConnectionTrait,
    organization: Option<OrganizationId>,
    since: DateTime<Utc>,
) -> Result<Vec<Flag>, PersistenceError> {
    let mut events =
        monitoring_event::Entity::find().filter(monitoring_event::Column::RecordedAt.gt(since));
    let mut faces = face_analysis::Entity::find()
        .filter(face_analysis::Column::AnalysedAt.gt(since))
        .filter(face_analysis::Column::Outcome.eq(ANALYSED))
        .filter(face_analysis::Column::Faces.ne(1));
    if let Some(organization) = organization {
        events = events.filter(
            monitoring_event::Column::ApplicationId.in_subquery(of_organization(organization)),
        );
        faces = faces.filter(
            face_analysis::Column::ApplicationId.in_subquery(of_organization(organization)),
        );
    }
    let mut flags: Vec<Flag> = events
        .order_by_asc(monitoring_event::Column::RecordedAt)
        .limit(POLL_ROWS)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| {
            let kind = row.kind.parse::<EventKind>().ok().filter(|k| k.is_flag())?;
            Some(Flag {
                application: row.application_id,
                id: row.id,
                kind,
                recorded_at: row.recorded_at,
            })
        })
        .collect();
    flags.extend(
        faces
            .order_by_asc(face_analysis::Column::AnalysedAt)
            .limit(POLL_ROWS)
            .all(db)
            .await?
            .into_iter()
            .map(|row| Flag {
                application: row.application_id,
                id: row.image_id,
                kind: if row.faces == 0 {
                    EventKind::NoFace
                } else {
                    EventKind::MultipleFaces
                },
                recorded_at: row.analysed_at,
            }),
    );
    Ok(flags)
}
