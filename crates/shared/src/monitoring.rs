//! The bodies of the monitoring API (camelCase on the wire).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ObjectKey;

/// The answer to every upload path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadReceipt {
    pub success: bool,
    pub message: String,
    pub s3_key: ObjectKey,
    /// When the server stored it.
    #[serde(with = "millis")]
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageRef {
    pub s3_key: ObjectKey,
    /// When it was captured.
    #[serde(with = "millis")]
    pub timestamp: DateTime<Utc>,
    /// When the server stored it (later than `timestamp` by the time it waited in
    /// the browser's queue).
    #[serde(with = "millis")]
    pub stored_at: DateTime<Utc>,
    /// Faces found on a camera image, once it has been analysed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faces: Option<u32>,
    /// Where they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub face_boxes: Vec<FaceBox>,
    /// The camera's or the shared screen's name, as the browser gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_label: Option<String>,
}

/// A face found on an image, as fractions of its width and height, with the
/// detector's score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceBox {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    pub score: f32,
}

impl ImageRef {
    /// An image as listed before any analysis: its key, capture and storage times.
    pub fn new(s3_key: ObjectKey, timestamp: DateTime<Utc>, stored_at: DateTime<Utc>) -> Self {
        ImageRef {
            s3_key,
            timestamp,
            stored_at,
            faces: None,
            face_boxes: Vec::new(),
            device_label: None,
        }
    }

    /// Received more than a minute after it was captured (it waited in a queue).
    pub fn received_late(&self) -> bool {
        self.stored_at - self.timestamp > chrono::Duration::minutes(1)
    }
}

/// `{camera, screen, id}`, each oldest first (`id`: the ID check's photos).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageList {
    pub camera: Vec<ImageRef>,
    pub screen: Vec<ImageRef>,
    #[serde(default)]
    pub id: Vec<ImageRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteReceipt {
    pub success: bool,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedUrl {
    pub s3_key: ObjectKey,
    pub url: String,
    #[serde(with = "millis")]
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedUrls {
    pub urls: Vec<SignedUrl>,
}

/// `GET`: the live view's server-sent events.
pub const LIVE_PATH: &str = "/api/monitoring/live";
/// `GET`: the CSV report of a search.
pub const REPORT_PATH: &str = "/api/applications/report.csv";

/// RFC 3339 UTC with milliseconds, as the API writes times: `2026-11-25T09:30:00.123Z`.
pub mod millis {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn format(time: &DateTime<Utc>) -> String {
        time.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    pub fn serialize<S: Serializer>(
        time: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(time))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }

    /// The same for optional fields.
    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            time: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match time {
                Some(time) => serializer.serialize_str(&format(time)),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<String>::deserialize(deserializer)?
                .map(|text| {
                    DateTime::parse_from_rfc3339(&text)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(serde::de::Error::custom)
                })
                .transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc_with_milliseconds() {
        let time = DateTime::parse_from_rfc3339("2026-11-25T09:30:00.123456+01:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(millis::format(&time), "2026-11-25T08:30:00.123Z");
    }

    proptest::proptest! {
        /// Any instant from 1970 to 9999 prints with milliseconds and parses back to the same millisecond.
        #[test]
        fn times_round_trip_at_millisecond_precision(millis in 0i64..253_402_300_799_999) {
            let time = DateTime::from_timestamp_millis(millis).unwrap();
            let text = millis::format(&time);
            proptest::prop_assert_eq!(text.len(), 24);
            let back: DateTime<Utc> = DateTime::parse_from_rfc3339(&text).unwrap().with_timezone(&Utc);
            proptest::prop_assert_eq!(back, time);
        }
    }

    #[test]
    fn receipts_use_the_contract_field_names() {
        let key: ObjectKey = "monitoring/6f1c2a3b-0000-4000-8000-00000000abcd/camera/1764063000123-0b7e0000-1111-4222-8333-444455556666.jpg"
            .parse()
            .unwrap();
        let receipt = UploadReceipt {
            success: true,
            message: "ok".into(),
            s3_key: key,
            timestamp: Utc::now(),
        };
        let json = serde_json::to_value(&receipt).unwrap();
        assert!(json.get("s3Key").is_some() && json.get("timestamp").is_some());
    }
}
