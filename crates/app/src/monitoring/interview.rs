//! The candidate's interview page on interview-monitor itself: the
//! application and its consent terms, then the panel crate's `Interview`
//! (consent, then the panel), talking to this origin with the sign-in cookie.

use leptos::prelude::*;
use leptos_router::{
    components::Redirect,
    hooks::{use_params_map, use_query_map},
};
use panel::{Interview, DEFAULT_INTERVAL};
use shared::Role;

use crate::{
    applications::get_application, auth::me, error::AppError, integrity::get_consent_terms,
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
    let application = Resource::new(id, |id| async move {
        let user = me().await?;
        let application = get_application(id.clone()).await?;
        let terms = get_consent_terms(id).await?;
        Ok::<_, AppError>((user.role, application, terms))
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || application.get().map(|result| match result {
                Ok((role, application, terms)) => {
                    let capture = application.capture;
                    let intervals = (
                        interval(capture.camera_interval, "cameraInterval"),
                        interval(capture.screen_interval, "screenInterval"),
                    );
                    view! { <Interview application terms candidate=role == Role::Candidate intervals/> }.into_any()
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
