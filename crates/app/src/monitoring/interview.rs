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
                            <crate::ui::language::LanguageSwitch current=language/>
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
