//! Objects without rows and rows without objects: swept by every server
//! instance every `RECONCILE_INTERVAL_SECS` ([`sweep_every`]), and on demand by
//! `interview-monitor storage reconcile [--fix]`. Objects and reservations younger than the grace period are
//! left alone: an upload in flight has its reservation, then its object, then
//! its completed row. What `fix` removes of evidence (an object, or the record
//! of an image) is an audit entry of the system's.

use std::{collections::HashSet, time::Duration};

use chrono::Utc;
use sea_orm::DatabaseConnection;
use shared::{audit::AuditAction, ObjectKey};

use sha2::{Digest, Sha256};

use crate::{
    db::{audit, images as repo, PersistenceError},
    storage::{ObjectStore, StorageError},
};

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Persistence(#[from] PersistenceError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

#[derive(Debug, Default)]
pub struct Report {
    /// Stored objects no row records (removed with `fix`).
    pub unrecorded_objects: Vec<String>,
    /// Stored images whose object is missing (removed with `fix`): evidence lost
    /// outside the server, never by a crash of it.
    pub rows_without_objects: Vec<String>,
    /// Reservations abandoned before their object was stored (removed with `fix`):
    /// what a crash in the middle of an upload leaves.
    pub abandoned_reservations: Vec<String>,
    /// Abandoned reservations whose object was stored (completed with `fix`).
    pub unfinished_uploads: Vec<String>,
    /// Objects under `monitoring/` that are not image keys (never touched).
    pub foreign_objects: Vec<String>,
}

pub async fn reconcile(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    fix: bool,
    grace: Duration,
) -> Result<Report, ReconcileError> {
    let rows = repo::all_rows(db).await?;
    let objects = store.list().await?;
    let recorded: HashSet<&str> = rows.iter().map(|row| row.key.as_str()).collect();
    let stored: HashSet<&str> = objects.iter().map(|object| object.key.as_str()).collect();
    let settled_before = Utc::now() - chrono::Duration::from_std(grace).unwrap_or_default();

    let mut report = Report::default();
    for object in &objects {
        if recorded.contains(object.key.as_str()) || object.modified > settled_before {
            continue;
        }
        match object.key.parse::<ObjectKey>() {
            Ok(key) => {
                if fix {
                    store.delete(&key).await?;
                    swept(db, &key, key.to_string()).await?;
                }
                report.unrecorded_objects.push(object.key.clone());
            }
            Err(_) => report.foreign_objects.push(object.key.clone()),
        }
    }
    for row in &rows {
        let has_object = stored.contains(row.key.as_str());
        if row.pending && row.stored_at > settled_before {
            continue; // an upload in flight
        }
        match (row.pending, has_object) {
            (false, true) => {}
            (true, true) => {
                // The object was stored and the row never completed (a crash or a
                // database outage in between): the evidence is whole, so keep it.
                if let (true, Some(reservation)) = (fix, row.reservation()) {
                    repo::complete(db, &reservation, Utc::now()).await?;
                }
                report.unfinished_uploads.push(row.key.clone());
            }
            (pending, false) => {
                if fix {
                    repo::forget(db, row).await?;
                    // A reservation never held an image; a completed row did.
                    if let (false, Ok(key)) = (pending, row.key.parse::<ObjectKey>()) {
                        swept(
                            db,
                            &key,
                            format!("the record of {key} (its object was missing)"),
                        )
                        .await?;
                    }
                }
                if pending {
                    report.abandoned_reservations.push(row.key.clone());
                } else {
                    report.rows_without_objects.push(row.key.clone());
                }
            }
        }
    }
    Ok(report)
}

/// Records what the sweep removed of `key`'s application.
async fn swept(
    db: &DatabaseConnection,
    key: &ObjectKey,
    target: String,
) -> Result<(), PersistenceError> {
    let entry = audit::NewEntry {
        actor: audit::Actor::system(),
        action: AuditAction::Sweep,
        application: Some(key.application_id.0),
        target,
    };
    audit::append_alone(db, entry, Utc::now()).await?;
    Ok(())
}

/// Stored images whose object is not what was uploaded: read back, hashed and
/// compared with the SHA-256 recorded at upload (the built-in store's own
/// authentication failing counts too). Reads every object: an operator's check
/// (`storage reconcile`), not part of the periodic sweep.
pub async fn damaged(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
) -> Result<Vec<String>, ReconcileError> {
    let mut damaged = Vec::new();
    for row in repo::all_rows(db).await? {
        let Ok(key) = row.key.parse::<ObjectKey>() else {
            continue;
        };
        if row.pending {
            continue;
        }
        match store.get(&key).await {
            Ok(bytes) if hex::encode(Sha256::digest(&bytes)) == row.sha256 => {}
            Ok(_) | Err(StorageError::Corrupt) => damaged.push(row.key),
            Err(StorageError::NotFound) => {} // reported by reconcile as a row without its object
            Err(error) => return Err(error.into()),
        }
    }
    Ok(damaged)
}

/// Runs `reconcile` with `fix` every `interval` until the task is dropped. Several
/// instances may sweep at once: removing a missing object or completing a
/// completed row changes nothing.
pub async fn sweep_every(
    db: DatabaseConnection,
    store: std::sync::Arc<dyn ObjectStore>,
    interval: Duration,
    grace: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await; // the first tick is now: wait a whole interval first
    loop {
        ticker.tick().await;
        match reconcile(&db, store.as_ref(), true, grace).await {
            Ok(report) => {
                let fixed = report.unrecorded_objects.len()
                    + report.rows_without_objects.len()
                    + report.abandoned_reservations.len()
                    + report.unfinished_uploads.len();
                if fixed > 0 {
                    tracing::info!(
                        unrecorded_objects = report.unrecorded_objects.len(),
                        rows_without_objects = report.rows_without_objects.len(),
                        abandoned_reservations = report.abandoned_reservations.len(),
                        unfinished_uploads = report.unfinished_uploads.len(),
                        "storage swept"
                    );
                }
            }
            Err(error) => {
                tracing::warn!(error = %crate::telemetry::error_chain(&error), "the storage sweep failed; next time")
            }
        }
    }
}
