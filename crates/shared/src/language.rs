//! The languages the candidate's pages speak: chosen by the browser's
//! `Accept-Language` or the page's switch. Consent records which language's
//! text the candidate agreed to.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    De,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::De];

    /// The code on the wire and in `?lang=`: `en`, `de`.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
        }
    }

    /// The language's name in itself, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::De => "Deutsch",
        }
    }

    /// The best of ours for an `Accept-Language` header (its q-values
    /// honoured, `de-AT` counting as `de`); English when none fits.
    pub fn from_accept_language(header: &str) -> Language {
        let mut best: Option<(f32, usize, Language)> = None;
        for (position, part) in header.split(',').take(32).enumerate() {
            let mut pieces = part.trim().split(';');
            let tag = pieces
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if quality.is_nan() || quality <= 0.0 {
                continue;
            }
            let primary = tag.split('-').next().unwrap_or_default();
            let Some(language) = Language::ALL.into_iter().find(|l| l.code() == primary) else {
                continue;
            };
            // Higher quality wins; at equal quality, the earlier one.
            let better = best.is_none_or(|(q, p, _)| quality > q || (quality == q && position < p));
            if better {
                best = Some((quality, position, language));
            }
        }
        best.map(|(_, _, language)| language).unwrap_or_default()
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Language {
    type Err = String;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Language::ALL
            .into_iter()
            .find(|l| l.code() == code)
            .ok_or_else(|| {
                let shown: String = code.chars().take(32).collect();
                format!("language must be \"en\" or \"de\", not `{shown}`")
            })
    }
}

/// The candidate's pages' words in one language: each English text with its
/// translation (none for English).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translation {
    pub language: Language,
    pub texts: std::collections::BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browsers_choice_in_order_of_quality() {
        assert_eq!(
            Language::from_accept_language("de-DE,de;q=0.9,en;q=0.8"),
            Language::De
        );
        assert_eq!(
            Language::from_accept_language("en-US,en;q=0.9,de;q=0.8"),
            Language::En
        );
        assert_eq!(
            Language::from_accept_language("fr-FR,fr;q=0.9,de;q=0.5"),
            Language::De
        );
        assert_eq!(
            Language::from_accept_language("en;q=0.2, de-AT"),
            Language::De
        );
        assert_eq!(Language::from_accept_language("fr, es"), Language::En);
        assert_eq!(Language::from_accept_language(""), Language::En);
        assert_eq!(
            Language::from_accept_language("de;q=0, en;q=0.1"),
            Language::En
        );
        assert_eq!(
            Language::from_accept_language("de;q=nonsense"),
            Language::De
        );
        assert_eq!(
            Language::from_accept_language(&"x,".repeat(5000)),
            Language::En
        );
    }

    #[test]
    fn codes_round_trip_and_others_are_refused() {
        for language in Language::ALL {
            assert_eq!(language.code().parse::<Language>(), Ok(language));
            assert_eq!(
                serde_json::to_value(language).unwrap(),
                serde_json::Value::String(language.code().into())
            );
        }
        assert!("fr".parse::<Language>().is_err());
        assert!("EN".parse::<Language>().is_err());
        assert!("x".repeat(5000).parse::<Language>().unwrap_err().len() < 80);
    }
}
