//! The server's side of `app::services::Applications`.

use app::{services::Applications, AppError};
use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use shared::{lifecycle::interview_state, ApplicationId, ApplicationSummary, CurrentUser};

use crate::{
    db::applications::{self as repo, Scope},
    policy::{self, to},
};

pub struct ApplicationDirectory {
    pub db: DatabaseConnection,
    /// RETENTION_DAYS, which an organization's own period may shorten.
    pub retention_days: Option<u32>,
    /// INTERVIEW_IDLE_SECS: how long an open session may go without a capture
    /// before its interview counts as ended.
    pub interview_idle: std::time::Duration,
}

#[async_trait]
impl Applications for ApplicationDirectory {
    async fn visible_to(&self, user: &CurrentUser) -> Result<Vec<ApplicationSummary>, AppError> {
        let scope = match policy::listing(user) {
            // A capture link's session sees its one application (if still the candidate's).
            Some(Scope::One(only)) => {
                return match self.get(user, only).await {
                    Ok(one) => Ok(vec![one]),
                    Err(_) => Ok(Vec::new()),
                };
            }
            Some(scope) => scope,
            None => return Ok(Vec::new()),
        };
        self.with_integrity(repo::summaries(&self.db, scope, self.retention_days).await?)
            .await
    }

    async fn get(
        &self,
        user: &CurrentUser,
        id: ApplicationId,
    ) -> Result<ApplicationSummary, AppError> {
        let permitted = policy::authorize::<to::View>(&self.db, user, id).await?;
        let one =
            repo::summaries(&self.db, Scope::One(permitted.id()), self.retention_days).await?;
        self.with_integrity(one)
            .await?
            .pop()
            .ok_or_else(policy::not_found)
    }
}

impl ApplicationDirectory {
    /// Adds each application's integrity level, unreviewed flags and
    /// lifecycle state (one batch of queries).
    async fn with_integrity(
        &self,
        mut applications: Vec<ApplicationSummary>,
    ) -> Result<Vec<ApplicationSummary>, AppError> {
        let ids: Vec<_> = applications.iter().map(|a| a.id.0).collect();
        // The facts first: a face analysis that finishes in between is then in
        // the summary, never missing from a summary said to be `analysed`.
        let mut facts = repo::lifecycle_facts(&self.db, &ids).await?;
        let summaries = crate::integrity::summaries(&self.db, &ids).await?;
        let idle = chrono::Duration::from_std(self.interview_idle).unwrap_or(chrono::Duration::MAX);
        let now = chrono::Utc::now();
        for application in &mut applications {
            let facts = facts.entry(application.id.0).or_default();
            if let Some(summary) = summaries.get(&application.id.0) {
                application.integrity_level = summary.level;
                application.unreviewed_flags = summary.unreviewed_flags;
                facts.flags = summary.flags;
                facts.unreviewed_flags = summary.unreviewed_flags;
            }
            facts.last_activity = facts.last_activity.max(application.last_capture_at);
            application.state = interview_state(facts, now, idle);
        }
        Ok(applications)
    }
}

/// The lifecycle state of each of these applications at `now`, as the
/// listings work it out (the facts first, then the summaries' flags).
pub async fn states(
    db: &DatabaseConnection,
    ids: &[uuid::Uuid],
    idle: std::time::Duration,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<std::collections::HashMap<uuid::Uuid, shared::lifecycle::InterviewState>, AppError> {
    let mut facts = repo::lifecycle_facts(db, ids).await?;
    let summaries = crate::integrity::summaries(db, ids).await?;
    let idle = chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::MAX);
    Ok(ids
        .iter()
        .map(|id| {
            let facts = facts.entry(*id).or_default();
            if let Some(summary) = summaries.get(id) {
                facts.flags = summary.flags;
                facts.unreviewed_flags = summary.unreviewed_flags;
            }
            (*id, interview_state(facts, now, idle))
        })
        .collect())
}
