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
}

#[async_trait]
impl Applications for ApplicationDirectory {
    async fn visible_to(&self, user: &CurrentUser) -> Result<Vec<ApplicationSummary>, AppError> {
        let scope = match (user.role, user.organization_id) {
            (Role::Admin, _) => Scope::All,
            (Role::Recruiter, Some(org)) => Scope::Organization(org),
            (Role::Recruiter, None) => return Ok(Vec::new()),
            (Role::Candidate, _) => Scope::Candidate(user.id),
        };
        Ok(repo::summaries(&self.db, scope).await?)
    }

    async fn get(&self, user: &CurrentUser, id: ApplicationId) -> Result<ApplicationSummary, AppError> {
        let permitted = policy::authorize(&self.db, user, Action::View, id).await?;
        repo::summaries(&self.db, Scope::One(permitted.id())).await?.pop().ok_or_else(policy::not_found)
    }
}
