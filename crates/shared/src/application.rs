//! Job applications as lists show them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{integrity::IntegrityLevel, lifecycle::InterviewState, ApplicationId, OrganizationId};

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
    /// Photos of an ID document (the ID check's).
    #[serde(default)]
    pub id_images: u64,
    /// When it asks for an ID photo: the days one is kept after the interview
    /// (ID_RETENTION_DAYS).
    #[serde(default)]
    pub id_retention_days: Option<u32>,
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
    /// What the panel captures, as whoever created the application chose.
    #[serde(default)]
    pub capture: CaptureSettings,
    /// Where the interview stands.
    #[serde(default)]
    pub state: InterviewState,
}

/// The shortest and longest time between two snapshots, in seconds.
pub const INTERVALS: std::ops::RangeInclusive<u32> = 1..=3600;

/// What the panel captures for an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureSettings {
    pub camera: bool,
    pub screen: bool,
    /// Seconds between camera snapshots; `None`: the panel's default.
    #[serde(default)]
    pub camera_interval: Option<u32>,
    /// Seconds between screen snapshots; `None`: the panel's default.
    #[serde(default)]
    pub screen_interval: Option<u32>,
    /// The candidate shows an ID document to the camera before monitoring
    /// starts (an `id` photo; off unless the application asks).
    #[serde(default)]
    pub id_check: bool,
}

impl Default for CaptureSettings {
    fn default() -> Self {
        CaptureSettings {
            camera: true,
            screen: true,
            camera_interval: None,
            screen_interval: None,
            id_check: false,
        }
    }
}
