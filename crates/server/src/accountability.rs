//! The server's side of `app::services::Accountability`: the audit trail as
//! people read it, and erasure.

use std::{collections::HashMap, sync::Arc};

use app::{services::Accountability, AppError};
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use shared::{
    audit::{AuditAction, AuditEntry, AuditTrail, ErasureReceipt},
    ApplicationId, CurrentUser, ObjectKey,
};
use uuid::Uuid;

use crate::{
    db::{
        audit::{self as repo, Actor, NewEntry},
        entities::{audit_entry, organization},
        retention as retention_repo, PersistenceError,
    },
    policy::{self, to, AdminTask},
    retention::{remove_application_data, Removed, RetentionError},
    storage::ObjectStore,
};

pub struct AccountabilityService {
    pub db: DatabaseConnection,
    pub store: Arc<dyn ObjectStore>,
}

/// Who did it, in words: a role and organization, not a name.
fn actor_words(
    entry: &audit_entry::Model,
    organizations: &HashMap<Uuid, String>,
    viewer: &CurrentUser,
) -> String {
    let organization = entry
        .actor_organization
        .and_then(|id| organizations.get(&id));
    match (entry.actor_role.as_str(), organization) {
        ("candidate", _) if entry.actor_id == Some(viewer.id.0) => "you".into(),
        ("candidate", _) => "the candidate".into(),
        ("recruiter", Some(name)) => format!("a recruiter of {name}"),
        ("recruiter", None) => "a recruiter".into(),
        ("admin", Some(name)) => format!("an administrator ({name})"),
        ("admin", None) => "an administrator".into(),
        ("integration", Some(name)) => format!("{name}'s hiring platform (service key)"),
        ("integration", None) => "a hiring platform (service key)".into(),
        ("system", _) => "the automatic retention purge".into(),
        ("operator", _) => "an operator (command line)".into(),
        (other, _) => other.to_string(),
    }
}

/// What was acted on, as this viewer may read it: a verdict is for those who
/// see verdicts (`policy::sees_verdicts`); a candidate reads that a flag was
/// reviewed, not how.
fn target_words(entry: &audit_entry::Model, action: AuditAction, viewer: &CurrentUser) -> String {
    match action {
        AuditAction::Review if !policy::sees_verdicts(viewer) => entry
            .target
            .split_once(": ")
            .map_or(entry.target.as_str(), |(event, _verdict)| event)
            .to_string(),
        _ => entry.target.clone(),
    }
}

async fn listed(
    db: &DatabaseConnection,
    rows: Vec<audit_entry::Model>,
    viewer: &CurrentUser,
) -> Result<AuditTrail, AppError> {
    let ids: Vec<Uuid> = rows.iter().filter_map(|r| r.actor_organization).collect();
    let organizations: HashMap<Uuid, String> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids))
        .all(db)
        .await
        .map_err(PersistenceError::from)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let entries = rows
        .into_iter()
        .map(|row| {
            let action = row.action.parse::<AuditAction>().map_err(|e| {
                tracing::error!(error = %e, seq = row.seq, "an audit entry's action does not parse");
                AppError::internal()
            })?;
            Ok(AuditEntry {
                seq: row.seq,
                at: row.at,
                actor: actor_words(&row, &organizations, viewer),
                action,
                target: target_words(&row, action, viewer),
                application_id: row.application_id.map(ApplicationId),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(AuditTrail { entries })
}

/// Erases an application for `actor`: marks it (so nothing new is recorded),
/// removes every object and row of it with the audit entry, then any object
/// under its prefix nobody recorded. `None` when there is no such application.
pub async fn erase(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    actor: Actor,
    application: Uuid,
) -> Result<Option<Removed>, RetentionError> {
    if !retention_repo::mark_erased(db, application, Utc::now()).await? {
        return Ok(None);
    }
    let removed = remove_application_data(db, store, application, None, false, |removed| {
        Some(NewEntry {
            actor,
            action: AuditAction::Erase,
            application: Some(application),
            target: removed.describe(),
        })
    })
    .await?;
    for object in store.list_application(ApplicationId(application)).await? {
        if let Ok(key) = object.key.parse::<ObjectKey>() {
            store.delete(&key).await?;
        }
    }
    tracing::info!(%application, images = removed.images, events = removed.events, "application erased");
    Ok(Some(removed))
}

#[async_trait]
impl Accountability for AccountabilityService {
    async fn trail(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        after: Option<i64>,
        limit: u32,
    ) -> Result<AuditTrail, AppError> {
        let permitted = policy::authorize::<to::View>(&self.db, user, application).await?;
        let rows =
            repo::for_application(&self.db, permitted.id().0, after, u64::from(limit)).await?;
        listed(&self.db, rows, user).await
    }

    async fn entries(
        &self,
        user: &CurrentUser,
        before: Option<i64>,
        limit: u32,
    ) -> Result<AuditTrail, AppError> {
        policy::admin(user, AdminTask::ReadWholeTrail)?;
        let rows = repo::page(&self.db, before, u64::from(limit)).await?;
        listed(&self.db, rows, user).await
    }

    #[tracing::instrument(skip_all, fields(application = %application))]
    async fn erase(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
    ) -> Result<ErasureReceipt, AppError> {
        let permitted = policy::authorize::<to::Erase>(&self.db, user, application).await?;
        let removed = erase(
            &self.db,
            self.store.as_ref(),
            Actor::user(user),
            permitted.id().0,
        )
        .await?
        .ok_or_else(policy::not_found)?;
        Ok(ErasureReceipt {
            success: true,
            erased_images: removed.images,
            erased_events: removed.events,
        })
    }
}

/// How often each instance signs the audit trail's head when it moved.
pub const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Signs the audit trail's head every [`CHECKPOINT_EVERY`] (and at once on start).
pub async fn checkpoint_every(db: sea_orm::DatabaseConnection, key: crate::db::audit::AuditKey) {
    let mut ticks = tokio::time::interval(CHECKPOINT_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match repo::checkpoint(&db, &key, chrono::Utc::now()).await {
            Ok(Some(seq)) => tracing::debug!(seq, "audit trail head signed"),
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(error = %crate::telemetry::error_chain(&error), "could not sign the audit trail's head; trying again later")
            }
        }
    }
}
