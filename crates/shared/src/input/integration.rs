//! The provisioning API's inputs: applications, titles, emails, intervals and
//! idempotency keys.

use crate::CaptureSettings;

use super::Invalid;

/// The longest job title and candidate name.
pub const MAX_TEXT_CHARS: usize = 200;

/// An application to create, as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApplication {
    pub candidate_email: String,
    pub title: String,
    pub capture: CaptureSettings,
    /// The request's `Idempotency-Key`: the same key (in the same organization)
    /// with the same fields gets the application it made the first time.
    pub idempotency_key: Option<String>,
}

/// The longest `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

/// An `Idempotency-Key` header's value: 1 to [`MAX_IDEMPOTENCY_KEY`] visible
/// ASCII characters (no spaces), or 400.
pub fn idempotency_key(value: &[u8]) -> Result<String, Invalid> {
    let ok = (1..=MAX_IDEMPOTENCY_KEY).contains(&value.len())
        && value.iter().all(|b| (b'!'..=b'~').contains(b));
    match std::str::from_utf8(value) {
        Ok(key) if ok => Ok(key.to_string()),
        _ => Err(Invalid::Malformed(format!(
            "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters without spaces"
        ))),
    }
}

/// A title or a name: trimmed, 1 to [`MAX_TEXT_CHARS`] characters.
pub fn text(what: &str, value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_TEXT_CHARS {
        return Err(Invalid::Malformed(format!(
            "{what} must be 1 to {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(value.to_string())
}

/// An email address as accounts store it (trimmed, lowercased), or 400.
pub fn email(value: &str) -> Result<String, Invalid> {
    crate::user::valid_email(value).ok_or_else(|| {
        Invalid::Malformed(format!(
            "`{}` is not an email address",
            value.chars().take(64).collect::<String>()
        ))
    })
}

/// Seconds between snapshots, when given: within [`crate::application::INTERVALS`].
pub fn interval(what: &str, value: Option<u32>) -> Result<Option<u32>, Invalid> {
    match value {
        Some(seconds) if !crate::application::INTERVALS.contains(&seconds) => {
            Err(Invalid::Malformed(format!(
                "{what} must be {} to {} seconds",
                crate::application::INTERVALS.start(),
                crate::application::INTERVALS.end()
            )))
        }
        other => Ok(other),
    }
}

/// An id the API handed out (an endpoint's): a UUID.
pub fn uuid(what: &str, value: &str) -> Result<uuid::Uuid, Invalid> {
    let shown: String = value.chars().take(64).collect();
    value
        .trim()
        .parse()
        .map_err(|_| Invalid::Malformed(format!("`{shown}` is not a {what}: expected a UUID")))
}

/// The events an endpoint takes: each named once; none named means all.
pub fn webhook_events(
    names: Option<Vec<String>>,
) -> Result<Vec<crate::webhooks::WebhookEvent>, Invalid> {
    let names = names.unwrap_or_default();
    if names.len() > 32 {
        return Err(Invalid::Malformed("name each event once".into()));
    }
    let mut events = Vec::new();
    for name in names {
        let event: crate::webhooks::WebhookEvent =
            name.trim().parse().map_err(Invalid::Malformed)?;
        if !events.contains(&event) {
            events.push(event);
        }
    }
    if events.is_empty() {
        events = crate::webhooks::WebhookEvent::ALL.to_vec();
    }
    Ok(events)
}

/// A message id as we make them: `msg_` and 32 hex digits.
pub fn message_id(value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    let ours = value
        .strip_prefix("msg_")
        .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()));
    if ours {
        Ok(value.to_string())
    } else {
        Err(Invalid::Malformed(
            "`messageId` is a message's webhook-id: msg_ and 32 hex digits".into(),
        ))
    }
}

/// How long an invitation is valid: 1 to `max` days.
pub fn valid_days(value: Option<u32>, max: u32) -> Result<Option<u32>, Invalid> {
    match value {
        Some(days) if days == 0 || days > max => Err(Invalid::Malformed(format!(
            "`validDays` is from 1 to {max}"
        ))),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_email_is_a_400_that_quotes_at_most_64_characters() {
        assert_eq!(email("  Ada@Example.COM ").unwrap(), "ada@example.com");
        match email(&format!("{}@example", "a".repeat(5000))) {
            Err(Invalid::Malformed(message)) => assert!(message.len() < 120, "{message}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn idempotency_keys_are_visible_ascii_of_bounded_length() {
        assert_eq!(
            idempotency_key(b"ats-42:apply/7").unwrap(),
            "ats-42:apply/7"
        );
        assert!(idempotency_key(&[b'k'; MAX_IDEMPOTENCY_KEY]).is_ok());
        for bad in [
            &b""[..],
            &[b'k'; MAX_IDEMPOTENCY_KEY + 1][..],
            b"two words",
            b"tab\there",
            "caf\u{e9}".as_bytes(),
            b"\x00",
        ] {
            assert!(idempotency_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn texts_and_intervals_have_bounds() {
        assert_eq!(text("title", "  Rust Engineer ").unwrap(), "Rust Engineer");
        assert!(text("title", "   ").is_err());
        assert!(text("title", &"é".repeat(200)).is_ok());
        assert!(text("title", &"é".repeat(201)).is_err());
        assert_eq!(interval("cameraInterval", None).unwrap(), None);
        assert_eq!(interval("cameraInterval", Some(1)).unwrap(), Some(1));
        assert_eq!(interval("cameraInterval", Some(3600)).unwrap(), Some(3600));
        assert!(interval("cameraInterval", Some(0)).is_err());
        assert!(interval("cameraInterval", Some(u32::MAX)).is_err());
    }
}
