//! The delivery worker of one instance: looks for due deliveries, leases each
//! (one attempt at a time per delivery, across instances), signs and sends it,
//! and records what came of it: delivered on a 2xx; otherwise tried again after
//! the next wait of the schedule (with jitter), and failed after the last.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::DatabaseConnection;
use tokio::sync::{Notify, Semaphore};

use super::{address, signing};
use crate::{
    db::webhooks::{self as repo, Outcome},
    settings::WebhookSettings,
    telemetry::error_chain,
};

/// How long one attempt may take, answer included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a lease lasts: longer than an attempt, so a live holder keeps it.
const LEASE: Duration = Duration::from_secs(60);
/// How often an idle worker looks for due deliveries: a read on an index, so
/// looking often costs little, and a message waits at most this long.
const POLL: Duration = Duration::from_millis(50);
/// Attempts in flight at once on one instance.
const IN_FLIGHT: usize = 32;
/// Of those, to one endpoint: a slow or hanging endpoint holds at most this
/// many, and the others' messages keep going.
const PER_ENDPOINT: usize = 8;
/// Due deliveries looked at per pass (more than can be sent, so those of
/// endpoints at their share are passed over for others').
const LOOK_AT: u64 = 100;
/// Of an answer's body, what the delivery log keeps.
const ERROR_CHARS: usize = 300;

/// What sends deliveries.
#[derive(Clone)]
pub struct Sender {
    db: DatabaseConnection,
    client: reqwest::Client,
    settings: Arc<WebhookSettings>,
    /// Attempts in flight per endpoint on this instance.
    busy: Arc<std::sync::Mutex<std::collections::HashMap<uuid::Uuid, usize>>>,
}

impl Sender {
    pub fn new(db: DatabaseConnection, settings: WebhookSettings) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(address::Guarded {
                allow_private: settings.allow_private,
            }))
            // A redirect could lead anywhere: it is an answer like any other non-2xx.
            .redirect(reqwest::redirect::Policy::none())
            // No proxy from the environment: it would connect where our resolver never looked.
            .no_proxy()
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!(
                "interview-monitor/",
                env!("CARGO_PKG_VERSION"),
                " (webhooks)"
            ))
            .build()?;
        Ok(Sender {
            db,
            client,
            settings: Arc::new(settings),
            busy: Arc::default(),
        })
    }

    /// Sends due deliveries until the task is aborted (at shutdown).
    pub async fn run(self) {
        let slots = Arc::new(Semaphore::new(IN_FLIGHT));
        // An attempt finished: its share and slot are free for the next pass.
        let finished = Arc::new(Notify::new());
        loop {
            let now = Utc::now();
            let due = match repo::due(&self.db, now, LOOK_AT).await {
                Ok(due) => due,
                Err(error) => {
                    tracing::warn!(error = %error_chain(&error), "could not look for webhook deliveries");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            };
            if due.is_empty() {
                tokio::time::sleep(POLL).await;
                continue;
            }
            for (message, endpoint) in due {
                let Some(share) = self.take_share(endpoint) else {
                    continue;
                };
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                let until = Utc::now() + LEASE;
                match repo::claim(&self.db, (&message, endpoint), Utc::now(), until).await {
                    Ok(true) => {
                        let (sender, finished) = (self.clone(), finished.clone());
                        tokio::spawn(async move {
                            sender.attempt(&message, endpoint, until).await;
                            drop((share, slot));
                            finished.notify_one();
                        });
                    }
                    // Another instance took it.
                    Ok(false) => drop(share),
                    Err(error) => {
                        drop(share);
                        tracing::warn!(error = %error_chain(&error), "could not lease a webhook delivery")
                    }
                }
            }
            // Look again when an attempt finishes (its share and slot are free
            // then; finishes in between leave one wake-up) or after the poll.
            let _ = tokio::time::timeout(POLL, finished.notified()).await;
        }
    }

    /// One more attempt in flight to `endpoint`, unless it has its share;
    /// given back when the [`Share`] is dropped (however the attempt ends).
    fn take_share(&self, endpoint: uuid::Uuid) -> Option<Share> {
        let mut busy = self.busy.lock().ok()?;
        let count = busy.entry(endpoint).or_default();
        if *count >= PER_ENDPOINT {
            return None;
        }
        *count += 1;
        Some(Share {
            busy: self.busy.clone(),
            endpoint,
        })
    }

    async fn attempt(&self, message: &str, endpoint: uuid::Uuid, until: DateTime<Utc>) {
        let outcome = match repo::claimed(&self.db, (message, endpoint)).await {
            Ok(Some((message, delivery, Some(endpoint)))) => {
                let attempt = delivery.attempts.max(0) as usize + 1;
                match self.send(&message, &endpoint).await {
                    Ok(()) => Outcome::Delivered,
                    Err(error) => match self.settings.retry_after.get(attempt - 1) {
                        Some(wait) => Outcome::Retry(Utc::now() + jittered(*wait), error),
                        None => Outcome::Failed(error),
                    },
                }
            }
            Ok(Some((_, _, None))) => Outcome::Failed("the endpoint was deleted".into()),
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), "could not read a webhook delivery");
                return;
            }
        };
        let delivered = matches!(outcome, Outcome::Delivered);
        if let Outcome::Failed(error) = &outcome {
            tracing::warn!(message, %endpoint, error, "a webhook delivery failed for good");
        }
        if let Err(error) =
            repo::record_attempt(&self.db, (message, endpoint), until, outcome, Utc::now()).await
        {
            tracing::warn!(error = %error_chain(&error), delivered, "could not record a webhook attempt");
        }
        metrics::counter!("webhook_attempts_total", "outcome" => if delivered { "delivered" } else { "failed" }).increment(1);
    }

    /// One signed POST; `Err` with what the log shows when it was not a 2xx.
    async fn send(
        &self,
        message: &crate::db::entities::webhook_message::Model,
        endpoint: &crate::db::entities::webhook_endpoint::Model,
    ) -> Result<(), String> {
        let url = address::parse(&endpoint.url, self.settings.allow_private)
            .map_err(|refused| refused.to_string())?;
        let now = Utc::now();
        let timestamp = now.timestamp();
        let mut secrets = vec![endpoint.secret.as_str()];
        if let (Some(previous), Some(until)) = (&endpoint.previous_secret, endpoint.previous_until)
        {
            if until > now {
                secrets.push(previous.as_str());
            }
        }
        let signature = signing::header(&secrets, &message.id, timestamp, &message.payload)
            .ok_or_else(|| "the endpoint's secret is not a whsec_ secret".to_string())?;
        let response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &message.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(message.payload.clone())
            .send()
            .await
            .map_err(|error| error_chain(&error))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        // The start of the answer only: an endpoint could send without end.
        let mut response = response;
        let mut start = Vec::new();
        while start.len() < ERROR_CHARS * 4 {
            match response.chunk().await {
                Ok(Some(chunk)) => start.extend_from_slice(&chunk),
                _ => break,
            }
        }
        let body: String = String::from_utf8_lossy(&start)
            .chars()
            .take(ERROR_CHARS)
            .collect();
        Err(format!("HTTP {}: {}", status.as_u16(), body.trim()))
    }
}

/// An attempt in flight to one endpoint, counted while it lives.
struct Share {
    busy: Arc<std::sync::Mutex<std::collections::HashMap<uuid::Uuid, usize>>>,
    endpoint: uuid::Uuid,
}

impl Drop for Share {
    fn drop(&mut self) {
        if let Ok(mut busy) = self.busy.lock() {
            if let Some(count) = busy.get_mut(&self.endpoint) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    busy.remove(&self.endpoint);
                }
            }
        }
    }
}

/// `wait`, give or take a fifth: deliveries that failed together do not all come back at once.
fn jittered(wait: Duration) -> chrono::Duration {
    let fifth = wait.as_millis() as i64 / 5;
    let offset = if fifth > 0 {
        rand::rng().random_range(-fifth..=fifth)
    } else {
        0
    };
    chrono::Duration::milliseconds(wait.as_millis() as i64 + offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_a_fifth() {
        for _ in 0..1_000 {
            let waited = jittered(Duration::from_secs(300)).num_milliseconds();
            assert!((240_000..=360_000).contains(&waited), "{waited}");
        }
        assert_eq!(jittered(Duration::ZERO).num_milliseconds(), 0);
    }
}
