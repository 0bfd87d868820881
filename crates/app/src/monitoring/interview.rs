//! The candidate's interview page: what is captured and who sees it, consent, then the panel.

use leptos::prelude::*;
use leptos_router::{
    components::Redirect,
    hooks::{use_params_map, use_query_map},
};
use shared::{integrity::ConsentTerms, ApplicationSummary, Role};

use super::panel::MonitoringPanel;
use crate::{
    applications::get_application,
    auth::me,
    error::AppError,
    integrity::{get_consent_terms, record_consent},
};

const DEFAULT_INTERVAL: u32 = 30;

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
                Err(error) => view! { <crate::shell::Refusal error/> }.into_any(),
            })}
        </Suspense>
    }
}

/// An application's interview: what is captured and the consent to it, then
/// the panel. `intervals`: seconds between camera and screen snapshots.
#[component]
pub fn Interview(
    application: ApplicationSummary,
    terms: ConsentTerms,
    /// The candidate themselves (their consent is recorded); recruiters and
    /// admins trying the panel only click through.
    candidate: bool,
    intervals: (u32, u32),
) -> impl IntoView {
    let consented = RwSignal::new(false);
    let capture = application.capture;
    let (camera_interval, screen_interval) = intervals;
    view! {
        <section class="card interview">
            <h1>{application.title.clone()}</h1>
            <p class="muted">{application.organization_name.clone()}</p>
            <Show when=move || consented.get() fallback={
                let (application, terms) = (application.clone(), terms.clone());
                move || view! {
                    <Consent application=application.clone() terms=terms.clone() candidate camera_interval screen_interval consented/>
                }
            }>
                <MonitoringPanel application_id=application.id camera_monitoring=capture.camera screen_monitoring=capture.screen camera_interval screen_interval/>
            </Show>
        </section>
    }
}

/// The interval an embedded interview uses: the application's own, else the default.
pub fn interval_or_default(chosen: Option<u32>) -> u32 {
    chosen
        .filter(|v| shared::application::INTERVALS.contains(v))
        .unwrap_or(DEFAULT_INTERVAL)
}

/// "1 hour", "90 days": a duration as the consent text states it.
fn in_words(seconds: u64) -> String {
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    match seconds {
        s if s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s % 3600 == 0 => plural(s / 3600, "hour"),
        s if s % 60 == 0 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    }
}

/// What is captured, who sees it, for how long (from the server's settings), and
/// what the browser records: the candidate agrees (recorded, with this text's
/// version) before anything is captured.
#[component]
fn Consent(
    application: ApplicationSummary,
    terms: ConsentTerms,
    candidate: bool,
    camera_interval: u32,
    screen_interval: u32,
    consented: RwSignal<bool>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let application_id = application.id;
    let version = terms.consent_version.clone();
    let agree = move |_| {
        // Recruiters and admins trying the panel have nothing to consent to.
        if !candidate {
            consented.set(true);
            return;
        }
        let version = version.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match record_consent(application_id.to_string(), version).await {
                Ok(_) => {
                    consented.try_set(true);
                }
                Err(e) => {
                    error.try_set(Some(format!("Your consent could not be recorded: {e}")));
                }
            }
            busy.try_set(false);
        });
    };
    let kept = match terms.retention_days {
        Some(days) => format!("They are deleted automatically {} after they are taken, or earlier if {} deletes them.", in_words(u64::from(days) * 86_400), application.organization_name),
        None => format!("They are kept until {} deletes them.", application.organization_name),
    };
    let capture = application.capture;
    let previously = terms
        .consented_at
        .map(|at| format!("You agreed to this on {}.", crate::review::time::local(at)));
    view! {
        <div class="consent" data-consent-version=terms.consent_version.clone()>
            <h2>"Before you start"</h2>
            <p>"This interview is monitored. While this page is open:"</p>
            <ul>
                {capture.camera.then(|| view! { <li>"a photo from your camera is taken every " <strong>{camera_interval} " seconds"</strong>";"</li> })}
                {capture.screen.then(|| view! { <li>"a screenshot of the screen you share is taken every " <strong>{screen_interval} " seconds"</strong>" while you share it;"</li> })}
                <li>"you can also take a snapshot yourself with the buttons;"</li>
                <li>"the page records when you switch to another tab or window, leave full screen, stop sharing or share a window instead of the screen, lose the camera or the network, reload, and paste or copy (how many characters, never what). Coming back to this page and pasting also take a camera and a screen snapshot."</li>
            </ul>
            <p>"Who can see them: you, the recruiters of " <strong>{application.organization_name.clone()}</strong>
               ", and the platform's administrators. Links to the images expire after " {in_words(terms.signed_url_ttl_secs)} "."</p>
            <p class="retention">"How long they are kept: " {kept} " They are stored encrypted. You cannot delete them yourself."</p>
            <p>"What is recorded is a signal for the reviewer to look at, not a verdict: a person reviews it."</p>
            <p>"Nothing is captured when you close or leave this page."</p>
            {previously.map(|text| view! { <p class="muted">{text}</p> })}
            <button class="consent-accept" on:click=agree disabled=move || busy.get()>"I agree, start monitoring"</button>
            {move || error.get().map(|message| view! { <p class="notice error" role="alert">{message}</p> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_words() {
        assert_eq!(super::in_words(3600), "1 hour");
        assert_eq!(super::in_words(90 * 86_400), "90 days");
        assert_eq!(super::in_words(90), "90 seconds");
        assert_eq!(super::in_words(120), "2 minutes");
    }
}
