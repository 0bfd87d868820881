//! Integrity signals: consent, monitoring sessions, the events of an interview
//! (what the browser saw the candidate do, and what the server found), the
//! reviewer's verdicts, and the summary with its level. The level's thresholds
//! are in [`thresholds`] and nowhere else.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::monitoring::millis;

pub mod faces;
pub mod summary;
pub mod thresholds;

pub use faces::{face_runs, Analysed, FaceRun};
pub use summary::{capture_gaps, summarize, Gap, SessionSpan};

/// The version of the consent text the panel shows; the server records it with the consent.
pub const CONSENT_VERSION: &str = "2026-11-25";
/// Events one call may carry.
pub const MAX_EVENTS_PER_CALL: usize = 500;
/// The largest `detail` accepted, as JSON text.
pub const MAX_DETAIL_BYTES: usize = 2048;
/// The longest reviewer's note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Capture intervals a session may record, in seconds.
pub const INTERVAL_RANGE: std::ops::RangeInclusive<u32> = 1..=3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    TabHidden,
    WindowBlur,
    FullscreenExit,
    ScreenShareEnded,
    ScreenShareNotMonitor,
    MultipleDisplays,
    CameraLost,
    Paste,
    Copy,
    Offline,
    PageReload,
    NoFace,
    MultipleFaces,
    CaptureGap,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not an event kind")]
pub struct EventKindError(pub String);

impl EventKind {
    pub const ALL: [EventKind; 14] = [
        EventKind::TabHidden,
        EventKind::WindowBlur,
        EventKind::FullscreenExit,
        EventKind::ScreenShareEnded,
        EventKind::ScreenShareNotMonitor,
        EventKind::MultipleDisplays,
        EventKind::CameraLost,
        EventKind::Paste,
        EventKind::Copy,
        EventKind::Offline,
        EventKind::PageReload,
        EventKind::NoFace,
        EventKind::MultipleFaces,
        EventKind::CaptureGap,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::TabHidden => "tab_hidden",
            EventKind::WindowBlur => "window_blur",
            EventKind::FullscreenExit => "fullscreen_exit",
            EventKind::ScreenShareEnded => "screen_share_ended",
            EventKind::ScreenShareNotMonitor => "screen_share_not_monitor",
            EventKind::MultipleDisplays => "multiple_displays",
            EventKind::CameraLost => "camera_lost",
            EventKind::Paste => "paste",
            EventKind::Copy => "copy",
            EventKind::Offline => "offline",
            EventKind::PageReload => "page_reload",
            EventKind::NoFace => "no_face",
            EventKind::MultipleFaces => "multiple_faces",
            EventKind::CaptureGap => "capture_gap",
        }
    }

    /// Who reports it: the browser sends these; the others only the server adds.
    pub fn from_browser(self) -> bool {
        !matches!(
            self,
            EventKind::NoFace | EventKind::MultipleFaces | EventKind::CaptureGap
        )
    }

    /// A flag asks a reviewer to look (and may be marked ok or concern). Copying,
    /// going offline and reloading are shown on the timeline but flag nothing:
    /// they are ordinary, and the gaps they cause are flagged as gaps.
    pub fn is_flag(self) -> bool {
        !matches!(
            self,
            EventKind::Copy | EventKind::Offline | EventKind::PageReload
        )
    }

    /// Has a duration (`endedAt`) when it ends.
    pub fn lasts(self) -> bool {
        matches!(
            self,
            EventKind::TabHidden
                | EventKind::WindowBlur
                | EventKind::FullscreenExit
                | EventKind::ScreenShareEnded
                | EventKind::CameraLost
                | EventKind::Offline
                | EventKind::NoFace
                | EventKind::MultipleFaces
                | EventKind::CaptureGap
        )
    }

    /// Words for the review page.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::TabHidden => "Left the tab",
            EventKind::WindowBlur => "Left the window",
            EventKind::FullscreenExit => "Left full screen",
            EventKind::ScreenShareEnded => "Screen sharing stopped",
            EventKind::ScreenShareNotMonitor => "Shared a window or tab, not the screen",
            EventKind::MultipleDisplays => "More than one display",
            EventKind::CameraLost => "Camera lost",
            EventKind::Paste => "Pasted",
            EventKind::Copy => "Copied",
            EventKind::Offline => "Offline",
            EventKind::PageReload => "Page reloaded",
            EventKind::NoFace => "No face",
            EventKind::MultipleFaces => "More than one face",
            EventKind::CaptureGap => "No captures",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = EventKindError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| EventKindError(text.chars().take(64).collect()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    Browser,
    Server,
}

/// A reviewer's judgement of one flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    Concern,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Concern => "concern",
        }
    }
}

impl FromStr for Verdict {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "ok" => Ok(Verdict::Ok),
            "concern" => Ok(Verdict::Concern),
            _ => Err(format!(
                "verdict must be \"ok\" or \"concern\", not `{}`",
                text.chars().take(64).collect::<String>()
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagReview {
    pub verdict: Verdict,
    pub note: String,
    /// The reviewer's email.
    pub by: String,
    #[serde(with = "millis")]
    pub at: DateTime<Utc>,
    /// Given before the candidate had seen the flag on their application page
    /// (allowed, and shown as such).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub before_candidate_saw: bool,
}

/// The candidate's response to a flag (one per flag, at most
/// [`MAX_RESPONSE_CHARS`] characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagResponse {
    pub text: String,
    /// When it was last written.
    #[serde(with = "millis")]
    pub at: DateTime<Utc>,
    /// A reviewer gave a verdict after it: it can no longer change.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub locked: bool,
}

/// The longest response to a flag, in characters.
pub const MAX_RESPONSE_CHARS: usize = 1000;

/// One event as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringEvent {
    pub event_id: Uuid,
    pub kind: EventKind,
    #[serde(with = "millis")]
    pub at: DateTime<Utc>,
    #[serde(
        default,
        with = "millis::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
    pub source: EventSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<FlagReview>,
    /// The candidate's response, on flags only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<FlagResponse>,
}

impl MonitoringEvent {
    /// Seconds from `at` to `endedAt` (0 while it has not ended).
    pub fn seconds(&self) -> i64 {
        self.ended_at
            .map(|end| (end - self.at).num_seconds().max(0))
            .unwrap_or(0)
    }

    /// The capture ids of the snapshots taken around it (`detail.captureIds`).
    pub fn capture_ids(&self) -> Vec<Uuid> {
        self.detail
            .as_ref()
            .and_then(|detail| detail.get("captureIds"))
            .and_then(|ids| ids.as_array())
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| id.as_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `{consentedAt, consentVersion, retentionDays}`; `retentionDays` is null when images are kept until deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentReceipt {
    #[serde(with = "millis")]
    pub consented_at: DateTime<Utc>,
    pub consent_version: String,
    /// The language of the text agreed to.
    #[serde(default)]
    pub language: crate::language::Language,
    pub retention_days: Option<u32>,
}

/// What the consent page states, from the server's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentTerms {
    pub consent_version: String,
    /// The language of the text these terms are for (asked for, else the
    /// browser's `Accept-Language`, else English).
    #[serde(default)]
    pub language: crate::language::Language,
    /// Days images and events are kept; `None` keeps them until deleted.
    pub retention_days: Option<u32>,
    /// How long a link to an image works, in seconds.
    pub signed_url_ttl_secs: u64,
    /// When this candidate consented to this text in this language, if they have.
    #[serde(default, with = "millis::option")]
    pub consented_at: Option<DateTime<Utc>>,
    /// When the application asks for an ID photo: the days it is kept after
    /// the interview (ID_RETENTION_DAYS).
    #[serde(default)]
    pub id_photo_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionStarted {
    pub session_id: Uuid,
    #[serde(with = "millis")]
    pub started_at: DateTime<Utc>,
    #[serde(with = "millis")]
    pub server_time: DateTime<Utc>,
}

/// `session/end`'s answer: the session and when it ended (the first end is
/// kept: ending it again changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionEnded {
    pub session_id: Uuid,
    #[serde(with = "millis")]
    pub ended_at: DateTime<Utc>,
}

/// One event as a client sends it (`POST /api/monitoring/events`); the server
/// checks every field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventInput {
    /// A UUID the client picks: the server stores an event once.
    pub event_id: String,
    pub kind: String,
    /// RFC 3339.
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// A JSON object, or nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsAccepted {
    pub accepted: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRecorded {
    pub success: bool,
}

/// `flags/respond`'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseRecorded {
    pub success: bool,
}

/// How much a reviewer should look, from [`thresholds`]: a signal for a person, not a verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrityLevel {
    #[default]
    None,
    Some,
    Major,
}

impl IntegrityLevel {
    pub const ALL: [IntegrityLevel; 3] = [
        IntegrityLevel::None,
        IntegrityLevel::Some,
        IntegrityLevel::Major,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IntegrityLevel::None => "none",
            IntegrityLevel::Some => "some",
            IntegrityLevel::Major => "major",
        }
    }
}

impl FromStr for IntegrityLevel {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        IntegrityLevel::ALL
            .into_iter()
            .find(|level| level.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "level must be \"none\", \"some\" or \"major\", not `{}`",
                    text.chars().take(64).collect::<String>()
                )
            })
    }
}

/// The figures the review page shows at the top.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegritySummary {
    pub monitored_seconds: i64,
    /// Hidden tab or blurred window (their union: switching tabs does both).
    pub away_seconds: i64,
    pub tab_switches: u32,
    pub window_blurs: u32,
    pub fullscreen_exits: u32,
    pub pastes: u32,
    pub copies: u32,
    pub screen_share_interruptions: u32,
    pub screen_unshared_seconds: i64,
    pub non_monitor_shares: u32,
    pub multiple_displays: u32,
    pub camera_losses: u32,
    pub offline_seconds: i64,
    pub reloads: u32,
    pub gaps: u32,
    pub gap_seconds: i64,
    pub no_face_runs: u32,
    pub no_face_seconds: i64,
    pub multiple_faces_runs: u32,
    /// Events that ask a reviewer to look, and how many of them nobody has marked yet.
    pub flags: u32,
    pub unreviewed_flags: u32,
    pub concerns: u32,
    pub level: IntegrityLevel,
    /// Why the level is what it is, in words.
    pub reasons: Vec<String>,
}

/// `{events, summary, responsesCloseAt?}`, events oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventList {
    pub events: Vec<MonitoringEvent>,
    pub summary: IntegritySummary,
    /// When the candidate can no longer respond to flags (the organization's
    /// window after the interview's last activity); absent: no limit.
    #[serde(
        default,
        with = "millis::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub responses_close_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_refused() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.as_str().into())
            );
        }
        assert!("tab_switch".parse::<EventKind>().is_err());
        assert!("".parse::<EventKind>().is_err());
        assert_eq!(
            "x".repeat(5000).parse::<EventKind>().unwrap_err().0.len(),
            64,
            "the error does not echo 5,000 characters"
        );
        let from_browser = EventKind::ALL.iter().filter(|k| k.from_browser()).count();
        assert_eq!(from_browser, 11, "the browser's kinds of the README");
    }

    #[test]
    fn capture_ids_come_from_the_detail() {
        let id = Uuid::new_v4();
        let event = MonitoringEvent {
            event_id: Uuid::new_v4(),
            kind: EventKind::Paste,
            at: Utc::now(),
            ended_at: None,
            detail: Some(
                serde_json::json!({"length": 12, "captureIds": [id.to_string(), "not a uuid"]}),
            ),
            source: EventSource::Browser,
            review: None,
            response: None,
        };
        assert_eq!(event.capture_ids(), vec![id]);
        assert_eq!(event.seconds(), 0);
    }
}
