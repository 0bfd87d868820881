//! Webhook endpoints (`/api/integration/webhooks...`): an organization's
//! service key (or an admin) registers where its messages go, reads each
//! endpoint's delivery log, rotates its secret and asks for a redelivery.

use leptos::prelude::*;
use shared::webhooks::{Deliveries, NewWebhook, WebhookDone, WebhookList};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::input::integration::{message_id as parse_message_id, uuid, webhook_events};

/// `POST /api/integration/webhooks` `{url, events?, organization?}` → `{id, url, secret}`
/// (the secret shown this once). `organization` (a slug) is for admins.
#[server(prefix = "/api", endpoint = "integration/webhooks", input = leptos::server_fn::codec::Json)]
pub async fn register_webhook(
    url: String,
    #[server(default)] events: Option<Vec<String>>,
    #[server(default)] organization: Option<String>,
) -> Result<NewWebhook, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let events = webhook_events(events)?;
    crate::services::services()?
        .webhooks
        .register(
            &caller,
            url.trim(),
            events,
            organization.as_deref().map(str::trim),
        )
        .await
}

/// `POST /api/integration/webhooks/list` `{}` → `{webhooks: [{id, url, events, createdAt}]}`.
#[server(prefix = "/api", endpoint = "integration/webhooks/list", input = leptos::server_fn::codec::Json)]
pub async fn list_webhooks() -> Result<WebhookList, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    crate::services::services()?.webhooks.list(&caller).await
}

/// `POST /api/integration/webhooks/delete` `{id}` → `{success}`.
#[server(prefix = "/api", endpoint = "integration/webhooks/delete", input = leptos::server_fn::codec::Json)]
pub async fn delete_webhook(id: String) -> Result<WebhookDone, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let id = uuid("webhook id", &id)?;
    crate::services::services()?
        .webhooks
        .delete(&caller, id)
        .await?;
    Ok(WebhookDone { success: true })
}

/// `POST /api/integration/webhooks/rotate` `{id}` → `{id, url, secret}`: the
/// new secret, shown once; messages carry both signatures for a day.
#[server(prefix = "/api", endpoint = "integration/webhooks/rotate", input = leptos::server_fn::codec::Json)]
pub async fn rotate_webhook(id: String) -> Result<NewWebhook, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let id = uuid("webhook id", &id)?;
    crate::services::services()?
        .webhooks
        .rotate(&caller, id)
        .await
}

/// `POST /api/integration/webhooks/deliveries` `{id}` → `{deliveries: [...]}`, newest first.
#[server(prefix = "/api", endpoint = "integration/webhooks/deliveries", input = leptos::server_fn::codec::Json)]
pub async fn webhook_deliveries(id: String) -> Result<Deliveries, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let id = uuid("webhook id", &id)?;
    crate::services::services()?
        .webhooks
        .deliveries(&caller, id)
        .await
}

/// `POST /api/integration/webhooks/redeliver` `{id, messageId}` → `{success}`.
#[server(prefix = "/api", endpoint = "integration/webhooks/redeliver", input = leptos::server_fn::codec::Json)]
pub async fn redeliver_webhook(
    id: String,
    #[server(rename = "messageId")] message_id: String,
) -> Result<WebhookDone, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let id = uuid("webhook id", &id)?;
    let message = parse_message_id(&message_id)?;
    crate::services::services()?
        .webhooks
        .redeliver(&caller, id, &message)
        .await?;
    Ok(WebhookDone { success: true })
}
