//! The server's side of `app::services::Applications`.

use app::{services::Applications, AppError};
use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;

use shared::search::{ApplicationFilter, ApplicationPage, Cursor, OrganizationRef, Organizations};
use shared::{
    lifecycle::interview_state, ApplicationId, ApplicationSummary, CurrentUser, OrganizationId,
};
use uuid::Uuid;

use crate::{
    db::applications::{self as repo, Scope, Window},
    db::summaries::Listed,
    policy::{self, to, AdminTask},
};

pub struct ApplicationDirectory {
    pub db: DatabaseConnection,
    /// RETENTION_DAYS, which an organization's own period may shorten, and
    /// ID_RETENTION_DAYS.
    pub retention: crate::periods::Periods,
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
        let all = repo::summaries(&self.db, scope, Window::default(), self.retention).await?;
        Ok(self.with_integrity(all).await?.0)
    }

    async fn get(
        &self,
        user: &CurrentUser,
        id: ApplicationId,
    ) -> Result<ApplicationSummary, AppError> {
        let permitted = policy::authorize::<to::View>(&self.db, user, id).await?;
        let one = repo::summaries(
            &self.db,
            Scope::One(permitted.id()),
            Window::default(),
            self.retention,
        )
        .await?;
        self.with_integrity(one)
            .await?
            .0
            .pop()
            .ok_or_else(policy::not_found)
    }

    #[tracing::instrument(skip_all)]
    async fn search(
        &self,
        user: &CurrentUser,
        filter: &ApplicationFilter,
    ) -> Result<ApplicationPage, AppError> {
        let scope = policy::search_scope(user, filter.organization)?;
        let limit = filter.limit as usize;
        let mut window = Window {
            from: filter.from,
            to: filter.to,
            after: filter.before,
            limit: Some(SEARCH_BATCH),
        };
        let mut page = ApplicationPage::default();
        // Batches of the scope in the list's order until the page is full or
        // the scope ends: a batch's summaries are read together (most stored),
        // so memory stays flat however many applications the scope has.
        loop {
            let batch = repo::summaries(&self.db, scope, window, self.retention).await?;
            let exhausted = (batch.len() as u64) < SEARCH_BATCH;
            let Some(last) = batch.last() else {
                return Ok(page);
            };
            window.after = Some(Cursor::after(last));
            let (batch, listed) = self.with_integrity(batch).await?;
            let read = batch.len();
            let mut examined = 0;
            for application in batch {
                examined += 1;
                let kinds_pass = filter
                    .event_kind
                    .is_none_or(|kind| listed.get(&application.id.0).is_some_and(|l| l.had(kind)));
                if kinds_pass && filter.admits(&application) {
                    page.applications.push(application);
                    if page.applications.len() == limit {
                        // More may follow: the rest of this batch, or of the scope.
                        if examined < read || !exhausted {
                            page.next = page
                                .applications
                                .last()
                                .map(|a| Cursor::after(a).to_string());
                        }
                        return Ok(page);
                    }
                }
            }
            if exhausted {
                return Ok(page);
            }
        }
    }

    async fn organizations(&self, user: &CurrentUser) -> Result<Organizations, AppError> {
        policy::admin(user, AdminTask::ListOrganizations)?;
        let organizations = crate::db::accounts::organizations(&self.db)
            .await?
            .into_iter()
            .map(|o| OrganizationRef {
                id: OrganizationId(o.id),
                slug: o.slug,
                name: o.name,
            })
            .collect();
        Ok(Organizations { organizations })
    }
}

/// Applications read and summarised at once while searching.
const SEARCH_BATCH: u64 = 200;

impl ApplicationDirectory {
    /// Adds each application's integrity level, unreviewed flags and
    /// lifecycle state (one batch of queries); the summaries as stored beside.
    async fn with_integrity(
        &self,
        mut applications: Vec<ApplicationSummary>,
    ) -> Result<(Vec<ApplicationSummary>, HashMap<Uuid, Listed>), AppError> {
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
        Ok((applications, summaries))
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
