//! Integration: the server's side of `app::services::Provisioning` (candidates,
//! applications, capture links and invitations in the caller's organization),
//! service keys and the capture-link pages.

pub mod keys;
pub mod links;

use std::time::Duration;

use app::{services::Provisioning, AppError};
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use shared::input::integration::NewApplication;
use shared::{
    audit::AuditAction,
    integration::{
        CaptureLink, NewServiceKey, ProvisionedApplication, ProvisionedApplications,
        ProvisionedCandidate, ServiceKeyInfo, ServiceKeys,
    },
    ApplicationId, CurrentUser, OrganizationId, Role, UserId,
};

use crate::{
    db::{
        accounts as account_repo,
        applications::{self as application_repo, capture_settings},
        audit::{self, Actor, NewEntry},
        entities::{job_application, user},
        integration as repo, PersistenceError,
    },
    encoding::random_token,
    encoding::token_hash,
    policy::{self, to, AdminTask},
    settings::MAX_INVITATION_DAYS,
};

/// How long a capture link may wait to be opened.
pub const LINK_TTL: Duration = Duration::from_secs(15 * 60);
/// Where a capture link points: `/capture/{token}`.
pub const LINK_PATH: &str = "/capture";

pub struct Provisioner {
    pub db: DatabaseConnection,
    /// PUBLIC_URL's origin: where links point (else the request's own origin).
    pub public_origin: Option<String>,
    /// INVITATION_DAYS: how long an invitation is valid unless its request says.
    pub invitation_days: u32,
    /// INTERVIEW_IDLE_SECS, for the states the listing reports.
    pub interview_idle: Duration,
}

fn provisioned(
    application: job_application::Model,
    candidate_email: String,
) -> ProvisionedApplication {
    ProvisionedApplication {
        id: ApplicationId(application.id),
        candidate_email,
        title: application.title.clone(),
        created_at: application.created_at,
        capture: capture_settings(&application),
        state: Default::default(),
    }
}

async fn candidate_by_email(
    db: &DatabaseConnection,
    email: &str,
) -> Result<Option<user::Model>, AppError> {
    let found = account_repo::user_by_email(db, email).await?;
    match found {
        Some(user) if user.role != Role::Candidate.as_str() => Err(AppError::Conflict(
            "this email belongs to a recruiter or an administrator, not a candidate".into(),
        )),
        other => Ok(other),
    }
}

/// SHA-256 of what a provisioning request asked for (not its key).
fn fingerprint(new: &NewApplication) -> String {
    let fields = serde_json::json!([new.candidate_email, new.title, new.capture]);
    token_hash(&fields.to_string())
}

impl Provisioner {
    /// A capture link (single use) or an invitation (reusable until the
    /// interview ends), valid for `ttl`, with its audit entry.
    async fn issue_link(
        &self,
        caller: &CurrentUser,
        application: ApplicationId,
        invitation: bool,
        ttl: chrono::Duration,
        origin: Option<&str>,
    ) -> Result<CaptureLink, AppError> {
        let permitted = policy::authorize::<to::Invite>(&self.db, caller, application).await?;
        let base = self.public_origin.as_deref().or(origin).ok_or_else(|| {
            AppError::BadRequest("the request names no host; set PUBLIC_URL".into())
        })?;
        let token = random_token::<32>();
        let now = Utc::now();
        let expires_at = now + ttl;
        let what = if invitation {
            "an invitation"
        } else {
            "a capture link"
        };
        // The link and its audit entry together: no link is handed out unrecorded.
        let txn = self.db.begin().await.map_err(PersistenceError::from)?;
        repo::create_link_in(
            &txn,
            token_hash(&token),
            permitted.id().0,
            invitation,
            now,
            expires_at,
        )
        .await?;
        audit::append(
            &txn,
            NewEntry {
                actor: Actor::user(caller),
                action: AuditAction::Invite,
                application: Some(permitted.id().0),
                target: format!(
                    "{what} valid until {}",
                    shared::monitoring::millis::format(&expires_at)
                ),
            },
            now,
        )
        .await?;
        txn.commit().await.map_err(PersistenceError::from)?;
        Ok(CaptureLink {
            url: format!("{base}{LINK_PATH}/{token}"),
            token,
            expires_at,
        })
    }

    /// The application an earlier request with `key` made, when it asked for the
    /// same; 409 when it asked for something else.
    async fn made_with(
        &self,
        organization: OrganizationId,
        key: &str,
        fingerprint: &str,
    ) -> Result<Option<ProvisionedApplication>, AppError> {
        let Some(earlier) = repo::idempotent_application(&self.db, organization, key).await? else {
            return Ok(None);
        };
        if earlier.request_hash != fingerprint {
            return Err(AppError::Conflict(
                "this Idempotency-Key was used with a different request; use a new key for a new application"
                    .into(),
            ));
        }
        let application =
            application_repo::application(&self.db, ApplicationId(earlier.application_id))
                .await?
                .ok_or_else(AppError::internal)?;
        let candidate = user::Entity::find_by_id(application.candidate_id)
            .one(&self.db)
            .await
            .map_err(PersistenceError::from)?
            .ok_or_else(AppError::internal)?;
        // A repeat answers where the interview stands now.
        let state = crate::applications::states(
            &self.db,
            &[application.id],
            self.interview_idle,
            Utc::now(),
        )
        .await?
        .remove(&application.id)
        .unwrap_or_default();
        Ok(Some(ProvisionedApplication {
            state,
            ..provisioned(application, candidate.email)
        }))
    }
}

#[async_trait]
impl Provisioning for Provisioner {
    async fn candidate(
        &self,
        caller: &CurrentUser,
        email: &str,
        name: Option<&str>,
    ) -> Result<ProvisionedCandidate, AppError> {
        policy::provisioning_organization(caller)?;
        if let Some(user) = candidate_by_email(&self.db, email).await? {
            return Ok(ProvisionedCandidate {
                id: UserId(user.id),
                email: user.email,
            });
        }
        match repo::create_candidate(&self.db, email, name).await {
            Ok(user) => {
                tracing::info!(candidate = %user.id, by = %caller.email, "candidate provisioned");
                Ok(ProvisionedCandidate {
                    id: UserId(user.id),
                    email: user.email,
                })
            }
            // Made at the same moment by another request: that one is the answer.
            Err(PersistenceError::Duplicate(_)) => candidate_by_email(&self.db, email)
                .await?
                .map(|user| ProvisionedCandidate {
                    id: UserId(user.id),
                    email: user.email,
                })
                .ok_or_else(AppError::internal),
            Err(error) => Err(error.into()),
        }
    }

    async fn application(
        &self,
        caller: &CurrentUser,
        new: NewApplication,
    ) -> Result<ProvisionedApplication, AppError> {
        let organization = policy::provisioning_organization(caller)?;
        let candidate = candidate_by_email(&self.db, &new.candidate_email)
            .await?
            .ok_or_else(|| {
                AppError::NotFound(
                    "no candidate has this email; create them first (/api/integration/candidates)"
                        .into(),
                )
            })?;
        // With a key: an earlier request's application, if there was one.
        let keyed = match new.idempotency_key.as_deref() {
            Some(key) => {
                let fingerprint = fingerprint(&new);
                if let Some(made) = self.made_with(organization, key, &fingerprint).await? {
                    return Ok(made);
                }
                Some((key, fingerprint))
            }
            None => None,
        };
        // The application and its key in one transaction: of requests with the
        // same key at once, one commits both; the others' key is a duplicate,
        // their application is rolled back and they answer the one made.
        let txn = self.db.begin().await.map_err(PersistenceError::from)?;
        let application = application_repo::create_application(
            &txn,
            organization,
            UserId(candidate.id),
            &new.title,
            new.capture,
        )
        .await?;
        if let Some((key, fingerprint)) = &keyed {
            let remembered =
                repo::remember_idempotency_in(&txn, organization, key, fingerprint, application.id)
                    .await;
            if let Err(error) = remembered {
                txn.rollback().await.map_err(PersistenceError::from)?;
                return match error {
                    PersistenceError::Duplicate(_) => self
                        .made_with(organization, key, fingerprint)
                        .await?
                        .ok_or_else(AppError::internal),
                    other => Err(other.into()),
                };
            }
        }
        txn.commit().await.map_err(PersistenceError::from)?;
        tracing::info!(application = %application.id, by = %caller.email, "application provisioned");
        Ok(provisioned(application, candidate.email))
    }

    async fn applications(
        &self,
        caller: &CurrentUser,
    ) -> Result<ProvisionedApplications, AppError> {
        let organization = policy::provisioning_organization(caller)?;
        let applications = job_application::Entity::find()
            .filter(job_application::Column::OrganizationId.eq(organization.0))
            .order_by_desc(job_application::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(PersistenceError::from)?;
        let emails: std::collections::HashMap<uuid::Uuid, String> = user::Entity::find()
            .filter(user::Column::Id.is_in(applications.iter().map(|a| a.candidate_id)))
            .all(&self.db)
            .await
            .map_err(PersistenceError::from)?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect();
        let ids: Vec<uuid::Uuid> = applications.iter().map(|a| a.id).collect();
        let states =
            crate::applications::states(&self.db, &ids, self.interview_idle, Utc::now()).await?;
        Ok(ProvisionedApplications {
            applications: applications
                .into_iter()
                .map(|a| {
                    let email = emails.get(&a.candidate_id).cloned().unwrap_or_default();
                    let state = states.get(&a.id).copied().unwrap_or_default();
                    ProvisionedApplication {
                        state,
                        ..provisioned(a, email)
                    }
                })
                .collect(),
        })
    }

    async fn capture_link(
        &self,
        caller: &CurrentUser,
        application: ApplicationId,
        origin: Option<&str>,
    ) -> Result<CaptureLink, AppError> {
        let ttl = chrono::Duration::from_std(LINK_TTL).unwrap_or_default();
        self.issue_link(caller, application, false, ttl, origin)
            .await
    }

    async fn invitation(
        &self,
        caller: &CurrentUser,
        application: ApplicationId,
        valid_days: Option<u32>,
        origin: Option<&str>,
    ) -> Result<CaptureLink, AppError> {
        let days = shared::input::integration::valid_days(valid_days, MAX_INVITATION_DAYS)?
            .unwrap_or(self.invitation_days);
        self.issue_link(
            caller,
            application,
            true,
            chrono::Duration::days(i64::from(days)),
            origin,
        )
        .await
    }

    async fn revoke_invitation(&self, caller: &CurrentUser, token: &str) -> Result<(), AppError> {
        let organization = policy::revoking_scope(caller)?.map(|o| o.0);
        if repo::revoke_invitation(&self.db, &token_hash(token), organization, Utc::now()).await? {
            tracing::info!(by = %caller.email, "invitation revoked");
            Ok(())
        } else {
            Err(AppError::NotFound(
                "no invitation of your organization has this token".into(),
            ))
        }
    }

    async fn keys(&self, caller: &CurrentUser) -> Result<ServiceKeys, AppError> {
        policy::admin(caller, AdminTask::ManageKeys)?;
        Ok(ServiceKeys {
            keys: repo::keys(&self.db)
                .await?
                .into_iter()
                .map(|(key, organization)| ServiceKeyInfo {
                    name: key.name,
                    organization,
                    created_at: key.created_at,
                    last_used_at: key.last_used_at,
                    revoked_at: key.revoked_at,
                })
                .collect(),
        })
    }

    async fn create_key(
        &self,
        caller: &CurrentUser,
        organization: &str,
        name: &str,
    ) -> Result<NewServiceKey, AppError> {
        policy::admin(caller, AdminTask::ManageKeys)?;
        // A key's name follows the rule of organizations' slugs.
        if !crate::encoding::is_slug(name) {
            return Err(AppError::BadRequest(
                "a key's name is 1 to 63 of a-z, 0-9 and -".into(),
            ));
        }
        let org = account_repo::organization_by_slug(&self.db, organization)
            .await?
            .ok_or_else(|| AppError::NotFound("no organization has this slug".into()))?;
        let (model, key) = match keys::create(&self.db, OrganizationId(org.id), name).await {
            Ok(made) => made,
            Err(PersistenceError::Duplicate(_)) => {
                return Err(AppError::Conflict(format!("a key named `{name}` exists")))
            }
            Err(error) => return Err(error.into()),
        };
        tracing::info!(key = %model.name, organization = %org.slug, by = %caller.id, "service key created");
        Ok(NewServiceKey {
            name: model.name,
            organization: org.slug,
            key,
        })
    }

    async fn revoke_key(&self, caller: &CurrentUser, name: &str) -> Result<(), AppError> {
        policy::admin(caller, AdminTask::ManageKeys)?;
        if repo::revoke_key(&self.db, name, Utc::now()).await? {
            tracing::info!(key = %name, by = %caller.id, "service key revoked");
            Ok(())
        } else {
            Err(AppError::NotFound(format!(
                "there is no live key named `{name}`"
            )))
        }
    }
}
