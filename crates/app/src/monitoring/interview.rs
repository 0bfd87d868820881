//! The candidate's interview page on interview-monitor itself: the
//! application and its consent terms, then the panel crate's `Interview`
//! (consent, then the panel), talking to this origin with the sign-in cookie.

use leptos::prelude::*;
use leptos_router::{
    components::Redirect,
    hooks::{use_params_map, use_query_map},
};
use panel::{Interview, Texts, DEFAULT_INTERVAL};
use shared::{language::Language, Role};

use crate::{
    applications::get_application,
    auth::me,
    error::AppError,
    integrity::{get_consent_terms, get_panel_texts},
};

#[component]
pub fn InterviewPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    // The application's own intervals (set when it was provisioned) win; else
    // the page's query (`?cameraInterval=10`), else the default.
    let interval = move |chosen: Option<u32>, name: &str| {
        chosen
            .or_else(|| {
                query
                    .read_untracked()
                    .get(name)
                    .and_then(|v| v.parse::<u32>().ok())
            })
            .filter(|v| shared::application::INTERVALS.contains(v))
            .unwrap_or(DEFAULT_INTERVAL)
    };
    // `?lang=de` (the switch), else the browser's Accept-Language (the
    // server decides, so the page hydrates in the language it was rendered in).
    let asked = move || query.read().get("lang");
    let application = Resource::new(
        move || (id(), asked()),
        // Each call boxed: on the server they run inline, and one future
        // holding them all was too large for a worker thread's stack in a
        // debug build.
        |(id, asked)| async move {
            let user = Box::pin(me()).await?;
            let application = Box::pin(get_application(id.clone())).await?;
            let terms = Box::pin(get_consent_terms(id, asked)).await?;
            let translation = match terms.language {
                Language::En => Default::default(),
                other => Box::pin(get_panel_texts(other.code().to_string())).await?,
            };
            Ok::<_, AppError>((user.role, application, terms, translation))
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || application.get().map(|result| match result {
                Ok((role, application, terms, translation)) => {
                    let capture = application.capture;
                    let intervals = (
                        interval(capture.camera_interval, "cameraInterval"),
                        interval(capture.screen_interval, "screenInterval"),
                    );
                    let language = terms.language;
                    // The panel made below reads its texts from here.
                    provide_context(Texts::translated(language, &translation));
                    view! {
                        <div lang=language.code()>
                            <LanguageSwitch current=language/>
                            <Interview application terms candidate=role == Role::Candidate intervals/>
                        </div>
                    }.into_any()
                }
                Err(AppError::Unauthenticated(_)) => {
                    let next = format!("/login?next=/applications/{}/interview", id());
                    view! { <Redirect path=next/> }.into_any()
                }
                Err(error) => view! { <crate::ui::refusal::Refusal error/> }.into_any(),
            })}
        </Suspense>
    }
}

/// Links to the page in each language (the query's other values kept).
#[component]
fn LanguageSwitch(current: Language) -> impl IntoView {
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
