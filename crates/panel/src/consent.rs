//! The interview as the candidate sees it: what is captured and who sees it,
//! their consent (recorded on the server with the text's version), then the
//! panel.

use leptos::prelude::*;
use shared::{
    integrity::{ConsentReceipt, ConsentTerms},
    ApplicationSummary,
};

use crate::{
    events::{PanelControl, PanelEvent},
    panel::MonitoringPanel,
    store::{use_monitoring_images, MonitoringImages},
    texts::Texts,
    transport,
};

/// Seconds between snapshots when neither the application nor the host says.
pub const DEFAULT_INTERVAL: u32 = 30;

/// `chosen` if it is an interval the server accepts, else [`DEFAULT_INTERVAL`].
pub fn interval_or_default(chosen: Option<u32>) -> u32 {
    chosen
        .filter(|v| shared::application::INTERVALS.contains(v))
        .unwrap_or(DEFAULT_INTERVAL)
}

/// An application's interview: its title, what is captured and the consent to
/// it, then the [`MonitoringPanel`]. `intervals`: seconds between camera and
/// screen snapshots.
#[component]
pub fn Interview(
    /// The application (`POST /api/applications/get`).
    application: ApplicationSummary,
    /// What the consent text states (`POST /api/monitoring/consent/terms`).
    terms: ConsentTerms,
    /// The candidate themselves (their consent is recorded); recruiters and
    /// admins trying the panel only click through.
    candidate: bool,
    /// Seconds between camera and between screen snapshots.
    intervals: (u32, u32),
    /// The host's handle: `end()`, and the phase.
    #[prop(optional)]
    control: Option<PanelControl>,
    /// Told of everything that happens.
    #[prop(optional)]
    on_event: Option<Callback<PanelEvent>>,
) -> impl IntoView {
    let store = use_monitoring_images();
    if on_event.is_some() {
        store.status.set_on_event(on_event);
    }
    // Consent to this text (the server's current version) already recorded:
    // the interview resumes without asking again (a new text asks again).
    let already = candidate && terms.consented_at.is_some();
    let consented = RwSignal::new(already);
    // In the browser only: what an earlier visit left waiting uploads at once,
    // whatever this page's consent state (it was taken under the consent
    // recorded then).
    let application_id = application.id;
    Effect::new(move |_| {
        if candidate {
            store.restore(application_id);
        }
        if already {
            store.emit(PanelEvent::Consented);
        }
    });
    let capture = application.capture;
    let (camera_interval, screen_interval) = intervals;
    // The ID check asks once: not when an ID photo is stored already, nor of
    // a recruiter trying the panel.
    let id_photo_days = terms
        .id_photo_days
        .filter(|_| candidate && capture.id_check && application.id_images == 0);
    let control = control.unwrap_or_default();
    // Ended by the host before the candidate consented: nothing to capture,
    // nothing to close; the consent step gives way to the ending.
    let ended_early = RwSignal::new(false);
    Effect::new(move |_| {
        if control.end_requested().get()
            && !consented.get_untracked()
            && !ended_early.get_untracked()
        {
            ended_early.set(true);
            control.set_phase(crate::events::Phase::Ended);
            store.emit(PanelEvent::Ended {
                waiting: store.waiting(),
                closed: false,
            });
        }
    });
    let ended_text = store.status.texts().interview_ended.to_string();
    view! {
        <section class="card interview">
            <h1>{application.title.clone()}</h1>
            <p class="muted">{application.organization_name.clone()}</p>
            <Show when=move || consented.get() && !ended_early.get() fallback={
                let (application, terms, ended_text) = (application.clone(), terms.clone(), ended_text.clone());
                move || if ended_early.get() {
                    view! { <p class="notice interview-ended" role="status">{ended_text.clone()}</p> }.into_any()
                } else {
                    view! {
                        <Consent application=application.clone() terms=terms.clone() candidate intervals consented/>
                    }.into_any()
                }
            }>
                <MonitoringPanel application_id=application.id camera_monitoring=capture.camera
                    screen_monitoring=capture.screen camera_interval screen_interval control id_photo_days/>
            </Show>
        </section>
    }
}

/// What is captured, who sees it, for how long (from the server's settings),
/// and what the browser records: the candidate agrees (recorded with this
/// text's version, `POST /api/monitoring/consent`) before anything is captured.
/// Sets `consented` once they have.
#[component]
pub fn Consent(
    /// The application.
    application: ApplicationSummary,
    /// What the text states.
    terms: ConsentTerms,
    /// The candidate themselves (else nothing is recorded).
    candidate: bool,
    /// Seconds between camera and between screen snapshots.
    intervals: (u32, u32),
    /// Set when the candidate has agreed.
    consented: RwSignal<bool>,
) -> impl IntoView {
    let store: MonitoringImages = use_monitoring_images();
    let texts: Texts = store.status.texts();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let application_id = application.id;
    let version = terms.consent_version.clone();
    let failed = texts.consent_failed.to_string();
    let texts_language = texts.language;
    let fill = |template: &str, values: &[(&str, &str)]| texts.fill(template, values);
    let agree = move |_| {
        // Recruiters and admins trying the panel have nothing to consent to.
        if !candidate {
            consented.set(true);
            return;
        }
        let (version, failed) = (version.clone(), failed.clone());
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body = serde_json::json!({
                "applicationId": application_id,
                "consentVersion": version,
                "language": texts_language,
            });
            let answer: Result<ConsentReceipt, _> =
                transport::post_json(&store.connection(), "/api/monitoring/consent", &body).await;
            match answer {
                Ok(_) => {
                    store.emit(PanelEvent::Consented);
                    consented.try_set(true);
                }
                Err(e) => {
                    error.try_set(Some(failed.replace("{error}", &e.message)));
                    store.emit(PanelEvent::Error(e));
                }
            }
            busy.try_set(false);
        });
    };
    let organization = application.organization_name.as_str();
    let kept = match terms.retention_days {
        Some(days) => fill(
            &texts.consent_kept_for,
            &[
                ("period", &(texts.duration)(u64::from(days) * 86_400)),
                ("organization", organization),
            ],
        ),
        None => fill(&texts.consent_kept_until, &[("organization", organization)]),
    };
    let who = fill(
        &texts.consent_who,
        &[
            ("organization", organization),
            (
                "link_lifetime",
                &(texts.duration)(terms.signed_url_ttl_secs),
            ),
        ],
    );
    let capture = application.capture;
    let (camera_interval, screen_interval) = intervals;
    let camera = capture.camera.then(|| {
        fill(
            &texts.consent_camera,
            &[("seconds", &camera_interval.to_string())],
        )
    });
    let screen = capture.screen.then(|| {
        fill(
            &texts.consent_screen,
            &[("seconds", &screen_interval.to_string())],
        )
    });
    let id_photo = terms.id_photo_days.map(|days| {
        fill(
            &texts.consent_id,
            &[("period", &(texts.duration)(u64::from(days) * 86_400))],
        )
    });
    let previously = terms.consented_at.map(|at| {
        fill(
            &texts.consent_previously,
            &[("moment", &(texts.moment)(at))],
        )
    });
    view! {
        <div class="consent" data-consent-version=terms.consent_version.clone()>
            <h2>{texts.consent_title.to_string()}</h2>
            <p>{texts.consent_intro.to_string()}</p>
            <ul>
                {camera.map(|text| view! { <li>{text}</li> })}
                {screen.map(|text| view! { <li>{text}</li> })}
                {id_photo.map(|text| view! { <li class="consent-id">{text}</li> })}
                <li>{texts.consent_buttons.to_string()}</li>
                <li>{texts.consent_events.to_string()}</li>
            </ul>
            <p>{who}</p>
            <p class="retention">{kept}</p>
            <p>{texts.consent_signal.to_string()}</p>
            <p>{texts.consent_nothing_after.to_string()}</p>
            {previously.map(|text| view! { <p class="muted">{text}</p> })}
            <button class="consent-accept" on:click=agree disabled=move || busy.get()>{texts.consent_accept.to_string()}</button>
            {move || error.get().map(|message| view! { <p class="notice error" role="alert">{message}</p> })}
        </div>
    }
}
