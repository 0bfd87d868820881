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
}

impl ImageKind {
    pub const ALL: [ImageKind; 2] = [ImageKind::Camera, ImageKind::Screen];

    pub fn as_str(&self) -> &'static str {
        match self {
            ImageKind::Camera => "camera",
            ImageKind::Screen => "screen",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown image type `{0}`: expected camera or screen")]
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
    pub fn new(application_id: ApplicationId, kind: ImageKind, epoch_millis: i64, id: Uuid) -> Self {
        ObjectKey { application_id, kind, epoch_millis, id }
    }
}

impl FromStr for ObjectKey {
    type Err = ObjectKeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ObjectKeyError(s.chars().take(160).collect());
        let mut parts = s.split('/');
        let (Some("monitoring"), Some(app), Some(kind), Some(file), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(error());
        };
        let application_id = app.parse::<ApplicationId>().map_err(|_| error())?;
        let kind = kind.parse::<ImageKind>().map_err(|_| error())?;
        let stem = file.strip_suffix(".jpg").ok_or_else(error)?;
        let (millis, id) = stem.split_once('-').ok_or_else(error)?;
        if millis.is_empty() || millis.len() > 15 || !millis.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        let epoch_millis = millis.parse::<i64>().map_err(|_| error())?;
        if id.len() != 36 {
            return Err(error());
        }
        let id = Uuid::parse_str(id).map_err(|_| error())?;
        Ok(ObjectKey { application_id, kind, epoch_millis, id })
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
            format!("monitoring/{APP}/camera/1-{ID}.jpg/extra"),
            format!("other/{APP}/camera/1-{ID}.jpg"),
            format!("monitoring/../camera/1-{ID}.jpg"),
            format!("monitoring/{APP}/camera/1-not-a-uuid.jpg"),
        ];
        for text in bad {
            assert!(text.parse::<ObjectKey>().is_err(), "{text} should be rejected");
        }
    }

    #[test]
    fn image_kinds_parse_only_their_lowercase_names() {
        assert_eq!("screen".parse::<ImageKind>(), Ok(ImageKind::Screen));
        assert!("Screen".parse::<ImageKind>().is_err());
    }
}
