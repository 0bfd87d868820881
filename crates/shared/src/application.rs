//! Job applications as lists show them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{integrity::IntegrityLevel, ApplicationId, OrganizationId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSummary {
    pub id: ApplicationId,
    pub title: String,
    pub organization_id: OrganizationId,
    pub organization_name: String,
    pub candidate_email: String,
    #[serde(with = "crate::monitoring::millis")]
    pub created_at: DateTime<Utc>,
    pub camera_images: u64,
    pub screen_images: u64,
    /// When the latest image was captured, if any.
    #[serde(default, with = "crate::monitoring::millis::option")]
    pub last_capture_at: Option<DateTime<Utc>>,
    /// The integrity summary's level: where a reviewer should look first.
    #[serde(default)]
    pub integrity_level: IntegrityLevel,
    /// Flagged events nobody has marked ok or concern yet.
    #[serde(default)]
    pub unreviewed_flags: u32,
    /// Days after capture its images and events are deleted (the shorter of
    /// RETENTION_DAYS and the organization's own period); `None` keeps them.
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// When an admin erased it; nothing of its monitoring is left.
    #[serde(default, with = "crate::monitoring::millis::option")]
    pub erased_at: Option<DateTime<Utc>>,
}
