//! Webhooks: the server's side of `app::services::Webhooks` (endpoints of an
//! organization, registered by its service key or an admin), the signing, the
//! address rules, the delivery worker and the milestone watcher.
//!
//! What a message announces and when it is written is in `db::webhooks`
//! (`announce`, in the transaction of what it announces).

pub mod address;
pub mod delivery;
pub mod milestones;
pub mod signing;

use app::{services::Webhooks, AppError};
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{DatabaseConnection, PaginatorTrait};
use shared::{
    webhooks::{
        Deliveries, Delivery, DeliveryStatus, NewWebhook, WebhookEvent, WebhookInfo, WebhookList,
    },
    ApplicationId, CurrentUser,
};
use uuid::Uuid;

use crate::{
    db::{
        accounts as account_repo,
        entities::webhook_endpoint,
        webhooks::{self as repo, ENDPOINTS_PER_ORGANIZATION},
        PersistenceError,
    },
    settings::WebhookSettings,
};

/// How long a rotated-out secret keeps signing beside the new one.
pub const ROTATION_OVERLAP: chrono::Duration = chrono::Duration::hours(24);
/// How many deliveries the log shows.
const LOG_LENGTH: u64 = 200;

pub struct WebhookService {
    pub db: DatabaseConnection,
    pub settings: WebhookSettings,
}

/// Whose endpoints the caller manages: its organization's, or any (`None`).
fn scope(caller: &CurrentUser) -> Result<Option<Uuid>, AppError> {
    Ok(crate::policy::webhook_scope(caller)?.map(|organization| organization.0))
}

fn unknown() -> AppError {
    AppError::NotFound("no such webhook endpoint".into())
}

impl WebhookService {
    /// An endpoint the caller may manage.
    async fn endpoint_for(
        &self,
        caller: &CurrentUser,
        id: Uuid,
    ) -> Result<webhook_endpoint::Model, AppError> {
        let scope = scope(caller)?;
        repo::endpoint(&self.db, id)
            .await?
            .filter(|endpoint| scope.is_none_or(|org| endpoint.organization_id == org))
            .ok_or_else(unknown)
    }

    /// The URL if webhooks may go there: its form, and (unless private
    /// addresses are allowed) what its host resolves to now.
    async fn check_url(&self, url: &str) -> Result<String, AppError> {
        let allow_private = self.settings.allow_private;
        let parsed =
            address::parse(url, allow_private).map_err(|e| AppError::BadRequest(e.to_string()))?;
        if !allow_private {
            if let Some(url::Host::Domain(host)) = parsed.host() {
                let port = parsed.port_or_known_default().unwrap_or(443);
                address::resolve(host, port, false)
                    .await
                    .map_err(|e| AppError::BadRequest(e.to_string()))?;
            }
        }
        Ok(parsed.to_string())
    }
}

fn info(endpoint: webhook_endpoint::Model, organization: String) -> WebhookInfo {
    WebhookInfo {
        organization,
        events: repo::events_of(&endpoint),
        id: endpoint.id,
        url: endpoint.url,
        created_at: endpoint.created_at,
        previous_secret_until: endpoint.previous_until.filter(|until| *until > Utc::now()),
    }
}

#[async_trait]
impl Webhooks for WebhookService {
    async fn register(
        &self,
        caller: &CurrentUser,
        url: &str,
        events: Vec<WebhookEvent>,
        organization: Option<&str>,
    ) -> Result<NewWebhook, AppError> {
        let organization = match (scope(caller)?, organization) {
            (Some(own), _) => own,
            (None, Some(slug)) => {
                account_repo::organization_by_slug(&self.db, slug)
                    .await?
                    .ok_or_else(|| AppError::NotFound("no organization has this slug".into()))?
                    .id
            }
            (None, None) => {
                return Err(AppError::BadRequest(
                    "an admin names the organization: `organization` (its slug)".into(),
                ))
            }
        };
        let url = self.check_url(url).await?;
        let live = webhook_endpoint::Entity::find_live(organization)
            .count(&self.db)
            .await
            .map_err(PersistenceError::from)?;
        if live >= ENDPOINTS_PER_ORGANIZATION {
            return Err(AppError::Conflict(format!(
                "an organization has at most {ENDPOINTS_PER_ORGANIZATION} webhook endpoints; delete one first"
            )));
        }
        let secret = signing::new_secret();
        let endpoint =
            repo::create_endpoint(&self.db, organization, &url, &events, &secret, Utc::now())
                .await?;
        tracing::info!(endpoint = %endpoint.id, %organization, by = %caller.email, "webhook endpoint registered");
        Ok(NewWebhook {
            id: endpoint.id,
            url: endpoint.url,
            secret,
        })
    }

    async fn list(&self, caller: &CurrentUser) -> Result<WebhookList, AppError> {
        let scope = scope(caller)?;
        let endpoints = repo::endpoints(&self.db, scope).await?;
        let slugs = account_repo::organization_slugs(
            &self.db,
            endpoints.iter().map(|e| e.organization_id).collect(),
        )
        .await?;
        Ok(WebhookList {
            webhooks: endpoints
                .into_iter()
                .map(|endpoint| {
                    let slug = slugs
                        .get(&endpoint.organization_id)
                        .cloned()
                        .unwrap_or_default();
                    info(endpoint, slug)
                })
                .collect(),
        })
    }

    async fn delete(&self, caller: &CurrentUser, id: Uuid) -> Result<(), AppError> {
        self.endpoint_for(caller, id).await?;
        if !repo::delete_endpoint(&self.db, id, Utc::now()).await? {
            return Err(unknown());
        }
        tracing::info!(endpoint = %id, by = %caller.email, "webhook endpoint deleted");
        Ok(())
    }

    async fn rotate(&self, caller: &CurrentUser, id: Uuid) -> Result<NewWebhook, AppError> {
        let endpoint = self.endpoint_for(caller, id).await?;
        let secret = signing::new_secret();
        if !repo::rotate_secret(&self.db, &endpoint, &secret, Utc::now() + ROTATION_OVERLAP).await?
        {
            return Err(AppError::Conflict(
                "the secret was rotated by another request at the same time; rotate again if you need a secret you have not seen"
                    .into(),
            ));
        }
        tracing::info!(endpoint = %id, by = %caller.email, "webhook secret rotated");
        Ok(NewWebhook {
            id: endpoint.id,
            url: endpoint.url,
            secret,
        })
    }

    async fn deliveries(&self, caller: &CurrentUser, id: Uuid) -> Result<Deliveries, AppError> {
        self.endpoint_for(caller, id).await?;
        let rows = repo::deliveries(&self.db, id, LOG_LENGTH).await?;
        let mut deliveries = Vec::with_capacity(rows.len());
        for (delivery, message) in rows {
            let status = DeliveryStatus::parse(&delivery.status).ok_or_else(|| {
                PersistenceError::Corrupt(format!("a delivery status `{}`", delivery.status))
            })?;
            let event = message
                .event
                .parse()
                .map_err(|e: String| PersistenceError::Corrupt(e))?;
            deliveries.push(Delivery {
                message_id: message.id,
                event,
                application_id: ApplicationId(message.application_id),
                status,
                attempts: delivery.attempts.max(0) as u32,
                created_at: message.created_at,
                next_attempt_at: (status == DeliveryStatus::Pending)
                    .then_some(delivery.next_attempt_at),
                last_error: delivery.last_error,
            });
        }
        Ok(Deliveries { deliveries })
    }

    async fn redeliver(
        &self,
        caller: &CurrentUser,
        id: Uuid,
        message: &str,
    ) -> Result<(), AppError> {
        self.endpoint_for(caller, id).await?;
        if !repo::redeliver(&self.db, (message, id), Utc::now()).await? {
            return Err(AppError::NotFound(
                "this endpoint was sent no message with this id".into(),
            ));
        }
        tracing::info!(endpoint = %id, message, by = %caller.email, "webhook redelivery asked for");
        Ok(())
    }
}
