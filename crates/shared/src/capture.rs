//! One capture's record, the same from the browser to the database: the
//! panel makes a [`CaptureMeta`] when it takes a snapshot, keeps its
//! [`CaptureFields`] in IndexedDB beside the JPEG, sends them as the query of
//! `upload-binary` (or the fields of `upload`), and the server parses them
//! back into the `CaptureMeta` its service and repository store. A new fact
//! about a capture is a field here, in both forms, and where it is made and
//! stored; nothing between needs to know.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    input::{
        monitoring::{application_id, capture_id, captured_at, image_kind},
        Invalid,
    },
    ApplicationId, ImageKind,
};

/// The longest device label kept; a longer one is cut there.
pub const MAX_DEVICE_LABEL_CHARS: usize = 200;

/// An image to store: its record, checked, and its bytes (whose content the
/// service checks).
pub struct NewImage {
    pub meta: CaptureMeta,
    pub bytes: Vec<u8>,
}

/// A capture as checked. Made with [`CaptureMeta::new`] and struct update
/// syntax, so a new field needs no change where captures are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureMeta {
    pub application_id: ApplicationId,
    pub kind: ImageKind,
    /// When it was taken, on the server's clock; the server's arrival time when absent.
    pub captured_at: Option<DateTime<Utc>>,
    /// Chosen by the client for each capture, so a retried upload is stored once.
    pub capture_id: Option<Uuid>,
    /// The name the browser gives the camera or the shared screen (a reviewer
    /// sees which device took it): trimmed, without control characters, at
    /// most [`MAX_DEVICE_LABEL_CHARS`].
    pub device_label: Option<String>,
}

/// A capture as a client sends it, all text: the query of `upload-binary`,
/// the fields of `upload` and the record the browser's queue keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureFields {
    #[serde(default)]
    pub application_id: String,
    /// `camera` or `screen` (set by the path for `upload-camera` and `upload-screen`).
    #[serde(default)]
    pub image_type: String,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_label: Option<String>,
}

impl CaptureMeta {
    /// A capture of `kind` for `application`, nothing else known yet.
    pub fn new(application_id: ApplicationId, kind: ImageKind) -> Self {
        CaptureMeta {
            application_id,
            kind,
            captured_at: None,
            capture_id: None,
            device_label: None,
        }
    }

    /// The capture id as text, the panel's key for it (empty when none was chosen).
    pub fn id_text(&self) -> String {
        self.capture_id.map(|id| id.to_string()).unwrap_or_default()
    }
}

impl CaptureFields {
    /// Checks every field: 400 naming the first that is missing or malformed.
    pub fn parse(&self) -> Result<CaptureMeta, Invalid> {
        let required = |name: &str, value: &str| {
            if value.is_empty() {
                Err(Invalid::Malformed(format!("`{name}` is missing")))
            } else {
                Ok(())
            }
        };
        required("applicationId", &self.application_id)?;
        required("imageType", &self.image_type)?;
        Ok(CaptureMeta {
            application_id: application_id(&self.application_id)?,
            kind: image_kind(&self.image_type)?,
            captured_at: captured_at(self.captured_at.as_deref())?,
            capture_id: capture_id(self.capture_id.as_deref())?,
            device_label: self.device_label.as_deref().and_then(device_label),
        })
    }
}

impl From<&CaptureMeta> for CaptureFields {
    fn from(meta: &CaptureMeta) -> Self {
        CaptureFields {
            application_id: meta.application_id.to_string(),
            image_type: meta.kind.as_str().to_string(),
            captured_at: meta
                .captured_at
                .map(|at| crate::monitoring::millis::format(&at)),
            capture_id: meta.capture_id.map(|id| id.to_string()),
            device_label: meta.device_label.clone(),
        }
    }
}

/// A device label as kept (`None` when nothing readable is left): a label is
/// a courtesy of the browser, so a long or odd one is cut, never refused.
fn device_label(text: &str) -> Option<String> {
    let kept: String = text
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(MAX_DEVICE_LABEL_CHARS)
        .collect();
    let kept = kept.trim_end().to_string();
    (!kept.is_empty()).then_some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> CaptureMeta {
        CaptureMeta {
            captured_at: DateTime::from_timestamp_millis(1_764_063_000_123),
            capture_id: Some(Uuid::new_v4()),
            device_label: Some("FaceTime HD Camera (Built-in)".into()),
            ..CaptureMeta::new(ApplicationId(Uuid::new_v4()), ImageKind::Screen)
        }
    }

    #[test]
    fn a_capture_reads_back_from_its_fields_and_their_json() {
        let meta = meta();
        let fields = CaptureFields::from(&meta);
        assert_eq!(fields.parse(), Ok(meta.clone()));
        let json = serde_json::to_string(&fields).unwrap();
        let back: CaptureFields = serde_json::from_str(&json).unwrap();
        assert_eq!(back.parse(), Ok(meta));
        assert!(json.contains("\"applicationId\"") && json.contains("\"imageType\":\"screen\""));
    }

    #[test]
    fn missing_and_malformed_fields_are_named() {
        let fields = CaptureFields::from(&meta());
        for (broken, named) in [
            (
                CaptureFields {
                    application_id: String::new(),
                    ..fields.clone()
                },
                "applicationId",
            ),
            (
                CaptureFields {
                    image_type: "microphone".into(),
                    ..fields.clone()
                },
                "microphone",
            ),
            (
                CaptureFields {
                    captured_at: Some("1969-13-01".into()),
                    ..fields.clone()
                },
                "capturedAt",
            ),
            (
                CaptureFields {
                    capture_id: Some("x".repeat(5000)),
                    ..fields.clone()
                },
                "captureId",
            ),
        ] {
            let error = broken.parse().unwrap_err();
            assert!(matches!(error, Invalid::Malformed(_)), "{error}");
            assert!(error.to_string().contains(named), "{error}");
        }
    }

    #[test]
    fn device_labels_are_cut_and_cleaned_never_refused() {
        let with = |label: &str| {
            CaptureFields {
                device_label: Some(label.into()),
                ..CaptureFields::from(&meta())
            }
            .parse()
            .unwrap()
            .device_label
        };
        let long = with(&"é".repeat(5000)).unwrap();
        assert_eq!(long.chars().count(), MAX_DEVICE_LABEL_CHARS);
        assert_eq!(with("  cam\u{0}era\n "), Some("camera".into()));
        assert_eq!(with(" \t "), None);
        assert_eq!(with(""), None);
    }

    #[test]
    fn captures_before_1970_parse_and_the_service_judges_them() {
        let fields = CaptureFields {
            captured_at: Some("1969-07-20T20:17:40Z".into()),
            ..CaptureFields::from(&meta())
        };
        assert!(fields.parse().unwrap().captured_at.unwrap().timestamp() < 0);
    }
}
