//! The candidate's application page in their language. The English text is
//! the key: a translation maps it to the language's (served per language by
//! the server, `POST /api/applications/texts`, so the wasm carries none) and
//! is provided as context by the page; [`t`] falls back to the English where
//! there is none. Reviewers' pages are in English.

use std::{collections::BTreeMap, sync::Arc};

use leptos::prelude::*;
use panel::fill;
#[cfg(any(feature = "ssr", test))]
use shared::language::Language;

/// A page's words in one language: English text → the language's.
#[derive(Debug, Clone, Default)]
pub struct Words {
    texts: Arc<BTreeMap<String, String>>,
}

impl Words {
    pub fn new(texts: BTreeMap<String, String>) -> Self {
        Words {
            texts: Arc::new(texts),
        }
    }

    /// `english` in this language (itself when there is no translation).
    pub fn get(&self, english: &str) -> String {
        self.texts
            .get(english)
            .cloned()
            .unwrap_or_else(|| english.to_string())
    }

    /// A text made elsewhere with its values in it (an integrity reason, "6
    /// tab switches (more than 5)"): translated by the first key whose
    /// `{name}`s it matches, the values carried over; itself when none does.
    pub fn made(&self, text: &str) -> String {
        if let Some(exact) = self.texts.get(text) {
            return exact.clone();
        }
        self.texts
            .iter()
            .filter(|(english, _)| english.contains('{'))
            .find_map(|(english, translated)| {
                let values = captures(english, text)?;
                let values: Vec<(&str, &str)> = values
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.as_str()))
                    .collect();
                Some(fill(translated, &values))
            })
            .unwrap_or_else(|| text.to_string())
    }

    /// As [`Words::get`], with each `{name}` of the text replaced by its value.
    pub fn fill(&self, english: &str, values: &[(&str, &str)]) -> String {
        fill(&self.get(english), values)
    }
}

/// The values of `template`'s `{name}`s in `text`, when `text` is `template`
/// with some non-empty value in each (each value ends at the literal after it).
fn captures(template: &str, text: &str) -> Option<Vec<(String, String)>> {
    let mut parts = template.split('{');
    let mut rest = text.strip_prefix(parts.next()?)?;
    let pieces: Vec<(&str, &str)> = parts.map(|p| p.split_once('}')).collect::<Option<_>>()?;
    let mut values = Vec::new();
    for (index, (name, literal)) in pieces.iter().enumerate() {
        let last = index + 1 == pieces.len();
        let end = match (last, literal.is_empty()) {
            (true, _) => rest
                .len()
                .checked_sub(literal.len())
                .filter(|_| rest.ends_with(literal))?,
            (false, true) => return None,
            (false, false) => rest.find(literal)?,
        };
        let value = &rest[..end];
        if value.is_empty() {
            return None;
        }
        values.push((name.to_string(), value.to_string()));
        rest = &rest[end + literal.len()..];
    }
    rest.is_empty().then_some(values)
}

/// The page's words (English when the page provides none).
pub fn words() -> Words {
    use_context::<Words>().unwrap_or_default()
}

/// `english` in the page's language.
pub fn t(english: &str) -> String {
    words().get(english)
}

/// The translation of the candidate's pages into `language` (English → it),
/// for the server to hand out; `None` for English.
#[cfg(feature = "ssr")]
pub fn translation(language: Language) -> Option<&'static str> {
    match language {
        Language::En => None,
        Language::De => Some(include_str!("../../texts/de.json")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_translation_is_the_english_and_values_are_filled() {
        let words = Words::new(BTreeMap::from([(
            "Events".to_string(),
            "Ereignisse".to_string(),
        )]));
        assert_eq!(words.get("Events"), "Ereignisse");
        assert_eq!(words.get("Replay"), "Replay");
        assert_eq!(Words::default().fill("{n} flags", &[("n", "3")]), "3 flags");
    }

    #[test]
    fn the_integrity_reasons_are_translated_with_their_figures() {
        use shared::integrity::{thresholds, IntegritySummary};
        let json = translation(Language::De).expect("German");
        let words = Words::new(serde_json::from_str(json).expect("valid JSON"));
        let every_reason = IntegritySummary {
            monitored_seconds: 1000,
            away_seconds: 900,
            tab_switches: 60,
            screen_unshared_seconds: 900,
            multiple_faces_runs: 40,
            no_face_seconds: 900,
            gap_seconds: 900,
            ..Default::default()
        };
        let (_, reasons) = thresholds::level(&every_reason);
        assert_eq!(reasons.len(), 6, "{reasons:?}");
        let some = IntegritySummary {
            flags: 2,
            ..Default::default()
        };
        for reason in reasons.iter().chain(&thresholds::level(&some).1) {
            let german = words.made(reason);
            assert_ne!(&german, reason, "no German for “{reason}”");
            // The figures stay.
            for figure in reason
                .split(|c: char| !c.is_ascii_digit())
                .filter(|f| !f.is_empty())
            {
                assert!(german.contains(figure), "{reason} → {german}");
            }
        }
        assert_eq!(words.made("something else"), "something else");
        assert_eq!(
            captures("{a} x {b}", "1 x 2"),
            Some(vec![("a".into(), "1".into()), ("b".into(), "2".into())])
        );
        assert_eq!(captures("{a} x", "x"), None);
    }

    /// Texts made elsewhere (event kinds, audit actions, levels) are looked up
    /// as they come: each has its German.
    #[test]
    fn every_event_kind_audit_action_and_level_has_its_german() {
        let json = translation(Language::De).expect("German");
        let map: BTreeMap<String, String> = serde_json::from_str(json).expect("valid JSON");
        let made = shared::integrity::EventKind::ALL
            .iter()
            .map(|kind| kind.label())
            .chain(shared::audit::AuditAction::ALL.iter().map(|a| a.describe()))
            .chain(["no flags", "some flags", "major flags"]);
        for english in made {
            assert!(map.contains_key(english), "no German for “{english}”");
        }
    }

    #[test]
    fn the_german_translation_is_valid_and_complete_for_its_keys() {
        let json = translation(Language::De).expect("German");
        let map: BTreeMap<String, String> = serde_json::from_str(json).expect("valid JSON");
        assert!(map.len() > 20, "{}", map.len());
        for (english, german) in &map {
            assert!(!german.trim().is_empty(), "{english}");
            // Every `{name}` of the English is in the German too.
            for part in english.split('{').skip(1) {
                let name = part.split('}').next().unwrap_or_default();
                assert!(
                    german.contains(&format!("{{{name}}}")),
                    "{english} → {german}"
                );
            }
        }
    }
}
