//! The server's side of `app::services::Applications`.

use app::{services::Applications, AppError};
use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use shared::{ApplicationId, ApplicationSummary, CurrentUser, Role};

use crate::{
    db::applications::{self as repo, Scope},
    policy::{self, Action},
};

pub struct ApplicationDirectory {
    pub db: DatabaseConnection,
    /// RETENTION_DAYS, which an organization's own period may shorten.
    pub retention_days: Option<u32>,
}

#[async_trait]
impl Applications for ApplicationDirectory {
    async fn visible_to(&self, user: &CurrentUser) -> Result<Vec<ApplicationSummary>, AppError> {
        let scope = match (user.role, user.organization_id, user.only_application) {
            // A capture link's session sees its one application (if still the candidate's).
            (Role::Candidate, _, Some(only)) => {
                return match policy::authorize(&self.db, user, Action::View, only).await {
                    Ok(_) => self.get(user, only).await.map(|one| vec![one]),
                    Err(_) => Ok(Vec::new()),
                };
            }
            (Role::Admin, _, _) => Scope::All,
            (Role::Recruiter | Role::Integration, Some(org), _) => Scope::Organization(org),
            (Role::Recruiter | Role::Integration, None, _) => return Ok(Vec::new()),
            (Role::Candidate, _, None) => Scope::Candidate(user.id),
        };
        with_integrity(
            &self.db,
            repo::summaries(&self.db, scope, self.retention_days).await?,
        )
        .await
    }

    async fn get(
        &self,
        user: &CurrentUser,
        id: ApplicationId,
    ) -> Result<ApplicationSummary, AppError> {
        let permitted = policy::authorize(&self.db, user, Action::View, id).await?;
        let one =
            repo::summaries(&self.db, Scope::One(permitted.id()), self.retention_days).await?;
        with_integrity(&self.db, one)
            .await?
            .pop()
            .ok_or_else(policy::not_found)
    }
}

/// Adds each application's integrity level and unreviewed flags (one batch of queries).
async fn with_integrity(
    db: &DatabaseConnection,
    mut applications: Vec<ApplicationSummary>,
) -> Result<Vec<ApplicationSummary>, AppError> {
    let ids: Vec<_> = applications.iter().map(|a| a.id.0).collect();
    let summaries = crate::integrity::summaries(db, &ids).await?;
    for application in &mut applications {
        if let Some(summary) = summaries.get(&application.id.0) {
            application.integrity_level = summary.level;
            application.unreviewed_flags = summary.unreviewed_flags;
        }
    }
    Ok(applications)
}
