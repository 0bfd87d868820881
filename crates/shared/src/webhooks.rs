//! Webhooks: what a hiring platform registers (`/api/integration/webhooks...`)
//! and what it is sent. Messages follow the Standard Webhooks specification;
//! their payload carries ids and states, never images or URLs.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ApplicationId, OrganizationId};

/// What a webhook announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WebhookEvent {
    /// The interview's first monitoring session started.
    #[serde(rename = "interview.started")]
    InterviewStarted,
    /// Every session ended (the panel's `end()`), or nothing was captured for
    /// `INTERVIEW_IDLE_SECS`.
    #[serde(rename = "interview.ended")]
    InterviewEnded,
    /// Every capture is analysed: the summary is final (verdicts aside).
    #[serde(rename = "interview.analysed")]
    InterviewAnalysed,
    /// A flag was raised: by the browser as it happens, and the flags the
    /// server works out (faces, capture gaps) when the interview is analysed.
    #[serde(rename = "flag.raised")]
    FlagRaised,
    /// A reviewer gave a flag a verdict (or changed it).
    #[serde(rename = "flag.reviewed")]
    FlagReviewed,
    /// The application's images and events were erased.
    #[serde(rename = "application.erased")]
    ApplicationErased,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 6] = [
        WebhookEvent::InterviewStarted,
        WebhookEvent::InterviewEnded,
        WebhookEvent::InterviewAnalysed,
        WebhookEvent::FlagRaised,
        WebhookEvent::FlagReviewed,
        WebhookEvent::ApplicationErased,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            WebhookEvent::InterviewStarted => "interview.started",
            WebhookEvent::InterviewEnded => "interview.ended",
            WebhookEvent::InterviewAnalysed => "interview.analysed",
            WebhookEvent::FlagRaised => "flag.raised",
            WebhookEvent::FlagReviewed => "flag.reviewed",
            WebhookEvent::ApplicationErased => "application.erased",
        }
    }
}

impl fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WebhookEvent {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WebhookEvent::ALL
            .into_iter()
            .find(|event| event.as_str() == s)
            .ok_or_else(|| {
                let shown: String = s.chars().take(64).collect();
                format!(
                    "`{shown}` is not an event: interview.started, interview.ended, interview.analysed, flag.raised, flag.reviewed or application.erased"
                )
            })
    }
}

/// What every message's `data` holds; the other fields are there for the
/// events they concern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookData {
    pub application_id: ApplicationId,
    pub organization_id: OrganizationId,
    /// The interview's state when the message was written (`invited`,
    /// `in_progress`, `ended`, `analysed`, `reviewed`).
    pub state: crate::lifecycle::InterviewState,
    /// `interview.started`: the session that started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<uuid::Uuid>,
    /// `flag.*`: the flag (an event id of the timeline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<uuid::Uuid>,
    /// `flag.raised`: what kind of flag (`tab_hidden`, `no_face`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `flag.reviewed`: `ok` or `concern`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
}

/// The body of every message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPayload {
    #[serde(rename = "type")]
    pub event: WebhookEvent,
    /// When it happened.
    #[serde(with = "crate::monitoring::millis")]
    pub timestamp: DateTime<Utc>,
    pub data: WebhookData,
}

/// An endpoint just registered or its secret just rotated: the secret is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewWebhook {
    pub id: uuid::Uuid,
    pub url: String,
    /// `whsec_` and base64: the key of the messages' HMAC-SHA256 signatures.
    pub secret: String,
}

/// A registered endpoint (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookInfo {
    pub id: uuid::Uuid,
    /// The organization's slug.
    pub organization: String,
    pub url: String,
    /// The events sent to it.
    pub events: Vec<WebhookEvent>,
    #[serde(with = "crate::monitoring::millis")]
    pub created_at: DateTime<Utc>,
    /// Until when messages are also signed with the secret before the last rotation.
    #[serde(
        default,
        with = "crate::monitoring::millis::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous_secret_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookList {
    pub webhooks: Vec<WebhookInfo>,
}

/// Where a message stands at one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not yet answered with a 2xx; tried again later.
    Pending,
    Delivered,
    /// Every attempt failed; sent again only on request (`webhooks/redeliver`).
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|status| status.as_str() == s)
    }
}

/// One message's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub message_id: String,
    pub event: WebhookEvent,
    pub application_id: ApplicationId,
    pub status: DeliveryStatus,
    pub attempts: u32,
    #[serde(with = "crate::monitoring::millis")]
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due (pending ones).
    #[serde(
        default,
        with = "crate::monitoring::millis::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deliveries {
    pub deliveries: Vec<Delivery>,
}

/// The answer to deleting an endpoint or asking for a redelivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDone {
    pub success: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_are_the_wire_names() {
        for event in WebhookEvent::ALL {
            let json = serde_json::to_string(&event).unwrap();
            assert_eq!(json, format!("\"{}\"", event.as_str()));
            assert_eq!(event.as_str().parse::<WebhookEvent>(), Ok(event));
        }
        assert!("interview.paused".parse::<WebhookEvent>().is_err());
    }
}
