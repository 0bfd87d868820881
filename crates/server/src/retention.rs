//! Retention: images (their objects first, then their rows, with the face
//! analyses on them), events, sessions and old verdicts are removed once older
//! than RETENTION_DAYS. Each instance tries at start and hourly; a lease row
//! lets one purge at a time. A purge stopped half-way leaves rows whose objects
//! may be gone, which the next purge removes (deleting a missing object succeeds).

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use shared::ObjectKey;

use crate::{
    db::{images, retention as repo, PersistenceError},
    error::error_chain,
    storage::{ObjectStore, StorageError},
};

/// The lease's name, and how long one purge may hold it.
const LEASE: &str = "retention";
const LEASE_FOR: Duration = Duration::from_secs(15 * 60);
/// How often each instance tries.
pub const EVERY: Duration = Duration::from_secs(3600);
/// Images removed per batch (a query, then one object and one row each).
const BATCH: u64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("the database failed")]
    Persistence(#[from] PersistenceError),
    #[error("object storage failed")]
    Storage(#[from] StorageError),
}

/// What a purge removed (or, dry, would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub images: u64,
    pub events: u64,
    pub sessions: u64,
    /// Another instance holds the lease: nothing was done.
    pub skipped: bool,
}

impl PurgeReport {
    pub fn describe(&self, dry_run: bool, days: u32) -> String {
        if self.skipped {
            return "another instance is purging now; nothing done".into();
        }
        let verb = if dry_run { "would remove" } else { "removed" };
        format!("{verb} {} images, {} events, {} sessions older than {days} days", self.images, self.events, self.sessions)
    }
}

pub fn cutoff(days: u32, now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::days(i64::from(days))
}

/// Purges what is older than `days` (or counts it, `dry_run`), holding the lease as `holder`.
pub async fn purge(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    days: u32,
    now: DateTime<Utc>,
    dry_run: bool,
    holder: &str,
) -> Result<PurgeReport, RetentionError> {
    let cutoff = cutoff(days, now);
    if dry_run {
        let (images, events, sessions) = repo::count_expired(db, cutoff).await?;
        return Ok(PurgeReport { images, events, sessions, skipped: false });
    }
    let until = now + chrono::Duration::from_std(LEASE_FOR).unwrap_or_default();
    if !repo::take_lease(db, LEASE, holder, now, until).await? {
        return Ok(PurgeReport { skipped: true, ..PurgeReport::default() });
    }
    let result = purge_held(db, store, cutoff).await;
    if let Err(error) = repo::release_lease(db, LEASE, holder).await {
        tracing::warn!(error = %error_chain(&error), "could not give the retention lease back; it runs out by itself");
    }
    result
}

async fn purge_held(db: &DatabaseConnection, store: &dyn ObjectStore, cutoff: DateTime<Utc>) -> Result<PurgeReport, RetentionError> {
    let mut report = PurgeReport::default();
    loop {
        let expired = repo::expired_images(db, cutoff, BATCH).await?;
        if expired.is_empty() {
            break;
        }
        for (id, key) in expired {
            // Storage first: if it fails, the row stays and the next purge tries again.
            if let Ok(key) = key.parse::<ObjectKey>() {
                store.delete(&key).await?;
            }
            images::forget(db, id).await?;
            report.images += 1;
        }
    }
    let (events, sessions) = repo::remove_expired_rows(db, cutoff).await?;
    report.events = events;
    report.sessions = sessions;
    Ok(report)
}

/// At start, then every [`EVERY`], until the task is aborted.
pub async fn purge_every(db: DatabaseConnection, store: Arc<dyn ObjectStore>, days: u32) {
    let holder = uuid::Uuid::new_v4().to_string();
    let mut ticker = tokio::time::interval(EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match purge(&db, store.as_ref(), days, Utc::now(), false, &holder).await {
            Ok(report) if report.skipped || report.images + report.events + report.sessions == 0 => {}
            Ok(report) => tracing::info!(images = report.images, events = report.events, sessions = report.sessions, "retention purge"),
            Err(error) => tracing::warn!(error = %error_chain(&error), "the retention purge failed; next time"),
        }
    }
}
