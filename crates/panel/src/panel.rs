//! `MonitoringPanel`: the candidate's camera preview, screen sharing, automatic and
//! manual snapshots, and what happened to the uploads.

use leptos::{html, prelude::*};
use shared::ApplicationId;

use crate::{
    events::{PanelControl, PanelEvent, Phase},
    store::{use_monitoring_images, MonitoringImages},
};

/// How long [`PanelControl::end`] waits for the queue to empty before it
/// closes the session anyway (what is left stays in the browser).
pub const END_FLUSH_MS: u32 = 30_000;

/// Where the screen share stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenShare {
    /// Not shared yet.
    NotShared,
    /// The browser's picker is open.
    Starting,
    /// Shared: snapshots are taken.
    Shared,
    /// The user (or the browser) ended it.
    Ended,
}

/// What the panel shows of its camera and screen, shared by the view and the
/// browser-only code that drives them.
#[derive(Clone, Copy)]
struct Feeds {
    camera_video: NodeRef<html::Video>,
    screen_video: NodeRef<html::Video>,
    camera_error: RwSignal<Option<String>>,
    camera_live: RwSignal<bool>,
    screen: RwSignal<ScreenShare>,
    capture_error: RwSignal<Option<String>>,
    /// Ended by the host: nothing is captured any more.
    ended: RwSignal<bool>,
    /// The ID photo is still to take: nothing else is captured before it.
    id_pending: RwSignal<bool>,
}

impl Feeds {
    fn new() -> Self {
        Feeds {
            camera_video: NodeRef::new(),
            screen_video: NodeRef::new(),
            camera_error: RwSignal::new(None),
            camera_live: RwSignal::new(false),
            screen: RwSignal::new(ScreenShare::NotShared),
            capture_error: RwSignal::new(None),
            ended: RwSignal::new(false),
            id_pending: RwSignal::new(false),
        }
    }
}

/// The monitoring panel: camera preview and snapshots, screen sharing and
/// snapshots, the page's events, and the upload state. Captures go to the
/// application `application_id` through the [`crate::Connection`] in context
/// (the page's own origin if there is none).
///
/// The candidate must have consented first ([`crate::Consent`] records it;
/// [`crate::Interview`] shows both in order): the server refuses captures
/// before that (`consent_required`). Capture starts when the panel mounts in
/// the browser (never while rendered on a server) and stops when it unmounts
/// or `control.end()` is called.
#[component]
pub fn MonitoringPanel(
    /// The job application the snapshots belong to.
    application_id: ApplicationId,
    /// Take camera snapshots.
    #[prop(default = true)]
    camera_monitoring: bool,
    /// Take screen snapshots.
    #[prop(default = true)]
    screen_monitoring: bool,
    /// Seconds between camera snapshots.
    #[prop(default = 30)]
    camera_interval: u32,
    /// Seconds between screen snapshots.
    #[prop(default = 30)]
    screen_interval: u32,
    /// Ask for an ID photo first (the application's ID check): the days it
    /// is kept after the interview. Timed snapshots start once it is taken.
    #[prop(default = None)]
    id_photo_days: Option<u32>,
    /// The host's handle: `end()`, and the phase.
    #[prop(optional)]
    control: Option<PanelControl>,
    /// Told of everything that happens ([`PanelEvent`]).
    #[prop(optional)]
    on_event: Option<Callback<PanelEvent>>,
) -> impl IntoView {
    let store = use_monitoring_images();
    if on_event.is_some() {
        store.status.set_on_event(on_event);
    }
    let control = control.unwrap_or_default();
    let feeds = Feeds::new();
    let Feeds {
        camera_video,
        screen_video,
        camera_error,
        camera_live,
        screen,
        capture_error,
        ended,
        id_pending,
    } = feeds;
    let signals = crate::signals::Signals::new(store, application_id);
    let media = live::Media::new(store, application_id, feeds, signals);
    // The ID photo still to take: until it is, only the camera preview runs.
    id_pending.set(id_photo_days.is_some() && camera_monitoring);
    let start_timers = move || {
        if camera_monitoring {
            media.every(camera_interval, shared::ImageKind::Camera);
        }
        if screen_monitoring {
            media.every(screen_interval, shared::ImageKind::Screen);
        }
    };

    // In the browser only (effects never run while rendering on a server).
    Effect::new(move |_| {
        untrack(|| {
            control.set_phase(Phase::Running);
            // What an earlier visit left waiting goes first (queued once: the
            // interview page may have queued it before its consent step).
            store.restore(application_id);
            live::start_session(
                store,
                signals,
                application_id,
                (camera_interval, screen_interval),
            );
            if camera_monitoring {
                media.start_camera();
            }
            if !id_pending.get_untracked() {
                start_timers();
            }
            let online = window_event_listener(leptos::ev::online, move |_| {
                signals.end(shared::integrity::EventKind::Offline, None);
                store.wake();
            });
            let offline = window_event_listener(leptos::ev::offline, move |_| {
                signals.start(shared::integrity::EventKind::Offline, None)
            });
            // Captures still waiting are safe in IndexedDB, but the candidate should know.
            let leaving = window_event_listener(leptos::ev::beforeunload, move |event| {
                if store.waiting() > 0 {
                    event.prevent_default();
                    event.set_return_value(&store.status.text(|t| &t.leaving, &[]));
                }
            });
            let watching = live::watch_page(signals, media);
            on_cleanup(move || {
                online.remove();
                offline.remove();
                leaving.remove();
                watching.stop();
                media.stop();
                crate::signals::clear_heartbeat(application_id);
            });
        })
    });
    // The host ends the interview.
    Effect::new(move |_| {
        if control.end_requested().get() && !ended.get_untracked() {
            ended.set(true);
            control.set_phase(Phase::Ending);
            live::end(store, signals, media, control);
        }
    });

    let retry_camera = move |_| media.start_camera();
    let share_screen = move |_| media.start_screen();
    let capture_camera = move |_| {
        media.capture(shared::ImageKind::Camera);
    };
    let capture_screen = move |_| {
        media.capture(shared::ImageKind::Screen);
    };
    let take_id_photo = move |_| {
        if id_pending.get_untracked() && media.capture(shared::ImageKind::Id) {
            id_pending.set(false);
            start_timers();
        }
    };
    let full_screen = move |_| live::enter_full_screen();

    let tx = store.status.texts();
    let camera_every = tx.fill(
        &tx.camera_every,
        &[("seconds", &camera_interval.to_string())],
    );
    let screen_every = tx.fill(
        &tx.screen_every,
        &[("seconds", &screen_interval.to_string())],
    );
    let (camera_label, screen_label) = (tx.camera.to_string(), tx.screen.to_string());
    let (camera_retry, camera_snapshot, screen_snapshot) = (
        tx.camera_retry.to_string(),
        tx.camera_snapshot.to_string(),
        tx.screen_snapshot.to_string(),
    );
    let (screen_choosing, screen_stopped, screen_prompt) = (
        tx.screen_choosing.to_string(),
        tx.screen_stopped.to_string(),
        tx.screen_prompt.to_string(),
    );
    let (screen_share, screen_share_again) = (
        tx.screen_share.to_string(),
        tx.screen_share_again.to_string(),
    );
    let (interview_ended, full_screen_label, full_screen_note) = (
        tx.interview_ended.to_string(),
        tx.full_screen.to_string(),
        tx.full_screen_note.to_string(),
    );
    let id_period = (tx.duration)(u64::from(id_photo_days.unwrap_or(0)) * 86_400);
    let (id_title, id_intro, id_note, id_take) = (
        tx.id_title.to_string(),
        tx.id_intro.to_string(),
        tx.fill(&tx.id_note, &[("period", &id_period)]),
        tx.id_take.to_string(),
    );
    let stats = store.stats();
    view! {
        <section class="monitoring-panel" data-camera-live=move || camera_live.get().to_string()
            data-screen=move || format!("{:?}", screen.get()).to_lowercase()
            data-phase=move || format!("{:?}", control.phase().get()).to_lowercase()
            data-last-encode-ms=move || stats.with(|s| s.last_encode_ms.map(|ms| format!("{ms:.1}")).unwrap_or_default())
            data-id-pending=move || id_pending.get().to_string()
            data-id-uploaded=move || stats.with(|s| s.uploaded_id)>
            <Show when=move || ended.get()>
                <p class="notice interview-ended" role="status">{interview_ended.clone()}</p>
            </Show>
            <Show when=move || id_pending.get() && !ended.get()>
                <div class="notice id-check" role="group" aria-labelledby="id-check-title">
                    <h2 id="id-check-title">{id_title.clone()}</h2>
                    <p>{id_intro.clone()}</p>
                    <p class="muted">{id_note.clone()}</p>
                    <button class="take-id-photo" on:click=take_id_photo disabled=move || !camera_live.get()>{id_take.clone()}</button>
                </div>
            </Show>
            <div class="feeds" hidden=move || ended.get()>
                <Show when=move || camera_monitoring>
                    <figure class="feed camera">
                        <video node_ref=camera_video class="camera-preview" autoplay=true muted=true playsinline=true></video>
                        <figcaption>{camera_label.clone()}
                            <span class="every">{camera_every.clone()}</span>
                        </figcaption>
                        {
                            let camera_retry = camera_retry.clone();
                            move || camera_error.get().map(|message| view! {
                                <div class="notice error camera-error" role="alert">
                                    <p>{message}</p>
                                    <button on:click=retry_camera>{camera_retry.clone()}</button>
                                </div>
                            })
                        }
                        <button class="secondary" on:click=capture_camera disabled=move || !camera_live.get() || id_pending.get()>{camera_snapshot.clone()}</button>
                    </figure>
                </Show>
                <Show when=move || screen_monitoring>
                    <figure class="feed screen">
                        <video node_ref=screen_video class="screen-preview" autoplay=true muted=true playsinline=true></video>
                        <figcaption>{screen_label.clone()}
                            <span class="every">{screen_every.clone()}</span>
                        </figcaption>
                        {
                            let (screen_choosing, screen_stopped, screen_prompt) = (screen_choosing.clone(), screen_stopped.clone(), screen_prompt.clone());
                            let (screen_share, screen_share_again) = (screen_share.clone(), screen_share_again.clone());
                            move || match screen.get() {
                                ScreenShare::Shared => None,
                                ScreenShare::Starting => Some(view! { <div class="notice"><p>{screen_choosing.clone()}</p></div> }.into_any()),
                                state => {
                                    let again = state == ScreenShare::Ended;
                                    Some(view! {
                                        <div class="notice screen-prompt" role="status">
                                            <p>{if again { screen_stopped.clone() } else { screen_prompt.clone() }}</p>
                                            <button on:click=share_screen>{if again { screen_share_again.clone() } else { screen_share.clone() }}</button>
                                        </div>
                                    }.into_any())
                                }
                            }
                        }
                        <button class="secondary" on:click=capture_screen disabled=move || screen.get() != ScreenShare::Shared || id_pending.get()>{screen_snapshot.clone()}</button>
                    </figure>
                </Show>
            </div>
            <p class="full-screen-offer" hidden=move || ended.get()>
                <button class="secondary enter-full-screen" on:click=full_screen>{full_screen_label}</button>
                <span class="muted">{full_screen_note}</span>
            </p>
            <UploadStatus store capture_error/>
            // What a screen reader says as the state changes: the camera, the
            // screen and whether captures wait (errors are alerts of their own).
            <p class="panel-announcer im-visually-hidden" role="status" aria-live="polite" aria-atomic="true">
                {move || {
                    let t = store.status.texts();
                    let camera = if camera_live.get() { &t.announce_camera_on } else { &t.announce_camera_off };
                    let shared = screen.get() == ScreenShare::Shared;
                    let screen_text = if shared { &t.announce_screen_shared } else { &t.announce_screen_not_shared };
                    let uploads = if stats.with(|s| s.queued) > 0 { &t.announce_waiting } else { &t.announce_uploaded };
                    let mut parts = vec![];
                    if camera_monitoring { parts.push(camera.to_string()); }
                    if screen_monitoring { parts.push(screen_text.to_string()); }
                    parts.push(uploads.to_string());
                    parts.join(" ")
                }}
            </p>
        </section>
    }
    .into_any()
}

#[component]
fn UploadStatus(store: MonitoringImages, capture_error: RwSignal<Option<String>>) -> impl IntoView {
    let stats = store.stats();
    let uploading = store.is_uploading();
    let error = store.upload_error();
    let status = store.status;
    let texts = status.texts();
    let counts = move |uploaded: usize, taken: usize| {
        texts.fill(
            &texts.status_counts,
            &[
                ("uploaded", &uploaded.to_string()),
                ("taken", &taken.to_string()),
            ],
        )
    };
    let t = status.texts();
    let embedded = store.connection().has_session() || store.connection().can_renew();
    view! {
        <dl class="upload-status">
            <dt>{t.status_now.to_string()}</dt>
            <dd class="uploading">{
                let (busy, idle) = (t.status_uploading.to_string(), t.status_idle.to_string());
                move || if uploading.get() { busy.clone() } else { idle.clone() }
            }</dd>
            <dt>{t.status_last.to_string()}</dt>
            <dd class="last-success">{
                let none = t.status_none_yet.to_string();
                move || stats.with(|s| s.last_success.clone()).map(|t| t.replace('T', " ").replace('Z', " UTC")).unwrap_or_else(|| none.clone())
            }</dd>
            <dt>{t.camera.to_string()}</dt>
            <dd class="camera-count" data-captured=move || stats.with(|s| s.captured_camera) data-uploaded=move || stats.with(|s| s.uploaded_camera)>
                {let counts = counts.clone(); move || stats.with(|s| counts(s.uploaded_camera, s.captured_camera))}
            </dd>
            <dt>{t.screen.to_string()}</dt>
            <dd class="screen-count" data-captured=move || stats.with(|s| s.captured_screen) data-uploaded=move || stats.with(|s| s.uploaded_screen)>
                {move || stats.with(|s| counts(s.uploaded_screen, s.captured_screen))}
            </dd>
            <dt>{t.status_events.to_string()}</dt>
            <dd class="events-sent" data-sent=move || stats.with(|s| s.events_sent) data-queued=move || stats.with(|s| s.events_queued)>
                {move || stats.with(|s| status.text(|t| &t.status_events_counts, &[("sent", &s.events_sent.to_string()), ("waiting", &s.events_queued.to_string())]))}
            </dd>
            <dt>{t.status_waiting.to_string()}</dt>
            <dd class="queued" data-queued=move || stats.with(|s| s.queued)>
                {move || stats.with(|s| status.text(|t| &t.status_waiting_counts, &[
                    ("queued", &s.queued.to_string()),
                    ("bound", &s.queue_bound.to_string()),
                    ("megabytes", &(crate::queue::QUEUE_BYTES / (1024 * 1024)).to_string()),
                    ("dropped", &s.dropped.to_string()),
                ]))}
            </dd>
        </dl>
        {move || stats.with(|s| (s.restored > 0).then_some((s.restored, s.restored_uploaded))).map(|(restored, uploaded)| {
            let values = [("restored", restored.to_string()), ("uploaded", uploaded.to_string())];
            let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
            view! {
                <p class="notice restored" data-restored=restored data-restored-uploaded=uploaded role="status">
                    {if uploaded >= restored {
                        status.text(|t| &t.restored_done, &values)
                    } else {
                        status.text(|t| &t.restored_progress, &values)
                    }}
                </p>
            }
        })}
        {move || stats.with(|s| s.signed_out).then(|| if embedded {
            view! { <p class="notice error signed-out" role="alert">{status.text(|t| &t.ended_with_link, &[])}</p> }.into_any()
        } else {
            view! {
                <p class="notice error signed-out" role="alert">
                    {status.text(|t| &t.ended_signed_in, &[])} " "
                    // Not this page again in the new tab: that would start a second panel.
                    <a href=status.text(|t| &t.sign_in_url, &[]) target="_blank">{status.text(|t| &t.sign_in_again, &[])}</a>
                </p>
            }.into_any()
        })}
        {move || error.get().map(|message| view! { <p class="notice error upload-error" role="alert">{message}</p> })}
        {move || capture_error.get().map(|message| view! { <p class="notice error capture-error">{message}</p> })}
    }
    .into_any()
}

mod live {
    //! The streams and timers, browser only. Everything lives in the component's
    //! owner: unmounting stops every track and timer.

    use gloo_timers::callback::{Interval, Timeout};
    use leptos::{prelude::*, task::spawn_local};
    use shared::{
        capture::CaptureMeta,
        integrity::{EventKind, SessionEnded, SessionStarted},
        ApplicationId, ImageKind,
    };
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::MediaStream;

    use super::{Feeds, ScreenShare};
    use crate::{
        error::{ErrorKind, PanelError},
        events::{PanelControl, PanelEvent, Phase},
        media,
        signals::{self, linked, Signals},
        store::MonitoringImages,
        transport,
    };

    /// Snapshots taken for one event serve another within this time (coming back
    /// to a tab both shows it and focuses the window).
    const SNAPSHOTS_SHARED_MS: f64 = 2_000.0;

    #[derive(Clone, Copy)]
    pub struct Media {
        store: MonitoringImages,
        application: ApplicationId,
        feeds: Feeds,
        signals: Signals,
        /// The last snapshots taken around an event: when, and their capture ids.
        last_snapshots: StoredValue<(f64, Vec<String>), LocalStorage>,
        camera_stream: StoredValue<Option<MediaStream>, LocalStorage>,
        screen_stream: StoredValue<Option<MediaStream>, LocalStorage>,
        timers: StoredValue<Vec<Interval>, LocalStorage>,
        /// The current share's `ended` handler.
        screen_ended: StoredValue<Option<Closure<dyn FnMut()>>, LocalStorage>,
        /// The current camera track's `ended`, `mute` and `unmute` handlers.
        camera_watch: StoredValue<Vec<Closure<dyn FnMut()>>, LocalStorage>,
    }

    fn camera_message(store: MonitoringImages, error: &wasm_bindgen::JsValue) -> String {
        let status = store.status;
        match media::error_name(error).as_str() {
            "NotAllowedError" | "SecurityError" => status.text(|t| &t.camera_refused, &[]),
            "NotFoundError" | "OverconstrainedError" => status.text(|t| &t.camera_missing, &[]),
            "NotReadableError" | "AbortError" => status.text(|t| &t.camera_busy, &[]),
            _ => status.text(|t| &t.camera_failed, &[("error", &media::describe(error))]),
        }
    }

    impl Media {
        pub fn new(
            store: MonitoringImages,
            application: ApplicationId,
            feeds: Feeds,
            signals: Signals,
        ) -> Self {
            Media {
                store,
                application,
                feeds,
                signals,
                last_snapshots: crate::local::browser_local((f64::NEG_INFINITY, Vec::new())),
                camera_stream: crate::local::browser_local(None),
                screen_stream: crate::local::browser_local(None),
                timers: crate::local::browser_local(Vec::new()),
                screen_ended: crate::local::browser_local(None),
                camera_watch: crate::local::browser_local(Vec::new()),
            }
        }

        pub fn start_camera(self) {
            self.feeds.camera_error.set(None);
            // The server's clock, learnt alongside (a stalled answer must not hold the camera).
            let connection = self.store.connection();
            spawn_local(async move { transport::sync_server_clock(&connection).await });
            spawn_local(async move {
                // Ended before the task ran (end() right after mount): no prompt, no light.
                if self.feeds.ended.try_get_untracked() != Some(false) {
                    return;
                }
                match media::camera_stream().await {
                    // The interview ended while the browser asked: not used.
                    Ok(stream) if self.feeds.ended.try_get_untracked() != Some(false) => {
                        media::stop_stream(&stream);
                    }
                    Ok(stream) => {
                        // The permission prompt may be answered after the page was left.
                        let Some(old) = self
                            .camera_stream
                            .try_update_value(|s| s.replace(stream.clone()))
                        else {
                            media::stop_stream(&stream);
                            return;
                        };
                        if let Some(old) = old {
                            media::stop_stream(&old);
                        }
                        if let Some(video) = self.feeds.camera_video.get_untracked() {
                            video.set_src_object(Some(&stream));
                        }
                        self.watch_camera(&stream);
                        self.feeds.camera_live.try_set(true);
                        self.signals.end(EventKind::CameraLost, None);
                    }
                    Err(error) => {
                        self.feeds.camera_live.try_set(false);
                        let message = camera_message(self.store, &error);
                        self.feeds.camera_error.try_set(Some(message.clone()));
                        self.store.emit(PanelEvent::Error(PanelError::new(
                            ErrorKind::Setup,
                            message,
                        )));
                    }
                }
            });
        }

        pub fn start_screen(self) {
            self.feeds.screen.set(ScreenShare::Starting);
            spawn_local(async move {
                match media::screen_stream().await {
                    Ok(stream) if self.feeds.ended.try_get_untracked() != Some(false) => {
                        media::stop_stream(&stream);
                    }
                    Ok(stream) => {
                        let Some(old) = self
                            .screen_stream
                            .try_update_value(|s| s.replace(stream.clone()))
                        else {
                            media::stop_stream(&stream);
                            return;
                        };
                        if let Some(old) = old {
                            media::stop_stream(&old);
                        }
                        if let Some(video) = self.feeds.screen_video.get_untracked() {
                            video.set_src_object(Some(&stream));
                        }
                        // The share ends when the user stops it from the browser's bar. The
                        // handler lives as long as this share: replaced by the next, dropped
                        // with the panel.
                        let on_ended = Closure::<dyn FnMut()>::new(move || {
                            self.feeds.screen.try_set(ScreenShare::Ended);
                            self.signals.start(EventKind::ScreenShareEnded, None);
                        });
                        for track in stream.get_video_tracks().iter() {
                            if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                                track.set_onended(Some(on_ended.as_ref().unchecked_ref()));
                            }
                        }
                        self.screen_ended.try_set_value(Some(on_ended));
                        self.feeds.screen.try_set(ScreenShare::Shared);
                        if let Some(surface) =
                            signals::display_surface(&stream).filter(|s| s != "monitor")
                        {
                            self.signals.instant(
                                EventKind::ScreenShareNotMonitor,
                                Some(serde_json::json!({"displaySurface": surface})),
                            );
                        }
                        // Sharing again: once the new share shows, both snapshots go with the interruption.
                        if self.signals.is_open(EventKind::ScreenShareEnded) {
                            Timeout::new(1_000, move || {
                                let ids = self.snapshots();
                                self.signals
                                    .end(EventKind::ScreenShareEnded, linked(&ids, None));
                            })
                            .forget();
                        }
                    }
                    Err(error) => {
                        self.feeds.screen.try_set(ScreenShare::NotShared);
                        self.feeds.capture_error.try_set(Some(
                            self.store
                                .status
                                .text(|t| &t.screen_failed, &[("error", &media::describe(&error))]),
                        ));
                    }
                }
            });
        }

        /// An unplugged camera ends its track; a camera whose permission is
        /// withdrawn or that stops delivering mutes it. Either way the panel says
        /// so, is not live, and takes no camera snapshots until it is back.
        fn watch_camera(self, stream: &MediaStream) {
            let feeds = self.feeds;
            let signals = self.signals;
            let status = self.store.status;
            let lost = move |message: String| {
                feeds.camera_live.try_set(false);
                feeds.camera_error.try_set(Some(message.to_string()));
                signals.start(EventKind::CameraLost, None);
            };
            let on_ended = Closure::<dyn FnMut()>::new(move || {
                lost(status.text(|t| &t.camera_unplugged, &[]))
            });
            let on_mute =
                Closure::<dyn FnMut()>::new(move || lost(status.text(|t| &t.camera_stopped, &[])));
            let on_unmute = Closure::<dyn FnMut()>::new(move || {
                feeds.camera_error.try_set(None);
                feeds.camera_live.try_set(true);
                signals.end(EventKind::CameraLost, None);
            });
            for track in stream.get_video_tracks().iter() {
                if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                    track.set_onended(Some(on_ended.as_ref().unchecked_ref()));
                    track.set_onmute(Some(on_mute.as_ref().unchecked_ref()));
                    track.set_onunmute(Some(on_unmute.as_ref().unchecked_ref()));
                }
            }
            self.camera_watch
                .try_set_value(vec![on_ended, on_mute, on_unmute]);
        }

        /// Captures one frame of `kind` and queues it, if that feed is live
        /// (an ID photo is the camera's); whether it was.
        pub fn capture(self, kind: ImageKind) -> bool {
            self.capture_as(self.store.new_capture(self.application, kind))
        }

        /// A camera and a screen snapshot now (those that are live), for an event
        /// to link to: their capture ids. Within a moment of the last such pair,
        /// that pair.
        pub fn snapshots(self) -> Vec<String> {
            let now = js_sys::Date::now();
            if let Some((at, ids)) = self.last_snapshots.try_get_value() {
                if now - at < SNAPSHOTS_SHARED_MS {
                    return ids;
                }
            }
            let ids: Vec<String> = ImageKind::MONITORED
                .into_iter()
                .filter_map(|kind| {
                    let meta = self.store.new_capture(self.application, kind);
                    let id = meta.id_text();
                    self.capture_as(meta).then_some(id)
                })
                .collect();
            self.last_snapshots.try_set_value((now, ids.clone()));
            ids
        }

        /// As [`Self::capture`] with the capture id given; whether the feed was live.
        fn capture_as(self, meta: CaptureMeta) -> bool {
            let kind = meta.kind;
            let meta = CaptureMeta {
                device_label: self.device_label(kind),
                ..meta
            };
            // Called from timers and listeners that may outlive the panel: nothing here may panic.
            let (video, live) = match kind {
                ImageKind::Camera | ImageKind::Id => (
                    self.feeds.camera_video,
                    self.feeds.camera_live.try_get_untracked().unwrap_or(false),
                ),
                ImageKind::Screen => (
                    self.feeds.screen_video,
                    self.feeds.screen.try_get_untracked() == Some(ScreenShare::Shared),
                ),
            };
            if !live || self.feeds.ended.try_get_untracked() != Some(false) {
                return false;
            }
            // Nothing before the ID photo (an event's snapshots included).
            if kind != ImageKind::Id && self.feeds.id_pending.try_get_untracked() != Some(false) {
                return false;
            }
            let Some(video) = video.try_get_untracked().flatten() else {
                return false;
            };
            spawn_local(async move {
                let result = self.store.capture(&video).await;
                // Ended while the frame was encoded: not queued.
                if self.feeds.ended.try_get_untracked() != Some(false) {
                    return;
                }
                match result {
                    Ok(blob) => {
                        self.feeds.capture_error.try_set(None);
                        self.store.enqueue_capture(meta, blob);
                    }
                    Err(message) => {
                        self.feeds
                            .capture_error
                            .try_set(Some(self.store.status.text(
                                |t| &t.snapshot_failed,
                                &[("kind", kind.as_str()), ("error", &message)],
                            )));
                    }
                }
            });
            true
        }

        /// The name the browser gives the feed's video track (a camera's, a
        /// shared screen's), when it gives one.
        fn device_label(self, kind: ImageKind) -> Option<String> {
            let stream = match kind {
                ImageKind::Camera | ImageKind::Id => self.camera_stream,
                ImageKind::Screen => self.screen_stream,
            };
            let track = stream
                .try_get_value()
                .flatten()?
                .get_video_tracks()
                .get(0)
                .dyn_into::<web_sys::MediaStreamTrack>()
                .ok()?;
            Some(track.label()).filter(|label| !label.is_empty())
        }

        pub fn every(self, seconds: u32, kind: ImageKind) {
            let timer = Interval::new(seconds.max(1) * 1000, move || {
                self.capture(kind);
            });
            self.timers.try_update_value(|timers| timers.push(timer));
        }

        pub fn stop(self) {
            self.timers.try_update_value(|timers| timers.clear());
            for stream in [self.camera_stream, self.screen_stream] {
                if let Some(Some(stream)) = stream.try_update_value(Option::take) {
                    for track in stream.get_tracks().iter() {
                        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                            track.set_onended(None);
                            track.set_onmute(None);
                            track.set_onunmute(None);
                        }
                    }
                    media::stop_stream(&stream);
                }
            }
            self.screen_ended.try_set_value(None);
            self.camera_watch.try_set_value(Vec::new());
        }
    }

    /// Starts the monitoring session (retrying while the server cannot be
    /// reached), learns the server's clock from it, and says whether this panel
    /// resumes one that was reloaded or crashed, and whether the screen is extended.
    pub fn start_session(
        store: MonitoringImages,
        signals: Signals,
        application: ApplicationId,
        (camera, screen): (u32, u32),
    ) {
        let previous = signals::previous_panel(application);
        signals::heartbeat(application, None);
        spawn_local(async move {
            let mut wait = 1_000u32;
            let mut announced = false;
            let body = serde_json::json!({
                "applicationId": application,
                "cameraInterval": camera,
                "screenInterval": screen,
            });
            loop {
                if signals.stopped() {
                    break;
                }
                let connection = store.connection();
                let result: Result<SessionStarted, PanelError> =
                    transport::post_json(&connection, "/api/monitoring/session/start", &body).await;
                let started = match result {
                    // Ended while the start was on its way: close what it opened.
                    Ok(started) if signals.stopped() => {
                        let _ = close_session(
                            &connection,
                            application,
                            &started.session_id.to_string(),
                        )
                        .await;
                        break;
                    }
                    Ok(started) => {
                        transport::learn_server_time(&connection, started.server_time);
                        let id = started.session_id.to_string();
                        signals.set_session(id.clone());
                        signals::heartbeat(application, Some(&id));
                        store.emit(PanelEvent::Started { session_id: id });
                        true
                    }
                    // Retrying cannot mend these; the uploads say why.
                    Err(error)
                        if matches!(
                            error.kind,
                            ErrorKind::Forbidden
                                | ErrorKind::ConsentRequired
                                | ErrorKind::NotFound
                                | ErrorKind::BadRequest
                                | ErrorKind::Conflict
                        ) =>
                    {
                        store.emit(PanelEvent::Error(error));
                        true
                    }
                    Err(_) => false,
                };
                if !announced {
                    announced = true;
                    if let Some((session, ago)) = &previous {
                        signals.instant(
                            EventKind::PageReload,
                            Some(serde_json::json!({"previousSessionId": session, "secondsSinceLastSign": (ago / 1000.0).round()})),
                        );
                    }
                    if signals::screens_extended() == Some(true) {
                        signals.instant(EventKind::MultipleDisplays, None);
                    }
                }
                if started {
                    break;
                }
                gloo_timers::future::TimeoutFuture::new(wait).await;
                wait = (wait * 2).min(30_000);
            }
        });
    }

    /// Ends the interview: no capture from now on; events still open end now;
    /// the queue is flushed (for at most [`super::END_FLUSH_MS`]); the session
    /// is closed on the server.
    pub fn end(store: MonitoringImages, signals: Signals, media: Media, control: PanelControl) {
        media.stop();
        signals.end_all();
        signals.stop();
        let application = media.application;
        // Read now: the host may unmount the panel right after end(), and
        // what follows must still close the session and tell the host.
        let session = signals.session();
        let connection = store.connection();
        let listener = store.status.listener();
        let tell = move |event: PanelEvent| {
            if let Some(callback) = listener {
                let _ = callback.try_run(event);
            }
        };
        spawn_local(async move {
            let waiting = store.flush(super::END_FLUSH_MS).await;
            let closed = match session {
                Some(session) => match close_session(&connection, application, &session).await {
                    Ok(()) => true,
                    Err(error) => {
                        tell(PanelEvent::Error(error));
                        false
                    }
                },
                // Not started yet: `start_session` closes it when its answer comes.
                None => false,
            };
            signals::clear_heartbeat(application);
            control.set_phase(Phase::Ended);
            tell(PanelEvent::Ended { waiting, closed });
        });
    }

    /// `POST /api/monitoring/session/end`.
    async fn close_session(
        connection: &crate::Connection,
        application: ApplicationId,
        session: &str,
    ) -> Result<(), PanelError> {
        let body = serde_json::json!({ "applicationId": application, "sessionId": session });
        transport::post_json::<SessionEnded>(connection, "/api/monitoring/session/end", &body)
            .await
            .map(|_| ())
    }

    pub fn enter_full_screen() {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.request_fullscreen();
        }
    }

    /// A listener added to a target: removed (and its closure dropped) by `stop`.
    type Listener = (
        web_sys::EventTarget,
        &'static str,
        Closure<dyn FnMut(web_sys::Event)>,
    );

    /// The page's listeners (tab, window, full screen, clipboard) and the
    /// heartbeat; all removed by `stop`.
    #[derive(Clone, Copy)]
    pub struct Watching {
        listeners: StoredValue<Vec<Listener>, LocalStorage>,
        heartbeat: StoredValue<Option<Interval>, LocalStorage>,
    }

    impl Watching {
        pub fn stop(self) {
            if let Some(listeners) = self.listeners.try_update_value(std::mem::take) {
                for (target, name, handler) in listeners {
                    let _ = target.remove_event_listener_with_callback(
                        name,
                        handler.as_ref().unchecked_ref(),
                    );
                }
            }
            self.heartbeat.try_set_value(None);
        }
    }

    pub fn watch_page(signals: Signals, media: Media) -> Watching {
        let watching = Watching {
            listeners: crate::local::browser_local(Vec::new()),
            heartbeat: crate::local::browser_local(None),
        };
        let Some(window) = web_sys::window() else {
            return watching;
        };
        let Some(document) = window.document() else {
            return watching;
        };
        let listen = |target: &web_sys::EventTarget,
                      name: &'static str,
                      handler: Box<dyn FnMut(web_sys::Event)>| {
            let closure = Closure::<dyn FnMut(web_sys::Event)>::wrap(handler);
            if target
                .add_event_listener_with_callback(name, closure.as_ref().unchecked_ref())
                .is_ok()
            {
                watching
                    .listeners
                    .update_value(|l| l.push((target.clone(), name, closure)));
            }
        };
        let back = move |kind: EventKind| {
            if signals.is_open(kind) {
                let ids = media.snapshots();
                signals.end(kind, linked(&ids, None));
            }
        };
        let seen = document.clone();
        listen(
            &document,
            "visibilitychange",
            Box::new(move |_| {
                if seen.hidden() {
                    signals.start(EventKind::TabHidden, None);
                } else {
                    back(EventKind::TabHidden);
                }
            }),
        );
        listen(
            &window,
            "blur",
            Box::new(move |_| signals.start(EventKind::WindowBlur, None)),
        );
        listen(
            &window,
            "focus",
            Box::new(move |_| back(EventKind::WindowBlur)),
        );
        let full = document.clone();
        let was_full = StoredValue::new_local(false);
        listen(
            &document,
            "fullscreenchange",
            Box::new(move |_| {
                let now_full = full.fullscreen_element().is_some();
                if now_full {
                    signals.end(EventKind::FullscreenExit, None);
                } else if was_full.get_value() {
                    signals.start(EventKind::FullscreenExit, None);
                }
                was_full.set_value(now_full);
            }),
        );
        listen(
            &document,
            "paste",
            Box::new(move |event| {
                let length = signals::pasted_length(&event);
                let ids = media.snapshots();
                signals.instant(
                    EventKind::Paste,
                    linked(&ids, Some(serde_json::json!({"length": length}))),
                );
            }),
        );
        listen(
            &document,
            "copy",
            Box::new(move |_| {
                signals.instant(
                    EventKind::Copy,
                    Some(serde_json::json!({"length": signals::selected_length()})),
                );
            }),
        );
        let application = media.application;
        watching
            .heartbeat
            .set_value(Some(Interval::new(signals::HEARTBEAT_MS, move || {
                // Not after end(): a reopened panel would take it for a reload.
                if !signals.stopped() {
                    signals::heartbeat(application, signals.session().as_deref());
                }
            })));
        watching
    }
}
