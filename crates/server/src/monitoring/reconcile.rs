//! `interview-monitor storage reconcile [--fix]`: objects without rows and rows
//! without objects. Objects younger than the grace period are left alone: an
//! upload in flight has its object before its row.

use std::{collections::HashSet, time::Duration};

use chrono::Utc;
use sea_orm::DatabaseConnection;
use shared::ObjectKey;
use uuid::Uuid;

use crate::{
    db::{images as repo, PersistenceError},
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
    /// Rows whose object is missing (removed with `fix`).
    pub rows_without_objects: Vec<String>,
    /// Objects under `monitoring/` that are not image keys (never touched).
    pub foreign_objects: Vec<String>,
}

pub async fn reconcile(db: &DatabaseConnection, store: &dyn ObjectStore, fix: bool, grace: Duration) -> Result<Report, ReconcileError> {
    let rows = repo::all_keys(db).await?;
    let objects = store.list().await?;
    let recorded: HashSet<&str> = rows.iter().map(|(_, key)| key.as_str()).collect();
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
                }
                report.unrecorded_objects.push(object.key.clone());
            }
            Err(_) => report.foreign_objects.push(object.key.clone()),
        }
    }
    let missing: Vec<&(Uuid, String)> = rows.iter().filter(|(_, key)| !stored.contains(key.as_str())).collect();
    for (id, key) in missing {
        // Listed again one by one: the listing may predate a concurrent upload's row.
        if fix {
            repo::delete(db, *id).await?;
        }
        report.rows_without_objects.push(key.clone());
    }
    Ok(report)
}
