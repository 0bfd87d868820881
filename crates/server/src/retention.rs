//! Retention: images (their objects first, then their rows, with the face
//! analyses on them), events, sessions and old verdicts are removed once older
//! than the application's period: RETENTION_DAYS, or its organization's own
//! shorter one. Each instance tries at start and hourly; a lease row lets one
//! purge at a time. Each application's rows go in one transaction with the
//! audit entry that records it; a purge stopped half-way leaves rows whose
//! objects may be gone, which the next purge removes (deleting a missing object
//! succeeds). The same removal erases an application ([`remove_application_data`]).
//! ID photos have a period of their own, counted from the interview's end (its
//! last capture or session start): ID_RETENTION_DAYS.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use shared::{audit::AuditAction, ImageKind, ObjectKey};

use crate::periods::{effective_days, Periods};
use uuid::Uuid;

use crate::{
    db::{
        audit::{self, Actor, NewEntry},
        retention::{self as repo, Organizations},
        PersistenceError,
    },
    storage::{ObjectStore, StorageError},
    telemetry::error_chain,
};

/// The lease's name, and how long one purge may hold it.
const LEASE: &str = "retention";
const LEASE_FOR: Duration = Duration::from_secs(15 * 60);
/// How often each instance tries.
pub const EVERY: Duration = Duration::from_secs(3600);
/// Images read per query.
const BATCH: u64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("the database failed")]
    Persistence(#[from] PersistenceError),
    #[error("object storage failed")]
    Storage(#[from] StorageError),
}

impl From<sea_orm::DbErr> for RetentionError {
    fn from(error: sea_orm::DbErr) -> Self {
        RetentionError::Persistence(error.into())
    }
}

/// What a purge removed (or, dry, would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub images: u64,
    pub events: u64,
    pub sessions: u64,
    /// ID photos past their own period (not counted in `images`).
    pub id_photos: u64,
    /// Another instance holds the lease: nothing was done.
    pub skipped: bool,
}

impl PurgeReport {
    pub fn describe(&self, dry_run: bool, days: Option<u32>) -> String {
        if self.skipped {
            return "another instance is purging now; nothing done".into();
        }
        let verb = if dry_run { "would remove" } else { "removed" };
        let period = match days {
            Some(days) => format!("older than {days} days"),
            None => "past their organization's retention".into(),
        };
        let removed = Removed {
            images: self.images,
            events: self.events,
            sessions: self.sessions,
        };
        let id_photos = match self.id_photos {
            0 => String::new(),
            n => format!("; {verb} {} past their period", counted(n, "ID photo")),
        };
        format!("{verb} {} {period}{id_photos}", removed.describe())
    }

    fn add(&mut self, removed: &Removed) {
        self.images += removed.images;
        self.events += removed.events;
        self.sessions += removed.sessions;
    }
}

/// What left one application.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    pub images: u64,
    pub events: u64,
    pub sessions: u64,
}

impl Removed {
    pub fn describe(&self) -> String {
        format!(
            "{}, {}, {}",
            counted(self.images, "image"),
            counted(self.events, "event"),
            counted(self.sessions, "session")
        )
    }
}

/// "1 image", "2 images".
pub fn counted(count: u64, thing: &str) -> String {
    if count == 1 {
        format!("1 {thing}")
    } else {
        format!("{count} {thing}s")
    }
}

pub fn cutoff(days: u32, now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::days(i64::from(days))
}

/// Removes `application`'s images from before `cutoff` (every one when `None`,
/// with its consents), objects first, then its rows in one transaction with the
/// audit entry `entry` makes of what went (none when it gives `None`). Dry, only counts.
pub async fn remove_application_data(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    application: Uuid,
    cutoff: Option<DateTime<Utc>>,
    dry_run: bool,
    entry: impl FnOnce(&Removed) -> Option<NewEntry>,
) -> Result<Removed, RetentionError> {
    let mut images = Vec::new();
    let mut after = None;
    loop {
        let batch = repo::images_of(db, application, cutoff, after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.0);
        for (id, key) in batch {
            // Storage first: if it fails, the rows stay and the next run tries again.
            if let (false, Ok(key)) = (dry_run, key.parse::<ObjectKey>()) {
                store.delete(&key).await?;
            }
            images.push(id);
        }
    }
    if dry_run {
        let (events, sessions) = repo::count_rows(db, application, cutoff).await?;
        return Ok(Removed {
            images: images.len() as u64,
            events,
            sessions,
        });
    }
    let txn = db.begin().await?;
    let (events, sessions) = repo::remove_rows(&txn, application, &images, cutoff).await?;
    let removed = Removed {
        images: images.len() as u64,
        events,
        sessions,
    };
    if let Some(entry) = entry(&removed) {
        audit::append(&txn, entry, Utc::now()).await?;
    }
    txn.commit().await?;
    Ok(removed)
}

/// The passes of one purge: each period with the organizations it covers.
async fn passes(
    db: &DatabaseConnection,
    server_days: Option<u32>,
) -> Result<Vec<(u32, Organizations)>, PersistenceError> {
    let mut shorter: BTreeMap<u32, Vec<Uuid>> = BTreeMap::new();
    for (organization, days) in repo::organization_periods(db).await? {
        match effective_days(server_days, Some(days)) {
            Some(days) if Some(days) != server_days => {
                shorter.entry(days).or_default().push(organization)
            }
            _ => {}
        }
    }
    let mut passes: Vec<(u32, Organizations)> = Vec::new();
    if let Some(days) = server_days {
        passes.push((
            days,
            Organizations::AllBut(shorter.values().flatten().copied().collect()),
        ));
    }
    passes.extend(
        shorter
            .into_iter()
            .map(|(days, organizations)| (days, Organizations::Only(organizations))),
    );
    Ok(passes)
}

/// Whether any period applies (RETENTION_DAYS, or an organization's own).
pub async fn applies(
    db: &DatabaseConnection,
    server_days: Option<u32>,
) -> Result<bool, PersistenceError> {
    Ok(!passes(db, server_days).await?.is_empty())
}

/// Purges what is past its period (or counts it, `dry_run`), holding the lease as
/// `holder`; also finishes erasures that stopped half-way.
pub async fn purge(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    periods: impl Into<Periods>,
    now: DateTime<Utc>,
    dry_run: bool,
    holder: &str,
) -> Result<PurgeReport, RetentionError> {
    let periods = periods.into();
    if dry_run {
        return purge_held(db, store, periods, now, true).await;
    }
    let work = purge_held(db, store, periods, now, false);
    match hold_lease_while(db, LEASE, holder, LEASE_FOR, work).await? {
        Some(result) => result,
        None => Ok(PurgeReport {
            skipped: true,
            ..PurgeReport::default()
        }),
    }
}

/// Runs `work` holding the lease `name` as `holder`, renewed every third of
/// `lease_for` while it runs, so a long purge is never taken over half-way;
/// `None` when another holder has it. Should the lease be lost all the same
/// (the database unreachable for longer than `lease_for`, and another instance
/// took it), the work stops at its next step rather than run beside another.
pub async fn hold_lease_while<T>(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
    lease_for: Duration,
    work: impl std::future::Future<Output = T>,
) -> Result<Option<T>, PersistenceError> {
    let lease = chrono::Duration::from_std(lease_for).unwrap_or_default();
    let now = Utc::now();
    if !repo::take_lease(db, name, holder, now, now + lease).await? {
        return Ok(None);
    }
    let renewing = async {
        loop {
            tokio::time::sleep(lease_for / 3).await;
            let now = Utc::now();
            match repo::take_lease(db, name, holder, now, now + lease).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(error) => {
                    tracing::warn!(error = %error_chain(&error), lease = name, "could not renew a lease; trying again")
                }
            }
        }
    };
    let result = tokio::select! {
        result = work => Some(result),
        () = renewing => {
            tracing::error!(lease = name, "a lease was lost while its work ran; stopping it");
            None
        }
    };
    if let Err(error) = repo::release_lease(db, name, holder).await {
        tracing::warn!(error = %error_chain(&error), lease = name, "could not give a lease back; it runs out by itself");
    }
    Ok(result)
}

async fn purge_held(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    periods: Periods,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<PurgeReport, RetentionError> {
    let mut report = PurgeReport::default();
    for (days, organizations) in passes(db, periods.all).await? {
        let cutoff = cutoff(days, now);
        for application in repo::applications_with_expired(db, &organizations, cutoff).await? {
            let removed =
                remove_application_data(db, store, application, Some(cutoff), dry_run, |removed| {
                    Some(NewEntry {
                        actor: Actor::system(),
                        action: AuditAction::Purge,
                        application: Some(application),
                        target: format!("{} older than {days} days", removed.describe()),
                    })
                })
                .await?;
            report.add(&removed);
        }
    }
    for application in repo::unfinished_erasures(db).await? {
        let removed = remove_application_data(db, store, application, None, dry_run, |removed| {
            Some(NewEntry {
                actor: Actor::system(),
                action: AuditAction::Purge,
                application: Some(application),
                target: format!(
                    "{} left by an erasure that stopped half-way",
                    removed.describe()
                ),
            })
        })
        .await?;
        report.add(&removed);
    }
    report.id_photos = purge_id_photos(db, store, periods.id_photos, now, dry_run).await?;
    Ok(report)
}

/// Removes the ID photos of interviews that ended more than `days` before
/// `now` (their last capture or session start, the ID photo's own included;
/// an interview still going on keeps its photo however old it is), objects
/// first, then the rows with an audit entry per application; how many went
/// (dry: would go).
async fn purge_id_photos(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    days: u32,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<u64, RetentionError> {
    let cutoff = cutoff(days, now);
    let applications = repo::applications_with(db, ImageKind::Id).await?;
    let facts = crate::db::applications::lifecycle_facts(db, &applications).await?;
    let mut removed = 0;
    for application in applications {
        let photos = repo::images_of_kind(db, application, ImageKind::Id).await?;
        let ended = facts
            .get(&application)
            .and_then(|f| f.last_activity)
            .max(photos.iter().map(|(_, _, at)| *at).max());
        if photos.is_empty() || ended.is_none_or(|ended| ended >= cutoff) {
            continue;
        }
        removed += photos.len() as u64;
        if dry_run {
            continue;
        }
        for (_, key, _) in &photos {
            if let Ok(key) = key.parse::<ObjectKey>() {
                store.delete(&key).await?;
            }
        }
        let ids: Vec<Uuid> = photos.iter().map(|(id, _, _)| *id).collect();
        let txn = db.begin().await?;
        repo::remove_images(&txn, &ids).await?;
        audit::append(
            &txn,
            NewEntry {
                actor: Actor::system(),
                action: AuditAction::Purge,
                application: Some(application),
                target: format!(
                    "{} {days} days after the interview",
                    counted(photos.len() as u64, "ID photo")
                ),
            },
            Utc::now(),
        )
        .await?;
        txn.commit().await?;
    }
    Ok(removed)
}

/// At start, then every [`EVERY`], until the task is aborted.
pub async fn purge_every(db: DatabaseConnection, store: Arc<dyn ObjectStore>, periods: Periods) {
    let holder = uuid::Uuid::new_v4().to_string();
    let mut ticker = tokio::time::interval(EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match purge(&db, store.as_ref(), periods, Utc::now(), false, &holder).await {
            Ok(report)
                if report.skipped
                    || report.images + report.events + report.sessions + report.id_photos == 0 => {}
            Ok(report) => tracing::info!(
                images = report.images,
                events = report.events,
                sessions = report.sessions,
                id_photos = report.id_photos,
                "retention purge"
            ),
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), "the retention purge failed; next time")
            }
        }
    }
}
