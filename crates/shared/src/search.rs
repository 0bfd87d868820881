//! Searching applications across interviews: the query as sent
//! (`/api/applications/search`, and `/api/applications/report.csv`'s query
//! string), the checked filter, the page cursor and the page.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    application::ApplicationSummary, integrity::EventKind, integrity::IntegrityLevel,
    lifecycle::InterviewState, ApplicationId, OrganizationId,
};

/// Applications a page holds when the query names no `limit`.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most a page holds.
pub const MAX_LIMIT: u32 = 500;

/// A search as a client sends it; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreviewed: Option<bool>,
    /// Created at or after (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Created before (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// The `next` of the page before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// A checked search: what an application must be to be listed, where the page
/// starts and how long it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationFilter {
    pub state: Option<InterviewState>,
    pub level: Option<IntegrityLevel>,
    /// An event of this kind happened (browser, face or capture gap).
    pub event_kind: Option<EventKind>,
    /// `true`: some flag has no verdict; `false`: every flag has one.
    pub unreviewed: Option<bool>,
    /// Created in `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Admins only: one organization's.
    pub organization: Option<OrganizationId>,
    pub before: Option<Cursor>,
    pub limit: u32,
}

impl Default for ApplicationFilter {
    fn default() -> Self {
        ApplicationFilter {
            state: None,
            level: None,
            event_kind: None,
            unreviewed: None,
            from: None,
            to: None,
            organization: None,
            before: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl ApplicationFilter {
    /// Whether an application with this summary passes the filters a summary
    /// answers (state, level, unreviewed flags); the store answers the others.
    pub fn admits(&self, summary: &ApplicationSummary) -> bool {
        self.state.is_none_or(|state| summary.state == state)
            && self
                .level
                .is_none_or(|level| summary.integrity_level == level)
            && self
                .unreviewed
                .is_none_or(|wanted| (summary.unreviewed_flags > 0) == wanted)
    }
}

/// Where a page starts: after the application created at `created_at` with
/// `id` (the list is newest first, ties broken by id, highest first). On the
/// wire: `{seconds since 1970}.{nanoseconds}_{id}` (the time exactly as
/// stored, so no application is skipped or repeated), to be handed back as it
/// was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: ApplicationId,
}

impl Cursor {
    pub fn after(summary: &ApplicationSummary) -> Self {
        Cursor {
            created_at: summary.created_at,
            id: summary.id,
        }
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}_{}",
            self.created_at.timestamp(),
            self.created_at.timestamp_subsec_nanos(),
            self.id
        )
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`before` is not a cursor this server gave (use the `next` of the page before)")]
pub struct CursorError;

impl FromStr for Cursor {
    type Err = CursorError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (time, id) = text.split_once('_').ok_or(CursorError)?;
        let (seconds, nanos) = time.split_once('.').ok_or(CursorError)?;
        if nanos.len() != 9 {
            return Err(CursorError);
        }
        let created_at = seconds
            .parse::<i64>()
            .ok()
            .zip(nanos.parse::<u32>().ok())
            .and_then(|(seconds, nanos)| DateTime::from_timestamp(seconds, nanos))
            .ok_or(CursorError)?;
        let id = id.parse::<ApplicationId>().map_err(|_| CursorError)?;
        Ok(Cursor { created_at, id })
    }
}

/// An organization as an admin's search offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationRef {
    pub id: OrganizationId,
    pub slug: String,
    pub name: String,
}

/// `{organizations}`, by name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Organizations {
    pub organizations: Vec<OrganizationRef>,
}

/// `{applications, next?}`: `next` is there while more applications may
/// follow; send it as `before` for the next page (which may be empty).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationPage {
    pub applications: Vec<ApplicationSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_what_they_wrote() {
        for (seconds, nanos) in [
            (-62_135_596_800, 0),
            (-1, 999_999_999),
            (0, 0),
            (1_764_000_000, 123_456_789),
        ] {
            let cursor = Cursor {
                created_at: DateTime::from_timestamp(seconds, nanos).unwrap(),
                id: ApplicationId(uuid::Uuid::new_v4()),
            };
            assert_eq!(cursor.to_string().parse::<Cursor>(), Ok(cursor));
        }
        for bad in [
            "",
            "_",
            "12",
            "1.000000000",
            "x.000000000_00000000-0000-0000-0000-000000000000",
            "1.5_00000000-0000-0000-0000-000000000000",
            "1.000000000_not-a-uuid",
            "99999999999999999999.000000000_00000000-0000-0000-0000-000000000000",
        ] {
            assert_eq!(bad.parse::<Cursor>(), Err(CursorError), "{bad}");
        }
    }
}
