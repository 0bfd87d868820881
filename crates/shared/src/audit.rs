//! The audit trail as the API shows it: who did what to which application's
//! images, and when. The server keeps the entries hash-chained; here they are
//! plain records.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::monitoring::millis;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// Signed URLs were issued for images (the target lists their keys).
    View,
    /// An image was deleted.
    Delete,
    /// The application was erased.
    Erase,
    /// An evidence export was downloaded.
    Export,
    /// The candidate consented to monitoring.
    Consent,
    /// The retention purge removed what had passed its period.
    Purge,
    /// A capture link was issued for the candidate.
    Invite,
    /// The storage sweep removed an object no image records, or the record of
    /// an image whose object was missing.
    Sweep,
    /// A reviewer gave a verdict on a flag (the target names the event and the
    /// verdict; the reviewer's note stays out of the trail).
    Review,
    /// The candidate responded to a flag (the target names the event; the
    /// response's text stays out of the trail).
    Respond,
}

impl AuditAction {
    pub const ALL: [AuditAction; 10] = [
        AuditAction::View,
        AuditAction::Delete,
        AuditAction::Erase,
        AuditAction::Export,
        AuditAction::Consent,
        AuditAction::Purge,
        AuditAction::Invite,
        AuditAction::Sweep,
        AuditAction::Review,
        AuditAction::Respond,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::View => "view",
            AuditAction::Delete => "delete",
            AuditAction::Erase => "erase",
            AuditAction::Export => "export",
            AuditAction::Consent => "consent",
            AuditAction::Purge => "purge",
            AuditAction::Invite => "invite",
            AuditAction::Sweep => "sweep",
            AuditAction::Review => "review",
            AuditAction::Respond => "respond",
        }
    }

    /// How the trail words it for a person.
    pub fn describe(self) -> &'static str {
        match self {
            AuditAction::View => "viewed images",
            AuditAction::Delete => "deleted an image",
            AuditAction::Erase => "erased the application's data",
            AuditAction::Export => "exported the evidence",
            AuditAction::Consent => "consented to monitoring",
            AuditAction::Purge => "removed data past retention",
            AuditAction::Invite => "sent the candidate a capture link",
            AuditAction::Sweep => "swept storage of what had no record",
            AuditAction::Review => "reviewed a flag",
            AuditAction::Respond => "responded to a flag",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not an audit action")]
pub struct AuditActionError(pub String);

impl FromStr for AuditAction {
    type Err = AuditActionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        AuditAction::ALL
            .into_iter()
            .find(|a| a.as_str() == text)
            .ok_or_else(|| AuditActionError(text.to_string()))
    }
}

/// One entry: `actor` is a role and organization ("recruiter of Acme"), not
/// necessarily a name; `target` is what was acted on (image keys, counts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// The entry's place in the chain (1, 2, 3, …).
    pub seq: i64,
    #[serde(with = "millis")]
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: AuditAction,
    pub target: String,
    /// The application it concerns, when it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<crate::ApplicationId>,
}

/// `{entries}`, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditTrail {
    pub entries: Vec<AuditEntry>,
}

/// The answer to an erase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErasureReceipt {
    pub success: bool,
    pub erased_images: u64,
    pub erased_events: u64,
}

/// `manifest.json` of an evidence export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportManifest {
    pub application_id: crate::ApplicationId,
    #[serde(with = "millis")]
    pub exported_at: DateTime<Utc>,
    /// The audit chain's head hash when the export was made (after its own entry).
    pub audit_head: String,
    pub files: Vec<ExportedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedFile {
    /// Relative to the zip's root.
    pub path: String,
    /// Lowercase hex.
    pub sha256: String,
    pub size: u64,
    #[serde(
        default,
        with = "millis::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub captured_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_through_their_names() {
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>(), Ok(action));
            assert_eq!(
                serde_json::to_string(&action).ok(),
                Some(format!("\"{action}\""))
            );
        }
        assert!("View".parse::<AuditAction>().is_err());
    }
}
