//! Stored integrity summaries: what an applications list shows of each
//! application (its level and unreviewed flags) is kept with the stamp of what
//! it was computed from, so a list recomputes only the applications that
//! changed since (loading every interview of a long list on every view does
//! not scale). The stamp is the count and latest time of each thing a summary
//! is made of, read with one grouped query per table: a new, removed or changed
//! image, event, session, verdict or face analysis moves it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
};
use shared::integrity::{EventKind, EventList, IntegrityLevel};
use uuid::Uuid;

use super::{
    entities::{
        face_analysis, flag_review, integrity_summary, monitoring_event, monitoring_image,
        monitoring_session,
    },
    PersistenceError,
};

/// Adds `(count, latest)` of one table's rows per application to the stamps,
/// tagged with the table's letter (a table with no rows adds nothing).
fn add(
    stamps: &mut HashMap<Uuid, String>,
    tag: char,
    rows: Vec<(Uuid, i64, Option<DateTime<Utc>>)>,
) {
    for (application, count, latest) in rows {
        let latest = latest.map(|t| t.timestamp_micros()).unwrap_or_default();
        if let Some(stamp) = stamps.get_mut(&application) {
            stamp.push_str(&format!("{tag}{count}@{latest};"));
        }
    }
}

/// The stamp of each application in `ids`: what its summary is made of, now.
pub async fn stamps(
    db: &DatabaseConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, PersistenceError> {
    let mut stamps: HashMap<Uuid, String> = ids.iter().map(|id| (*id, String::new())).collect();
    if ids.is_empty() {
        return Ok(stamps);
    }
    macro_rules! grouped {
        ($entity:ident, $application:expr, $time:expr) => {
            $entity::Entity::find()
                .select_only()
                .column($application)
                .column_as(Expr::col($application).count(), "count")
                .column_as(Expr::col($time).max(), "latest")
                .filter($application.is_in(ids.iter().copied()))
                .group_by($application)
        };
    }
    let images = grouped!(
        monitoring_image,
        monitoring_image::Column::ApplicationId,
        monitoring_image::Column::StoredAt
    )
    .filter(monitoring_image::Column::Pending.eq(false))
    .into_tuple()
    .all(db)
    .await?;
    add(&mut stamps, 'i', images);
    let events = grouped!(
        monitoring_event,
        monitoring_event::Column::ApplicationId,
        monitoring_event::Column::RecordedAt
    )
    .into_tuple()
    .all(db)
    .await?;
    add(&mut stamps, 'e', events);
    // An open event that ends changes no count above: how many have ended does.
    let ended = grouped!(
        monitoring_event,
        monitoring_event::Column::ApplicationId,
        monitoring_event::Column::EndedAt
    )
    .filter(monitoring_event::Column::EndedAt.is_not_null())
    .into_tuple()
    .all(db)
    .await?;
    add(&mut stamps, 'x', ended);
    let sessions = grouped!(
        monitoring_session,
        monitoring_session::Column::ApplicationId,
        monitoring_session::Column::StartedAt
    )
    .into_tuple()
    .all(db)
    .await?;
    add(&mut stamps, 's', sessions);
    let reviews = grouped!(
        flag_review,
        flag_review::Column::ApplicationId,
        flag_review::Column::ReviewedAt
    )
    .into_tuple()
    .all(db)
    .await?;
    add(&mut stamps, 'r', reviews);
    let analyses = grouped!(
        face_analysis,
        face_analysis::Column::ApplicationId,
        face_analysis::Column::AnalysedAt
    )
    .into_tuple()
    .all(db)
    .await?;
    add(&mut stamps, 'f', analyses);
    Ok(stamps)
}

/// What a list shows of a summary, and what a search reads of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    pub level: IntegrityLevel,
    pub flags: u32,
    pub unreviewed_flags: u32,
    /// The event kinds the interview had: bit `i` for `EventKind::ALL[i]`
    /// (new kinds are added at the end of `ALL`, so a stored bit keeps its kind).
    pub kinds: u32,
}

impl Listed {
    pub fn of(list: &EventList) -> Self {
        Listed {
            level: list.summary.level,
            flags: list.summary.flags,
            unreviewed_flags: list.summary.unreviewed_flags,
            kinds: list
                .events
                .iter()
                .fold(0, |kinds, e| kinds | kind_bit(e.kind)),
        }
    }

    pub fn had(&self, kind: EventKind) -> bool {
        self.kinds & kind_bit(kind) != 0
    }
}

fn kind_bit(kind: EventKind) -> u32 {
    EventKind::ALL
        .iter()
        .position(|k| *k == kind)
        .map_or(0, |i| 1 << i)
}

/// The stored summaries of `ids` whose stamp is still `stamps`' (the others
/// are missing from the answer: compute them again).
pub async fn current(
    db: &DatabaseConnection,
    stamps: &HashMap<Uuid, String>,
) -> Result<HashMap<Uuid, Listed>, PersistenceError> {
    if stamps.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(integrity_summary::Entity::find()
        .filter(integrity_summary::Column::ApplicationId.is_in(stamps.keys().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter(|row| stamps.get(&row.application_id) == Some(&row.stamp))
        .filter_map(|row| {
            Some((
                row.application_id,
                Listed {
                    level: row.level.parse().ok()?,
                    flags: u32::try_from(row.flags).ok()?,
                    unreviewed_flags: u32::try_from(row.unreviewed_flags).ok()?,
                    kinds: u32::try_from(row.kinds).ok()?,
                },
            ))
        })
        .collect())
}

/// Stores summaries computed from what `stamps` describes.
pub async fn store(
    db: &DatabaseConnection,
    computed: &[(Uuid, String, Listed)],
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    if computed.is_empty() {
        return Ok(());
    }
    let rows = computed.iter().map(
        |(application, stamp, listed)| integrity_summary::ActiveModel {
            application_id: Set(*application),
            stamp: Set(stamp.clone()),
            level: Set(listed.level.as_str().to_string()),
            flags: Set(i64::from(listed.flags)),
            unreviewed_flags: Set(i64::from(listed.unreviewed_flags)),
            kinds: Set(i64::from(listed.kinds)),
            computed_at: Set(now),
        },
    );
    integrity_summary::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(integrity_summary::Column::ApplicationId)
                .update_columns([
                    integrity_summary::Column::Stamp,
                    integrity_summary::Column::Level,
                    integrity_summary::Column::Flags,
                    integrity_summary::Column::UnreviewedFlags,
                    integrity_summary::Column::Kinds,
                    integrity_summary::Column::ComputedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
