//! `MonitoringPanel`: the candidate's camera preview, screen sharing, automatic and
//! manual snapshots, and what happened to the uploads.

use leptos::{html, prelude::*};
use shared::ApplicationId;

use super::store::{use_monitoring_images, UploadStats};

/// Where the screen share stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenShare {
    NotShared,
    Starting,
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
        }
    }
}

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
) -> impl IntoView {
    let store = use_monitoring_images();
    let feeds = Feeds::new();
    let Feeds { camera_video, screen_video, camera_error, camera_live, screen, capture_error } = feeds;

    #[cfg(feature = "hydrate")]
    let media = live::Media::new(store, application_id, feeds);
    #[cfg(feature = "hydrate")]
    {
        if camera_monitoring {
            media.start_camera();
            media.every(camera_interval, shared::ImageKind::Camera);
        }
        if screen_monitoring {
            media.every(screen_interval, shared::ImageKind::Screen);
        }
        // What an earlier visit left waiting goes first.
        store.restore(application_id);
        let online = window_event_listener(leptos::ev::online, move |_| store.wake());
        // Captures still waiting are safe in IndexedDB, but the candidate should know.
        let leaving = window_event_listener(leptos::ev::beforeunload, move |event| {
            if store.waiting() > 0 {
                event.prevent_default();
                event.set_return_value("Captures are still waiting to upload.");
            }
        });
        on_cleanup(move || {
            online.remove();
            leaving.remove();
            media.stop();
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (application_id, camera_interval, screen_interval, capture_error);

    let retry_camera = move |_| {
        #[cfg(feature = "hydrate")]
        media.start_camera();
    };
    let share_screen = move |_| {
        #[cfg(feature = "hydrate")]
        media.start_screen();
    };
    let capture_camera = move |_| {
        #[cfg(feature = "hydrate")]
        media.capture(shared::ImageKind::Camera);
    };
    let capture_screen = move |_| {
        #[cfg(feature = "hydrate")]
        media.capture(shared::ImageKind::Screen);
    };

    let stats = store.stats();
    view! {
        <section class="monitoring-panel" data-camera-live=move || camera_live.get().to_string()
            data-screen=move || format!("{:?}", screen.get()).to_lowercase()
            data-last-encode-ms=move || stats.with(|s| s.last_encode_ms.map(|ms| format!("{ms:.1}")).unwrap_or_default())>
            <div class="feeds">
                <Show when=move || camera_monitoring>
                    <figure class="feed camera">
                        <video node_ref=camera_video class="camera-preview" autoplay=true muted=true playsinline=true></video>
                        <figcaption>"Camera"
                            <span class="every">" · a snapshot every " {camera_interval} " s"</span>
                        </figcaption>
                        {move || camera_error.get().map(|message| view! {
                            <div class="notice error camera-error" role="alert">
                                <p>{message}</p>
                                <button on:click=retry_camera>"Try the camera again"</button>
                            </div>
                        })}
                        <button class="secondary" on:click=capture_camera disabled=move || !camera_live.get()>"Take camera snapshot"</button>
                    </figure>
                </Show>
                <Show when=move || screen_monitoring>
                    <figure class="feed screen">
                        <video node_ref=screen_video class="screen-preview" autoplay=true muted=true playsinline=true></video>
                        <figcaption>"Screen"
                            <span class="every">" · a snapshot every " {screen_interval} " s while shared"</span>
                        </figcaption>
                        {move || match screen.get() {
                            ScreenShare::Shared => None,
                            ScreenShare::Starting => Some(view! { <div class="notice"><p>"Choose what to share…"</p></div> }.into_any()),
                            state => Some(view! {
                                <div class="notice screen-prompt" role="status">
                                    <p>{if state == ScreenShare::Ended {
                                        "Screen sharing has stopped. Share your screen again to continue the interview."
                                    } else {
                                        "Share your screen to start the interview."
                                    }}</p>
                                    <button on:click=share_screen>{if state == ScreenShare::Ended { "Share screen again" } else { "Share screen" }}</button>
                                </div>
                            }.into_any()),
                        }}
                        <button class="secondary" on:click=capture_screen disabled=move || screen.get() != ScreenShare::Shared>"Take screen snapshot"</button>
                    </figure>
                </Show>
            </div>
            <UploadStatus stats uploading=store.is_uploading() error=store.upload_error() capture_error/>
        </section>
    }
    .into_any()
}

#[component]
fn UploadStatus(
    stats: Signal<UploadStats>,
    uploading: Signal<bool>,
    error: Signal<Option<String>>,
    capture_error: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <dl class="upload-status">
            <dt>"Now"</dt>
            <dd class="uploading">{move || if uploading.get() { "uploading…" } else { "idle" }}</dd>
            <dt>"Last upload"</dt>
            <dd class="last-success">{move || stats.with(|s| s.last_success.clone()).map(|t| t.replace('T', " ").replace('Z', " UTC")).unwrap_or_else(|| "none yet".into())}</dd>
            <dt>"Camera"</dt>
            <dd class="camera-count" data-captured=move || stats.with(|s| s.captured_camera) data-uploaded=move || stats.with(|s| s.uploaded_camera)>
                {move || stats.with(|s| format!("{} uploaded of {} taken", s.uploaded_camera, s.captured_camera))}
            </dd>
            <dt>"Screen"</dt>
            <dd class="screen-count" data-captured=move || stats.with(|s| s.captured_screen) data-uploaded=move || stats.with(|s| s.uploaded_screen)>
                {move || stats.with(|s| format!("{} uploaded of {} taken", s.uploaded_screen, s.captured_screen))}
            </dd>
            <dt>"Waiting"</dt>
            <dd class="queued" data-queued=move || stats.with(|s| s.queued)>
                {move || stats.with(|s| format!(
                    "{} (at most {} or {} MB wait; {} dropped)",
                    s.queued, s.queue_bound, super::queue::QUEUE_BYTES / (1024 * 1024), s.dropped
                ))}
            </dd>
        </dl>
        {move || stats.with(|s| (s.restored > 0).then(|| (s.restored, s.restored_uploaded))).map(|(restored, uploaded)| view! {
            <p class="notice restored" data-restored=restored data-restored-uploaded=uploaded role="status">
                {if uploaded >= restored {
                    format!("{restored} captures from your last visit uploaded.")
                } else {
                    format!("Uploading {restored} captures from your last visit ({uploaded} done)…")
                }}
            </p>
        })}
        {move || stats.with(|s| s.signed_out).then(|| view! {
            <p class="notice error signed-out" role="alert">
                "Your session has ended. Captures continue and are kept; "
                // Not this page again in the new tab: that would start a second panel.
                <a href="/login" target="_blank">"sign in again"</a>
                " (in a new tab, then come back here) and they upload from where they stopped."
            </p>
        })}
        {move || error.get().map(|message| view! { <p class="notice error upload-error" role="alert">{message}</p> })}
        {move || capture_error.get().map(|message| view! { <p class="notice error capture-error">{message}</p> })}
    }
    .into_any()
}

#[cfg(feature = "hydrate")]
mod live {
    //! The streams and timers, browser only. Everything lives in the component's
    //! owner: unmounting stops every track and timer.

    use gloo_timers::callback::Interval;
    use leptos::{prelude::*, task::spawn_local};
    use shared::{ApplicationId, ImageKind};
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::MediaStream;

    use super::{Feeds, ScreenShare};
    use crate::monitoring::{browser, store::MonitoringImages};

    #[derive(Clone, Copy)]
    pub struct Media {
        store: MonitoringImages,
        application: ApplicationId,
        feeds: Feeds,
        camera_stream: StoredValue<Option<MediaStream>, LocalStorage>,
        screen_stream: StoredValue<Option<MediaStream>, LocalStorage>,
        timers: StoredValue<Vec<Interval>, LocalStorage>,
        /// The current share's `ended` handler.
        screen_ended: StoredValue<Option<Closure<dyn FnMut()>>, LocalStorage>,
        /// The current camera track's `ended`, `mute` and `unmute` handlers.
        camera_watch: StoredValue<Vec<Closure<dyn FnMut()>>, LocalStorage>,
    }

    fn camera_message(error: &wasm_bindgen::JsValue) -> String {
        match browser::error_name(error).as_str() {
            "NotAllowedError" | "SecurityError" => {
                "Camera access was refused. Allow the camera for this site in your browser, then try again.".into()
            }
            "NotFoundError" | "OverconstrainedError" => "No camera was found. Connect a camera, then try again.".into(),
            "NotReadableError" | "AbortError" => "The camera is in use by another program. Close it, then try again.".into(),
            _ => format!("The camera could not be started ({}).", browser::describe(error)),
        }
    }

    impl Media {
        pub fn new(store: MonitoringImages, application: ApplicationId, feeds: Feeds) -> Self {
            Media {
                store,
                application,
                feeds,
                camera_stream: StoredValue::new_local(None),
                screen_stream: StoredValue::new_local(None),
                timers: StoredValue::new_local(Vec::new()),
                screen_ended: StoredValue::new_local(None),
                camera_watch: StoredValue::new_local(Vec::new()),
            }
        }

        pub fn start_camera(self) {
            self.feeds.camera_error.set(None);
            spawn_local(async move {
                // Capture times are on the server's clock from the first snapshot on.
                browser::sync_server_clock().await;
                match browser::camera_stream().await {
                    Ok(stream) => {
                        // The permission prompt may be answered after the page was left.
                        let Some(old) = self.camera_stream.try_update_value(|s| s.replace(stream.clone())) else {
                            browser::stop_stream(&stream);
                            return;
                        };
                        if let Some(old) = old {
                            browser::stop_stream(&old);
                        }
                        if let Some(video) = self.feeds.camera_video.get_untracked() {
                            video.set_src_object(Some(&stream));
                        }
                        self.watch_camera(&stream);
                        self.feeds.camera_live.try_set(true);
                    }
                    Err(error) => {
                        self.feeds.camera_live.try_set(false);
                        self.feeds.camera_error.try_set(Some(camera_message(&error)));
                    }
                }
            });
        }

        pub fn start_screen(self) {
            self.feeds.screen.set(ScreenShare::Starting);
            spawn_local(async move {
                match browser::screen_stream().await {
                    Ok(stream) => {
                        let Some(old) = self.screen_stream.try_update_value(|s| s.replace(stream.clone())) else {
                            browser::stop_stream(&stream);
                            return;
                        };
                        if let Some(old) = old {
                            browser::stop_stream(&old);
                        }
                        if let Some(video) = self.feeds.screen_video.get_untracked() {
                            video.set_src_object(Some(&stream));
                        }
                        // The share ends when the user stops it from the browser's bar. The
                        // handler lives as long as this share: replaced by the next, dropped
                        // with the panel.
                        let on_ended = Closure::<dyn FnMut()>::new(move || {
                            self.feeds.screen.try_set(ScreenShare::Ended);
                        });
                        for track in stream.get_video_tracks().iter() {
                            if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                                track.set_onended(Some(on_ended.as_ref().unchecked_ref()));
                            }
                        }
                        self.screen_ended.try_set_value(Some(on_ended));
                        self.feeds.screen.try_set(ScreenShare::Shared);
                    }
                    Err(error) => {
                        self.feeds.screen.try_set(ScreenShare::NotShared);
                        self.feeds.capture_error.try_set(Some(format!("Screen sharing did not start ({}).", browser::describe(&error))));
                    }
                }
            });
        }

        /// An unplugged camera ends its track; a camera whose permission is
        /// withdrawn or that stops delivering mutes it. Either way the panel says
        /// so, is not live, and takes no camera snapshots until it is back.
        fn watch_camera(self, stream: &MediaStream) {
            let feeds = self.feeds;
            let lost = move |message: &str| {
                feeds.camera_live.try_set(false);
                feeds.camera_error.try_set(Some(message.to_string()));
            };
            let on_ended = Closure::<dyn FnMut()>::new(move || {
                lost("Camera disconnected: it was unplugged, or its permission was withdrawn. Connect it and try again.")
            });
            let on_mute = Closure::<dyn FnMut()>::new(move || lost("The camera stopped sending pictures."));
            let on_unmute = Closure::<dyn FnMut()>::new(move || {
                feeds.camera_error.try_set(None);
                feeds.camera_live.try_set(true);
            });
            for track in stream.get_video_tracks().iter() {
                if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                    track.set_onended(Some(on_ended.as_ref().unchecked_ref()));
                    track.set_onmute(Some(on_mute.as_ref().unchecked_ref()));
                    track.set_onunmute(Some(on_unmute.as_ref().unchecked_ref()));
                }
            }
            self.camera_watch.try_set_value(vec![on_ended, on_mute, on_unmute]);
        }

        /// Captures one frame of `kind` and queues it, if that feed is live.
        pub fn capture(self, kind: ImageKind) {
            let (video, live) = match kind {
                ImageKind::Camera => (self.feeds.camera_video, self.feeds.camera_live.get_untracked()),
                ImageKind::Screen => (self.feeds.screen_video, self.feeds.screen.get_untracked() == ScreenShare::Shared),
            };
            if !live {
                return;
            }
            let Some(video) = video.get_untracked() else { return };
            spawn_local(async move {
                let result = match kind {
                    ImageKind::Camera => self.store.capture_camera(&video).await,
                    ImageKind::Screen => self.store.capture_screen(&video).await,
                };
                match result {
                    Ok(blob) => {
                        self.feeds.capture_error.try_set(None);
                        self.store.enqueue(self.application, kind, blob);
                    }
                    Err(message) => {
                        self.feeds.capture_error.try_set(Some(format!("A {kind} snapshot failed: {message}")));
                    }
                }
            });
        }

        pub fn every(self, seconds: u32, kind: ImageKind) {
            let timer = Interval::new(seconds.max(1) * 1000, move || self.capture(kind));
            self.timers.update_value(|timers| timers.push(timer));
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
                    browser::stop_stream(&stream);
                }
            }
            self.screen_ended.try_set_value(None);
            self.camera_watch.try_set_value(Vec::new());
        }
    }
}
