//! The review page's integrity part: the summary with its level, and the events
//! of the interview with the snapshots taken around them and the reviewer's
//! verdicts.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;
use shared::{
    integrity::{EventKind, EventList, IntegrityLevel, IntegritySummary, MonitoringEvent, Verdict},
    ApplicationId, ObjectKey,
};
use uuid::Uuid;

use super::{respond_to_flag, review_flag};
use crate::{
    error::AppError,
    ui::{
        time,
        words::{t, words},
    },
};

/// A symbol per kind, so the timeline reads at a glance.
pub fn icon(kind: EventKind) -> &'static str {
    match kind {
        EventKind::TabHidden => "⇥",
        EventKind::WindowBlur => "◱",
        EventKind::FullscreenExit => "⤡",
        EventKind::ScreenShareEnded => "■",
        EventKind::ScreenShareNotMonitor => "▭",
        EventKind::MultipleDisplays => "⧉",
        EventKind::CameraLost => "⊘",
        EventKind::Paste => "⎀",
        EventKind::Copy => "⎘",
        EventKind::Offline => "⚡",
        EventKind::PageReload => "↻",
        EventKind::NoFace => "○",
        EventKind::MultipleFaces => "⚇",
        EventKind::CaptureGap => "…",
    }
}

/// What the event's detail says, in words (never page content: there is none).
pub fn describe(event: &MonitoringEvent) -> String {
    let detail = event.detail.as_ref();
    let number = |field: &str| detail.and_then(|d| d.get(field)).and_then(|v| v.as_u64());
    let text = |field: &str| {
        detail
            .and_then(|d| d.get(field))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let mut parts = Vec::new();
    if event.ended_at.is_some() {
        parts.push(format!(
            "for {}",
            time::span(event.at, event.ended_at.unwrap_or(event.at))
        ));
    } else if event.kind.lasts() {
        parts.push("did not say when it ended".to_string());
    }
    match event.kind {
        EventKind::Paste | EventKind::Copy => {
            if let Some(length) = number("length") {
                parts.push(format!("{length} characters"));
            }
        }
        EventKind::ScreenShareNotMonitor => {
            if let Some(surface) = text("displaySurface") {
                parts.push(format!("shared a {surface}"));
            }
        }
        EventKind::CaptureGap => {
            if let (Some(kind), Some(every)) = (text("imageType"), number("expectedEverySeconds")) {
                parts.push(format!("{kind}, expected every {every} s"));
            }
        }
        EventKind::NoFace | EventKind::MultipleFaces => {
            if let Some(snapshots) = number("snapshots") {
                parts.push(format!("{snapshots} snapshots"));
            }
        }
        _ => {}
    }
    parts.join(" · ")
}

#[component]
pub fn LevelBadge(level: IntegrityLevel) -> impl IntoView {
    let words = match level {
        IntegrityLevel::None => "no flags",
        IntegrityLevel::Some => "some flags",
        IntegrityLevel::Major => "major flags",
    };
    view! { <span class=format!("level level-{}", level.as_str()) data-level=level.as_str()>{t(words)}</span> }
}

fn minutes(seconds: i64) -> String {
    let from = DateTime::<Utc>::UNIX_EPOCH;
    time::span(from, from + Duration::seconds(seconds))
}

#[component]
fn Summary(summary: IntegritySummary) -> impl IntoView {
    let away_share = if summary.monitored_seconds > 0 {
        summary.away_seconds * 100 / summary.monitored_seconds
    } else {
        0
    };
    let faces = summary.no_face_runs + summary.multiple_faces_runs > 0;
    view! {
        <section class="integrity-summary" data-level=summary.level.as_str() data-unreviewed=summary.unreviewed_flags>
            <h2>{t("Integrity ")} <LevelBadge level=summary.level/></h2>
            <p class="muted disclaimer">{t("A signal for a person, not a verdict: each flag is something the browser or the server saw, and may have an ordinary explanation.")}</p>
            {(!summary.reasons.is_empty()).then(|| view! {
                <ul class="reasons">{summary.reasons.iter().map(|r| view! { <li>{words().made(r)}</li> }).collect_view()}</ul>
            })}
            <dl class="figures">
                <dt>{t("Monitored")}</dt><dd class="monitored">{minutes(summary.monitored_seconds)}</dd>
                <dt>{t("Away")}</dt><dd class="away">{format!("{} ({away_share}%)", minutes(summary.away_seconds))}</dd>
                <dt>{t("Tab switches")}</dt><dd class="tab-switches">{summary.tab_switches}</dd>
                <dt>{t("Left the window")}</dt><dd class="window-blurs">{summary.window_blurs}</dd>
                <dt>{t("Pastes · copies")}</dt><dd class="pastes">{format!("{} · {}", summary.pastes, summary.copies)}</dd>
                <dt>{t("Screen sharing stopped")}</dt>
                <dd class="share-interruptions">{format!("{} ({} not shared)", summary.screen_share_interruptions, minutes(summary.screen_unshared_seconds))}</dd>
                <dt>{t("Shared a window, not the screen")}</dt><dd class="non-monitor">{summary.non_monitor_shares}</dd>
                <dt>{t("More than one display")}</dt><dd>{summary.multiple_displays}</dd>
                <dt>{t("Left full screen")}</dt><dd>{summary.fullscreen_exits}</dd>
                <dt>{t("Camera lost")}</dt><dd class="camera-losses">{summary.camera_losses}</dd>
                <dt>{t("Offline · reloads")}</dt><dd>{format!("{} · {}", minutes(summary.offline_seconds), summary.reloads)}</dd>
                <dt>{t("Gaps in captures")}</dt><dd class="gaps">{format!("{} ({})", summary.gaps, minutes(summary.gap_seconds))}</dd>
                {faces.then(|| view! {
                    <dt>{t("No face · more than one")}</dt>
                    <dd class="faces">{format!("{} · {}", summary.no_face_runs, summary.multiple_faces_runs)}</dd>
                })}
                <dt>{t("Flags")}</dt>
                <dd class="flags">{words().fill("{flags} ({unreviewed} not reviewed, {concerns} concerns)", &[("flags", &summary.flags.to_string()), ("unreviewed", &summary.unreviewed_flags.to_string()), ("concerns", &summary.concerns.to_string())])}</dd>
            </dl>
        </section>
    }
}

/// The reviewer's verdict on one flag: shown, and (for reviewers) set.
#[component]
pub fn Verdicts(
    application_id: ApplicationId,
    event: MonitoringEvent,
    can_review: bool,
    reviewed: Callback<()>,
) -> impl IntoView {
    let note = RwSignal::new(
        event
            .review
            .as_ref()
            .map(|r| r.note.clone())
            .unwrap_or_default(),
    );
    let error = RwSignal::new(None::<String>);
    let event_id = event.event_id;
    let mark = move |verdict: Verdict| {
        leptos::task::spawn_local(async move {
            match review_flag(
                application_id.to_string(),
                event_id.to_string(),
                verdict.as_str().into(),
                Some(note.get_untracked()),
            )
            .await
            {
                Ok(_) => {
                    error.try_set(None);
                    reviewed.run(());
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    };
    let current = event.review.clone();
    // Reviewers read the candidate's words beside the flag (the candidate
    // writes theirs in `ResponseForm`).
    let response = event.response.clone().filter(|_| can_review);
    view! {
        <div class="verdict">
            {response.map(|response| view! {
                <p class="flag-response" data-locked=response.locked.to_string()>
                    <strong>"Candidate's response"</strong>
                    <span class="muted">{format!(" · {}", time::local(response.at))}</span>
                    <span class="response-text">{response.text}</span>
                </p>
            })}
            {current.map(|review| view! {
                <p class=format!("reviewed verdict-{}", review.verdict.as_str()) data-verdict=review.verdict.as_str()
                    data-before-candidate-saw=review.before_candidate_saw.to_string()>
                    <strong>{if review.verdict == Verdict::Ok { "OK" } else { "Concern" }}</strong>
                    {format!(" · {} · {}", review.by, time::local(review.at))}
                    {review.before_candidate_saw.then(|| view! { <span class="before-seen">" · given before the candidate saw this flag"</span> })}
                    {(!review.note.is_empty()).then(|| view! { <span class="note">{format!(" · “{}”", review.note)}</span> })}
                </p>
            })}
            <Show when=move || can_review>
                <div class="verdict-controls">
                    <input type="text" class="verdict-note" placeholder="Note (optional)" maxlength="2000"
                        prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))/>
                    <button class="secondary mark-ok" on:click=move |_| mark(Verdict::Ok)>"OK"</button>
                    <button class="secondary mark-concern" on:click=move |_| mark(Verdict::Concern)>"Concern"</button>
                </div>
            </Show>
            {move || error.get().map(|message| view! { <p class="notice error">{message}</p> })}
        </div>
    }
}

/// The candidate's own response to a flag about them: written, changed until
/// a reviewer's verdict follows it, closed after the organization's window.
#[component]
pub fn ResponseForm(
    application_id: ApplicationId,
    event: MonitoringEvent,
    /// When responses close (`None`: they do not).
    closes_at: Option<DateTime<Utc>>,
    responded: Callback<()>,
) -> impl IntoView {
    let saved = event.response.clone();
    let text = RwSignal::new(saved.as_ref().map(|r| r.text.clone()).unwrap_or_default());
    let status = RwSignal::new(None::<(bool, String)>);
    let busy = RwSignal::new(false);
    let event_id = event.event_id;
    let field_id = format!("response-{event_id}");
    let locked = saved.as_ref().is_some_and(|r| r.locked);
    let closed = closes_at.is_some_and(|at| at <= Utc::now());
    let words = words();
    let sent_text = words.get("Your response was sent.");
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let sent_text = sent_text.clone();
        leptos::task::spawn_local(async move {
            let outcome = respond_to_flag(
                application_id.to_string(),
                event_id.to_string(),
                text.get_untracked(),
            )
            .await;
            busy.try_set(false);
            match outcome {
                Ok(_) => {
                    status.try_set(Some((true, sent_text)));
                    responded.run(());
                }
                Err(e) => {
                    status.try_set(Some((false, e.to_string())));
                }
            }
        });
    };
    let length = move || text.with(|t| t.chars().count());
    view! {
        <div class="respond" data-event-id=event_id.to_string()>
            {match (saved.clone(), locked || closed) {
                (Some(response), true) => view! {
                    <p class="flag-response" data-locked="true">
                        <strong>{words.get("Your response")}</strong>
                        <span class="muted">{format!(" · {}", time::local(response.at))}</span>
                        <span class="response-text">{response.text}</span>
                    </p>
                    <p class="muted">{if locked {
                        words.get("A reviewer has looked at this flag since; your response can no longer change.")
                    } else {
                        words.get("Responses to this interview's flags are closed.")
                    }}</p>
                }.into_any(),
                (None, true) => view! {
                    <p class="muted">{words.get("Responses to this interview's flags are closed.")}</p>
                }.into_any(),
                (_, false) => view! {
                    <form class="respond-form" on:submit=send>
                        <label for=field_id.clone()>{words.get(if saved.is_some() { "Your response (you may change it until a reviewer looks at it)" } else { "Your response: explain this flag in your own words (optional)" })}</label>
                        <textarea id=field_id.clone() class="response-input" maxlength=shared::integrity::MAX_RESPONSE_CHARS rows="3"
                            prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                        <span class="muted count">{move || format!("{} / {}", length(), shared::integrity::MAX_RESPONSE_CHARS)}</span>
                        <button type="submit" class="secondary send-response"
                            disabled=move || busy.get() || text.with(|t| t.trim().is_empty())>
                            {words.get(if saved.is_some() { "Update response" } else { "Send response" })}
                        </button>
                        {closes_at.map(|at| view! { <span class="muted closes">{words.fill(" · open until {moment}", &[("moment", &time::local(at))])}</span> })}
                    </form>
                }.into_any(),
            }}
            <p class="response-status" role="status" aria-live="polite">
                {move || status.get().map(|(ok, message)| view! {
                    <span class=if ok { "notice" } else { "notice error" }>{message}</span>
                })}
            </p>
        </div>
    }
}

/// The summary and the events, oldest first.
#[component]
pub fn IntegrityPanel(
    application_id: ApplicationId,
    events: Signal<Option<Result<EventList, AppError>>>,
    /// Stored images by capture id: the snapshots an event links to.
    captures: Signal<HashMap<Uuid, ObjectKey>>,
    can_review: bool,
    /// The candidate's own page: they may respond to each flag.
    can_respond: bool,
    /// Show the images around an event (`from`, `to`), opening `key` if given.
    jump: Callback<(DateTime<Utc>, DateTime<Utc>, Option<ObjectKey>)>,
    reviewed: Callback<()>,
) -> impl IntoView {
    let flags_only = RwSignal::new(false);
    move || match events.get() {
        None => view! { <p class="muted">{t("Loading events…")}</p> }.into_any(),
        Some(Err(error)) => {
            view! { <p class="notice error" role="alert">{error.to_string()}</p> }.into_any()
        }
        Some(Ok(list)) => {
            let EventList {
                events,
                summary,
                responses_close_at,
            } = list;
            let total = events.len();
            view! {
                <Summary summary/>
                <section class="events">
                    <h2>{t("Events ")} <span class="muted count">{format!("· {total}")}</span></h2>
                    <label class="flags-only"><input type="checkbox" prop:checked=flags_only on:change=move |_| flags_only.update(|v| *v = !*v)/> {t(" Flags only")}</label>
                    {(total == 0).then(|| view! { <p class="muted">{t("Nothing was recorded: no events.")}</p> })}
                    <ol class="event-list">
                        {events.into_iter().map(|event| {
                            let kind = event.kind;
                            let (from, to) = (event.at, event.ended_at.unwrap_or(event.at));
                            let linked: Vec<ObjectKey> = {
                                let ids = event.capture_ids();
                                captures.with(|c| ids.iter().filter_map(|id| c.get(id).cloned()).collect())
                            };
                            let window = (from - Duration::seconds(60), to + Duration::seconds(60));
                            let first = linked.first().cloned();
                            let (event_id, seconds, linked_count) = (event.event_id.to_string(), event.seconds(), linked.len());
                            let description = describe(&event);
                            let at = event.at;
                            view! {
                                <li class=format!("event kind-{}{}", kind.as_str(), if kind.is_flag() { " flag" } else { "" })
                                    data-event-id=event_id data-kind=kind.as_str()
                                    data-seconds=seconds data-linked=linked_count
                                    style:display=move || if flags_only.get() && !kind.is_flag() { "none" } else { "" }>
                                    <button class="link jump" title=t("Show the images around it") on:click=move |_| jump.run((window.0, window.1, first.clone()))>
                                        <span class="icon" aria-hidden="true">{icon(kind)}</span>
                                        <span class="label">{t(kind.label())}</span>
                                    </button>
                                    <span class="time">{time::local(at)}</span>
                                    <span class="describe muted">{description}</span>
                                    {(!linked.is_empty()).then(|| view! {
                                        <span class="linked">
                                            {linked.into_iter().map(|key| {
                                                let label = format!("{} snapshot", key.kind);
                                                view! {
                                                    <button class="link snapshot" data-key=key.to_string()
                                                        on:click=move |_| jump.run((window.0, window.1, Some(key.clone())))>{label}</button>
                                                }
                                            }).collect_view()}
                                        </span>
                                    })}
                                    {(kind.is_flag() && can_respond).then(|| view! {
                                        <ResponseForm application_id event=event.clone() closes_at=responses_close_at responded=reviewed/>
                                    })}
                                    {kind.is_flag().then(|| view! { <Verdicts application_id event can_review reviewed/> })}
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                </section>
            }
            .into_any()
        }
    }
}
