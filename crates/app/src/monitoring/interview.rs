//! The candidate's interview page: what is captured and who sees it, consent, then the panel.

use leptos::prelude::*;
use leptos_router::{
    components::Redirect,
    hooks::{use_params_map, use_query_map},
};
use shared::{ApplicationId, ApplicationSummary};

use super::panel::MonitoringPanel;
use crate::{applications::get_application, error::AppError};

const DEFAULT_INTERVAL: u32 = 30;

#[component]
pub fn InterviewPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let interval = move |name: &str| {
        query.read_untracked().get(name).and_then(|v| v.parse::<u32>().ok()).filter(|v| (1..=3600).contains(v)).unwrap_or(DEFAULT_INTERVAL)
    };
    let (camera_interval, screen_interval) = (interval("cameraInterval"), interval("screenInterval"));
    let application = Resource::new(id, |id| get_application(id));
    let consented = RwSignal::new(false);

    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || application.get().map(|result| match result {
                Ok(application) => view! {
                    <section class="card interview">
                        <h1>{application.title.clone()}</h1>
                        <p class="muted">{application.organization_name.clone()}</p>
                        <Show when=move || consented.get() fallback={
                            let application = application.clone();
                            move || view! { <Consent application=application.clone() camera_interval screen_interval consented/> }
                        }>
                            <MonitoringPanel application_id=application.id camera_interval screen_interval/>
                        </Show>
                    </section>
                }.into_any(),
                Err(AppError::Unauthenticated(_)) => {
                    let next = format!("/login?next=/applications/{}/interview", id());
                    view! { <Redirect path=next/> }.into_any()
                }
                Err(error) => view! { <crate::shell::Refusal error/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Consent(application: ApplicationSummary, camera_interval: u32, screen_interval: u32, consented: RwSignal<bool>) -> impl IntoView {
    let _: ApplicationId = application.id;
    view! {
        <div class="consent">
            <h2>"Before you start"</h2>
            <p>"This interview is monitored. While this page is open:"</p>
            <ul>
                <li>"a photo from your camera is taken every " <strong>{camera_interval} " seconds"</strong>";"</li>
                <li>"a screenshot of the screen you share is taken every " <strong>{screen_interval} " seconds"</strong>" while you share it;"</li>
                <li>"you can also take a snapshot yourself with the buttons."</li>
            </ul>
            <p>"Who can see them: you, the recruiters of " <strong>{application.organization_name.clone()}</strong>
               ", and the platform's administrators. Links to the images expire after an hour."</p>
            <p>"How long they are kept: until " {application.organization_name.clone()}
               " deletes them. They are stored encrypted. You cannot delete them yourself."</p>
            <p>"Nothing is captured when you close or leave this page."</p>
            <button class="consent-accept" on:click=move |_| consented.set(true)>"I agree, start monitoring"</button>
        </div>
    }
}
