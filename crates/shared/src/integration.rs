//! The provisioning API's answers (`/api/integration/...`): what a hiring
//! platform, calling with a service key, gets back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ApplicationId, CaptureSettings, UserId};

/// Where a panel trades a capture token for a session (`{token}` →
/// [`CaptureSession`]): the one API path that takes no caller besides signing in.
pub const CAPTURE_SESSIONS_PATH: &str = "/api/integration/capture-sessions";

/// What every service key starts with (`Authorization: Bearer imk_...`); any
/// other bearer token is a session's (an embedded panel's, see `CaptureSession`).
pub const SERVICE_KEY_PREFIX: &str = "imk_";

/// A candidate, made or found by email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionedCandidate {
    pub id: UserId,
    pub email: String,
}

/// An application as the provisioning API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionedApplication {
    pub id: ApplicationId,
    pub candidate_email: String,
    pub title: String,
    #[serde(with = "crate::monitoring::millis")]
    pub created_at: DateTime<Utc>,
    pub capture: CaptureSettings,
    /// Where its interview stands (`invited` when it was just made).
    #[serde(default)]
    pub state: crate::lifecycle::InterviewState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionedApplications {
    pub applications: Vec<ProvisionedApplication>,
}

/// A link that signs the candidate in, once, for one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureLink {
    pub url: String,
    /// The link's token (the end of `url`), for a page that embeds the panel
    /// (`EmbeddedInterview`'s `capture_token`).
    #[serde(default)]
    pub token: String,
    #[serde(with = "crate::monitoring::millis")]
    pub expires_at: DateTime<Utc>,
}

/// A capture link's token exchanged for a session by a panel embedded on
/// another origin: it sends `Authorization: Bearer {sessionToken}` from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureSession {
    pub session_token: String,
    pub application_id: ApplicationId,
    #[serde(with = "crate::monitoring::millis")]
    pub expires_at: DateTime<Utc>,
}

/// A service key as the admins' page lists it (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceKeyInfo {
    pub name: String,
    /// The organization's slug.
    pub organization: String,
    #[serde(with = "crate::monitoring::millis")]
    pub created_at: DateTime<Utc>,
    #[serde(default, with = "crate::monitoring::millis::option")]
    pub last_used_at: Option<DateTime<Utc>>,
    #[serde(default, with = "crate::monitoring::millis::option")]
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceKeys {
    pub keys: Vec<ServiceKeyInfo>,
}

/// A key just made: shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewServiceKey {
    pub name: String,
    pub organization: String,
    pub key: String,
}

/// The answer to revoking a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRevoked {
    pub success: bool,
}
