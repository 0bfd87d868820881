//! The switch between the languages of the candidate's pages: a link to the
//! same page with `?lang=` (a full load: the server renders the language).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::language::Language;

/// Links to the page in each language (the query's other values kept).
#[component]
pub fn LanguageSwitch(current: Language) -> impl IntoView {
    let query = use_query_map();
    let href = move |language: Language| {
        let mut pairs: Vec<(String, String)> = query
            .get_untracked()
            .into_iter()
            .filter(|(name, _)| name != "lang")
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        pairs.push(("lang".into(), language.code().into()));
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(name, value)| format!("{}={}", urlencode(name), urlencode(value)))
            .collect();
        format!("?{}", encoded.join("&"))
    };
    view! {
        <nav class="language-switch" aria-label="Language / Sprache">
            {Language::ALL.into_iter().map(|language| view! {
                <a href=href(language) rel="external" hreflang=language.code() lang=language.code()
                    aria-current=(language == current).then_some("true")
                    class:current=language == current>{language.name()}</a>
            }).collect_view()}
        </nav>
    }
}

/// Percent-encodes a query name or value (letters, digits and `-._~` kept).
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
