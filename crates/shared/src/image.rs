//! Image kinds and the object keys images are stored under.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::ApplicationId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageKind {
    Camera,
    Screen,
    /// A photo of the candidate's ID document (the optional ID check), taken
    /// with the camera once, before monitoring starts.
    Id,
}

impl ImageKind {
    pub const ALL: [ImageKind; 3] = [ImageKind::Camera, ImageKind::Screen, ImageKind::Id];
    /// The kinds taken throughout the interview, at intervals.
    pub const MONITORED: [ImageKind; 2] = [ImageKind::Camera, ImageKind::Screen];

    pub fn as_str(&self) -> &'static str {
        match self {
            ImageKind::Camera => "camera",
            ImageKind::Screen => "screen",
            ImageKind::Id => "id",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown image type `{0}`: expected camera, screen or id")]
pub struct ImageKindError(pub String);

impl FromStr for ImageKind {
    type Err = ImageKindError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| ImageKindError(s.chars().take(32).collect()))
    }
}

impl fmt::Display for ImageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `monitoring/{applicationId}/{camera|screen}/{epochMillis}-{uuid}.jpg`: made by the
/// server, and parsed (never trusted) when a client sends one back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    pub application_id: ApplicationId,
    pub kind: ImageKind,
    pub epoch_millis: i64,
    pub id: Uuid,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a monitoring image key (monitoring/{{applicationId}}/{{camera|screen}}/{{epochMillis}}-{{uuid}}.jpg)")]
pub struct ObjectKeyError(pub String);

impl ObjectKey {
    /// The latest capture time a key can hold: 15 digits of milliseconds (year 33658).
    pub const MAX_EPOCH_MILLIS: i64 = 999_999_999_999_999;

    /// A key for a capture at `epoch_millis`, which must lie in `0..=MAX_EPOCH_MILLIS`
    /// so that every key made here parses back (a negative time would print a `-`).
    pub fn new(
        application_id: ApplicationId,
        kind: ImageKind,
        epoch_millis: i64,
        id: Uuid,
    ) -> Result<Self, ObjectKeyError> {
        if !(0..=Self::MAX_EPOCH_MILLIS).contains(&epoch_millis) {
            return Err(ObjectKeyError(format!(
                "a capture time of {epoch_millis} ms since 1970"
            )));
        }
        Ok(ObjectKey {
            application_id,
            kind,
            epoch_millis,
            id,
        })
    }
}

impl FromStr for ObjectKey {
    type Err = ObjectKeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ObjectKeyError(s.chars().take(160).collect());
        let mut parts = s.split('/');
        let (Some("monitoring"), Some(app), Some(kind), Some(file), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(error());
        };
        let application_id = app.parse::<ApplicationId>().map_err(|_| error())?;
        let kind = kind.parse::<ImageKind>().map_err(|_| error())?;
        let stem = file.strip_suffix(".jpg").ok_or_else(error)?;
        let (millis, id) = stem.split_once('-').ok_or_else(error)?;
        // Only the form the server prints: digits without leading zeros, at most 15 of them.
        let canonical = millis == "0" || !millis.starts_with('0');
        if millis.is_empty()
            || millis.len() > 15
            || !canonical
            || !millis.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(error());
        }
        let epoch_millis = millis.parse::<i64>().map_err(|_| error())?;
        if id.len() != 36 {
            return Err(error());
        }
        let id = Uuid::parse_str(id).map_err(|_| error())?;
        Ok(ObjectKey {
            application_id,
            kind,
            epoch_millis,
            id,
        })
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "monitoring/{}/{}/{}-{}.jpg",
            self.application_id,
            self.kind,
            self.epoch_millis,
            self.id.hyphenated()
        )
    }
}

impl Serialize for ObjectKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ObjectKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "6f1c2a3b-0000-4000-8000-00000000abcd";
    const ID: &str = "0b7e0000-1111-4222-8333-444455556666";

    #[test]
    fn a_key_the_server_makes_parses_back_to_itself() {
        let text = format!("monitoring/{APP}/camera/1764063000123-{ID}.jpg");
        let key: ObjectKey = text.parse().unwrap();
        assert_eq!(key.kind, ImageKind::Camera);
        assert_eq!(key.epoch_millis, 1_764_063_000_123);
        assert_eq!(key.to_string(), text);
    }

    #[test]
    fn keys_off_the_pattern_are_rejected() {
        let bad = [
            String::new(),
            format!("monitoring/{APP}/audio/1-{ID}.jpg"),
            format!("monitoring/{APP}/camera/1-{ID}.png"),
            format!("monitoring/{APP}/camera/-{ID}.jpg"),
            format!("monitoring/{APP}/camera/+1-{ID}.jpg"),
            format!("monitoring/{APP}/camera/01-{ID}.jpg"),
            format!("monitoring/{APP}/camera/1000000000000000-{ID}.jpg"),
            format!("monitoring/{APP}/camera/1-{ID}.jpg/extra"),
            format!("other/{APP}/camera/1-{ID}.jpg"),
            format!("monitoring/../camera/1-{ID}.jpg"),
            format!("monitoring/{APP}/camera/1-not-a-uuid.jpg"),
        ];
        for text in bad {
            assert!(
                text.parse::<ObjectKey>().is_err(),
                "{text} should be rejected"
            );
        }
    }

    #[test]
    fn times_outside_the_key_range_make_no_key() {
        let app: ApplicationId = APP.parse().unwrap();
        let id = Uuid::parse_str(ID).unwrap();
        assert!(ObjectKey::new(app, ImageKind::Camera, -1, id).is_err());
        assert!(
            ObjectKey::new(app, ImageKind::Camera, ObjectKey::MAX_EPOCH_MILLIS + 1, id).is_err()
        );
        assert!(ObjectKey::new(app, ImageKind::Camera, i64::MIN, id).is_err());
        let last = ObjectKey::new(app, ImageKind::Screen, ObjectKey::MAX_EPOCH_MILLIS, id).unwrap();
        assert_eq!(last.to_string().parse::<ObjectKey>().unwrap(), last);
    }

    proptest::proptest! {
        /// Every key the server can make prints to a text that parses back to it.
        #[test]
        fn every_key_in_range_round_trips(millis in 0..=ObjectKey::MAX_EPOCH_MILLIS, a: u128, b: u128, screen: bool) {
            let kind = if screen { ImageKind::Screen } else { ImageKind::Camera };
            let key = ObjectKey::new(ApplicationId(Uuid::from_u128(a)), kind, millis, Uuid::from_u128(b)).unwrap();
            proptest::prop_assert_eq!(key.to_string().parse::<ObjectKey>().unwrap(), key);
        }

        /// Parsing never panics, and what parses prints back to the same text.
        #[test]
        fn parsing_any_text_is_total(text in "(monitoring/)?[0-9a-f-]{0,40}(/(camera|screen))?/?[0-9+-]{0,20}-?[0-9a-f-]{0,40}(\\.jpg)?") {
            if let Ok(key) = text.parse::<ObjectKey>() {
                proptest::prop_assert_eq!(key.to_string(), text);
            }
        }

        #[test]
        fn parsing_arbitrary_unicode_never_panics(text in "\\PC{0,200}") {
            let _ = text.parse::<ObjectKey>();
        }
    }

    #[test]
    fn image_kinds_parse_only_their_lowercase_names() {
        assert_eq!("screen".parse::<ImageKind>(), Ok(ImageKind::Screen));
        assert!("Screen".parse::<ImageKind>().is_err());
    }
}
