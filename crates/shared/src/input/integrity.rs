//! Checking what a client sent about consent, sessions and events.

use std::collections::HashMap;

use crate::integrity::{
    EventKind, INTERVAL_RANGE, MAX_DETAIL_BYTES, MAX_EVENTS_PER_CALL, MAX_NOTE_CHARS,
    MAX_RESPONSE_CHARS,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::integrity::EventInput;

use super::monitoring::time;
use super::Invalid;

/// The longest user agent recorded with a session; longer ones are cut.
pub const MAX_USER_AGENT_CHARS: usize = 512;

/// An event, checked except for its times' range (the service knows the application).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Canonical JSON text of the `detail` object.
    pub detail: Option<String>,
}

fn shown(text: &str) -> String {
    let cut: String = text.chars().take(64).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

pub fn uuid(field: &str, text: &str) -> Result<Uuid, Invalid> {
    (text.len() == 36)
        .then(|| Uuid::parse_str(text).ok())
        .flatten()
        .ok_or_else(|| Invalid::Malformed(format!("{field} `{}` is not a valid UUID", shown(text))))
}

pub fn consent_version(text: &str) -> Result<&str, Invalid> {
    if text != crate::integrity::CONSENT_VERSION {
        return Err(Invalid::Malformed(format!(
            "consentVersion `{}` is not the current consent text ({}); reload the page and read it again",
            shown(text),
            crate::integrity::CONSENT_VERSION
        )));
    }
    Ok(text)
}

pub fn interval(field: &str, seconds: i64) -> Result<u32, Invalid> {
    u32::try_from(seconds)
        .ok()
        .filter(|s| INTERVAL_RANGE.contains(s))
        .ok_or_else(|| {
            Invalid::Malformed(format!(
                "{field} must be {} to {} seconds, not {seconds}",
                INTERVAL_RANGE.start(),
                INTERVAL_RANGE.end()
            ))
        })
}

/// A `User-Agent` header as recorded: cut at [`MAX_USER_AGENT_CHARS`].
pub fn user_agent(header: Option<&str>) -> String {
    header
        .unwrap_or("")
        .chars()
        .take(MAX_USER_AGENT_CHARS)
        .collect()
}

pub fn note(note: Option<String>) -> Result<String, Invalid> {
    let note = note.unwrap_or_default();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(Invalid::Malformed(format!(
            "note is longer than {MAX_NOTE_CHARS} characters"
        )));
    }
    Ok(note.trim().to_string())
}

/// A candidate's response to a flag: at most [`MAX_RESPONSE_CHARS`]
/// characters as sent, not blank, without control characters other than line
/// breaks and tabs; kept trimmed.
pub fn response(text: &str) -> Result<String, Invalid> {
    let chars = text.chars().count();
    if chars > MAX_RESPONSE_CHARS {
        return Err(Invalid::Malformed(format!(
            "response is {chars} characters; at most {MAX_RESPONSE_CHARS} are kept"
        )));
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(Invalid::Malformed("response is empty".into()));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Invalid::Malformed("response has control characters".into()));
    }
    Ok(text.to_string())
}

fn event(input: EventInput) -> Result<NewEvent, Invalid> {
    let event_id = uuid("eventId", &input.event_id)?;
    let kind: EventKind = input
        .kind
        .parse()
        .map_err(|e: crate::integrity::EventKindError| Invalid::Malformed(e.to_string()))?;
    if !kind.from_browser() {
        return Err(Invalid::Malformed(format!(
            "`{kind}` events are added by the server, not sent"
        )));
    }
    let at =
        time("at", Some(&input.at))?.ok_or_else(|| Invalid::Malformed("at is missing".into()))?;
    let ended_at = time("endedAt", input.ended_at.as_deref())?;
    if ended_at.is_some_and(|end| end < at) {
        return Err(Invalid::Malformed(format!(
            "event {event_id} ends before it starts"
        )));
    }
    let detail = match input.detail {
        None | Some(serde_json::Value::Null) => None,
        Some(value @ serde_json::Value::Object(_)) => {
            let text = serde_json::to_string(&value)
                .map_err(|_| Invalid::Malformed("detail is not valid JSON".into()))?;
            if text.len() > MAX_DETAIL_BYTES {
                return Err(Invalid::Malformed(format!(
                    "an event's detail is larger than {MAX_DETAIL_BYTES} bytes"
                )));
            }
            Some(text)
        }
        Some(_) => return Err(Invalid::Malformed("detail must be a JSON object".into())),
    };
    Ok(NewEvent {
        event_id,
        kind,
        at,
        ended_at,
        detail,
    })
}

/// The events of one call: at most [`MAX_EVENTS_PER_CALL`], each valid; an id
/// sent twice in one call must be the same event both times (then it counts once).
pub fn events(inputs: Vec<EventInput>) -> Result<Vec<NewEvent>, Invalid> {
    if inputs.len() > MAX_EVENTS_PER_CALL {
        return Err(Invalid::Malformed(format!(
            "at most {MAX_EVENTS_PER_CALL} events per call, got {}",
            inputs.len()
        )));
    }
    let mut seen: HashMap<Uuid, NewEvent> = HashMap::new();
    let mut events = Vec::with_capacity(inputs.len());
    for input in inputs {
        let event = event(input)?;
        match seen.get(&event.event_id) {
            Some(first) if *first == event => continue,
            Some(_) => {
                return Err(Invalid::Conflict(format!(
                    "eventId {} is used twice in this call for different events",
                    event.event_id
                )))
            }
            None => {
                seen.insert(event.event_id, event.clone());
                events.push(event);
            }
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: &str, at: &str) -> EventInput {
        EventInput {
            event_id: Uuid::new_v4().to_string(),
            kind: kind.into(),
            at: at.into(),
            ended_at: None,
            detail: None,
        }
    }

    #[test]
    fn responses_are_trimmed_and_bounded() {
        assert_eq!(
            response("  my password manager opened\n").unwrap(),
            "my password manager opened"
        );
        assert!(response("   ").is_err());
        assert!(
            response(&"é".repeat(MAX_RESPONSE_CHARS)).is_ok(),
            "characters, not bytes"
        );
        let long = response(&"x".repeat(5000)).unwrap_err().to_string();
        assert!(
            long.contains("5000 characters") && long.len() < 200,
            "{long}"
        );
        assert!(response("a\u{0}b").is_err());
        assert!(response("line one\nline two\ttab").is_ok());
    }

    #[test]
    fn events_are_checked_one_by_one() {
        let ok = input("paste", "2026-11-25T10:00:00.000Z");
        assert_eq!(
            events(vec![ok.clone(), ok.clone()]).unwrap().len(),
            1,
            "the same event twice counts once"
        );
        assert!(matches!(
            events(vec![input("no_face", "2026-11-25T10:00:00Z")]),
            Err(Invalid::Malformed(_))
        ));
        assert!(matches!(
            events(vec![input("tab_switch", "2026-11-25T10:00:00Z")]),
            Err(Invalid::Malformed(_))
        ));
        assert!(matches!(
            events(vec![input("paste", "yesterday")]),
            Err(Invalid::Malformed(_))
        ));
        let mut backwards = input("tab_hidden", "2026-11-25T10:00:00Z");
        backwards.ended_at = Some("2026-11-25T09:59:59Z".into());
        assert!(matches!(
            events(vec![backwards]),
            Err(Invalid::Malformed(_))
        ));
        let mut array = input("paste", "2026-11-25T10:00:00Z");
        array.detail = Some(serde_json::json!([1, 2]));
        assert!(matches!(events(vec![array]), Err(Invalid::Malformed(_))));
        let mut huge = input("paste", "2026-11-25T10:00:00Z");
        huge.detail = Some(serde_json::json!({"x": "y".repeat(MAX_DETAIL_BYTES)}));
        assert!(matches!(events(vec![huge]), Err(Invalid::Malformed(_))));
        let mut changed = ok.clone();
        changed.kind = "copy".into();
        assert!(matches!(
            events(vec![ok.clone(), changed]),
            Err(Invalid::Conflict(_))
        ));
        let many = (0..=MAX_EVENTS_PER_CALL)
            .map(|_| input("copy", "2026-11-25T10:00:00Z"))
            .collect();
        assert!(matches!(events(many), Err(Invalid::Malformed(_))));
        let long_id = input(&"k".repeat(5000), "2026-11-25T10:00:00Z");
        assert!(events(vec![long_id]).unwrap_err().to_string().len() < 200);
    }

    #[test]
    fn intervals_have_a_range() {
        assert_eq!(interval("cameraInterval", 1).unwrap(), 1);
        assert_eq!(interval("cameraInterval", 3600).unwrap(), 3600);
        for bad in [0, 3601, -1, i64::from(u32::MAX), i64::MAX] {
            assert!(interval("cameraInterval", bad).is_err(), "{bad}");
        }
    }
}
