//! Turning what a client sent into validated values, with errors a person understands.

use crate::{ApplicationId, ImageKind, ObjectKey};
use base64::{
    alphabet,
    engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig},
    Engine,
};
use chrono::{DateTime, Utc};

use super::Invalid;

/// Most keys one `signed-urls` call may ask for.
pub const MAX_KEYS_PER_CALL: usize = 1000;
/// Most images of each kind one `images` page returns.
pub const MAX_PAGE: u32 = 10_000;
/// How far ahead of the server's clock a capture time may be (clock skew).
pub const CLOCK_SKEW_SECS: i64 = 5;

pub struct ImagePage {
    pub before: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
}

pub fn application_id(text: &str) -> Result<ApplicationId, Invalid> {
    text.trim()
        .parse()
        .map_err(|e: crate::IdError| Invalid::Malformed(e.to_string()))
}

pub fn image_kind(text: &str) -> Result<ImageKind, Invalid> {
    text.parse()
        .map_err(|e: crate::ImageKindError| Invalid::Malformed(e.to_string()))
}

pub fn object_key(text: &str) -> Result<ObjectKey, Invalid> {
    text.parse()
        .map_err(|e: crate::ObjectKeyError| Invalid::Malformed(e.to_string()))
}

pub fn object_keys(texts: &[String]) -> Result<Vec<ObjectKey>, Invalid> {
    if texts.is_empty() {
        return Err(Invalid::Malformed("s3Keys is empty".into()));
    }
    if texts.len() > MAX_KEYS_PER_CALL {
        return Err(Invalid::Malformed(format!(
            "at most {MAX_KEYS_PER_CALL} keys per call, got {}",
            texts.len()
        )));
    }
    texts.iter().map(|text| object_key(text)).collect()
}

pub fn time(field: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, Invalid> {
    text.map(|text| {
        DateTime::parse_from_rfc3339(text)
            .map(|time| time.with_timezone(&Utc))
            .map_err(|_| Invalid::Malformed(format!("{field} `{text}` is not an RFC 3339 time")))
    })
    .transpose()
}

/// A capture time as sent; its range (not before the application, not in the
/// future) is checked by the monitoring service, which knows the application.
pub fn captured_at(text: Option<&str>) -> Result<Option<DateTime<Utc>>, Invalid> {
    time("capturedAt", text)
}

pub fn capture_id(text: Option<&str>) -> Result<Option<uuid::Uuid>, Invalid> {
    text.map(|text| {
        (text.len() == 36)
            .then(|| uuid::Uuid::parse_str(text).ok())
            .flatten()
            .ok_or_else(|| {
                let shown: String = text.chars().take(64).collect();
                Invalid::Malformed(format!("captureId `{shown}` is not a valid UUID"))
            })
    })
    .transpose()
}

pub fn page_limit(limit: Option<u32>) -> Result<Option<u32>, Invalid> {
    match limit {
        Some(0) => Err(Invalid::Malformed("limit must be at least 1".into())),
        Some(n) if n > MAX_PAGE => Err(Invalid::Malformed(format!(
            "limit must be at most {MAX_PAGE}"
        ))),
        other => Ok(other),
    }
}

/// Standard base64, padded or not, as browsers and other clients send it.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub fn too_large(max_bytes: usize) -> Invalid {
    Invalid::TooLarge(format!(
        "the image is larger than the limit of {max_bytes} bytes"
    ))
}

/// Decodes `imageData`: bare base64 or a `data:...;base64,` URL. Refuses an oversized
/// image from its encoded length, before decoding it.
pub fn decode_image_data(text: &str, max_bytes: usize) -> Result<Vec<u8>, Invalid> {
    let text = text.trim();
    let payload = match text.strip_prefix("data:") {
        Some(rest) => match rest.split_once(',') {
            Some((meta, payload)) if meta.ends_with(";base64") => payload,
            _ => {
                return Err(Invalid::Malformed(
                    "imageData is a data URL but not a base64 one".into(),
                ))
            }
        },
        None => text,
    };
    if payload.is_empty() {
        return Err(Invalid::Malformed("imageData is empty".into()));
    }
    if payload.len() / 4 * 3 > max_bytes + 3 {
        return Err(too_large(max_bytes));
    }
    let bytes = BASE64
        .decode(payload)
        .map_err(|e| Invalid::Malformed(format!("imageData is not valid base64: {e}")))?;
    if bytes.is_empty() {
        return Err(Invalid::Malformed("imageData is empty".into()));
    }
    if bytes.len() > max_bytes {
        return Err(too_large(max_bytes));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_data_is_accepted_bare_or_as_a_data_url() {
        assert_eq!(
            decode_image_data("/9j/4A==", 100).unwrap(),
            vec![0xff, 0xd8, 0xff, 0xe0]
        );
        assert_eq!(
            decode_image_data("data:image/jpeg;base64,/9j/4A", 100).unwrap(),
            vec![0xff, 0xd8, 0xff, 0xe0]
        );
    }

    #[test]
    fn bad_image_data_is_400_and_big_image_data_413() {
        for bad in ["", "data:image/jpeg,abc", "***", "data:image/jpeg;base64,"] {
            assert!(
                matches!(decode_image_data(bad, 100), Err(Invalid::Malformed(_))),
                "{bad}"
            );
        }
        let big = BASE64.encode(vec![0u8; 101]);
        assert!(matches!(
            decode_image_data(&big, 100),
            Err(Invalid::TooLarge(_))
        ));
        let huge = "A".repeat(10_000);
        assert!(matches!(
            decode_image_data(&huge, 100),
            Err(Invalid::TooLarge(_))
        ));
    }

    #[test]
    fn capture_times_must_be_rfc3339() {
        assert!(captured_at(Some("2026-01-01T00:00:00.000Z"))
            .unwrap()
            .is_some());
        for bad in [
            "yesterday",
            "2026-01-01",
            "1764063000123",
            "",
            "2026-13-01T00:00:00Z",
        ] {
            assert!(
                matches!(captured_at(Some(bad)), Err(Invalid::Malformed(_))),
                "{bad}"
            );
        }
    }

    proptest::proptest! {
        /// Decoding never panics: any text is an image, a 400 or a 413.
        #[test]
        fn decoding_any_text_is_total(text in "(data:[a-z/]{0,12}(;base64)?,)?[A-Za-z0-9+/=\\s]{0,64}|\\PC{0,64}") {
            match decode_image_data(&text, 32) {
                Ok(bytes) => proptest::prop_assert!(!bytes.is_empty() && bytes.len() <= 32),
                Err(error) => proptest::prop_assert!(matches!(error, Invalid::Malformed(_) | Invalid::TooLarge(_))),
            }
        }

        /// Whatever is encoded comes back, bare or as a data URL.
        #[test]
        fn encoded_bytes_decode_back(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..200)) {
            let text = BASE64.encode(&bytes);
            proptest::prop_assert_eq!(decode_image_data(&text, 200).unwrap(), bytes.clone());
            proptest::prop_assert_eq!(decode_image_data(&format!("data:image/jpeg;base64,{text}"), 200).unwrap(), bytes);
        }

        /// Time parsing never panics, whatever arrives.
        #[test]
        fn parsing_any_time_is_total(text in "\\PC{0,40}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,12})?(Z|[+-][0-9]{2}:[0-9]{2})") {
            let _ = time("t", Some(&text));
        }
    }

    #[test]
    fn key_lists_are_bounded() {
        assert!(object_keys(&[]).is_err());
        let many = vec!["x".to_string(); MAX_KEYS_PER_CALL + 1];
        assert!(object_keys(&many)
            .unwrap_err()
            .to_string()
            .contains("at most"));
    }
}
