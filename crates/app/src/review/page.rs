//! The review page of one application.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::{
    components::Redirect,
    hooks::{use_params_map, use_query_map},
};
use shared::{
    integrity::MonitoringEvent, ApplicationSummary, ImageKind, ImageList, ImageRef, ObjectKey, Role,
};

use super::{
    export::ExportButton, filtered, identity::IdCheck, lightbox::Lightbox, on_timeline,
    replay::Replay, time, timeline::Timeline,
};
use crate::{
    accountability::{AuditTrailPanel, ErasePanel, RetentionNote},
    applications::{get_application, get_page_texts},
    auth::me,
    error::AppError,
    integrity::{list_events, IntegrityPanel},
    ui::{
        language::LanguageSwitch,
        refusal::Refusal,
        words::{t, words, Words},
    },
};

#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    // A candidate reads their page in their language (`?lang=`, else the
    // browser's); reviewers' pages are in English.
    let asked = move || query.read().get("lang");
    let page = Resource::new(
        move || (id(), asked()),
        |(id, asked)| async move {
            let user = Box::pin(me()).await?;
            let application = Box::pin(get_application(id)).await?;
            let words = match user.role {
                Role::Candidate => Some(Box::pin(get_page_texts(asked)).await?),
                _ => None,
            };
            Ok::<_, AppError>((user, application, words))
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || page.get().map(|result| match result {
                Ok((user, application, None)) => view! { <Review application role=user.role/> }.into_any(),
                Ok((user, application, Some(translation))) => {
                    let language = translation.language;
                    // What the page makes below reads its words from here.
                    provide_context(Words::new(translation.texts));
                    view! {
                        <div lang=language.code()>
                            <LanguageSwitch current=language/>
                            <Review application role=user.role/>
                        </div>
                    }.into_any()
                }
                Err(AppError::Unauthenticated(_)) => {
                    view! { <Redirect path=format!("/login?next=/applications/{}/review", id())/> }.into_any()
                }
                Err(error) => view! { <Refusal error/> }.into_any(),
            })}
        </Suspense>
    }
}

/// Images of each kind the review page loads at first and with each "earlier" step.
const REVIEW_PAGE: u32 = 1000;

/// The earlier pages loaded on request, for the images as of `version` (a
/// delete or an erase starts over).
#[derive(Debug, Clone, Default)]
struct Earlier {
    version: u32,
    camera: Vec<ImageRef>,
    screen: Vec<ImageRef>,
    /// A kind whose last earlier page came back short has nothing before it.
    done: (bool, bool),
}

impl Earlier {
    /// The latest page with the earlier ones, oldest first, each image once.
    fn merged(&self, latest: ImageList, version: u32) -> ImageList {
        if self.version != version || (self.camera.is_empty() && self.screen.is_empty()) {
            return latest;
        }
        let merge = |older: &[ImageRef], newer: Vec<ImageRef>| {
            let mut all: Vec<ImageRef> = older.to_vec();
            all.extend(newer);
            all.sort_by(|a, b| {
                (a.timestamp, a.s3_key.to_string()).cmp(&(b.timestamp, b.s3_key.to_string()))
            });
            all.dedup_by(|a, b| a.s3_key == b.s3_key);
            all
        };
        ImageList {
            camera: merge(&self.camera, latest.camera),
            screen: merge(&self.screen, latest.screen),
            id: latest.id,
        }
    }

    /// Where the next earlier page starts: before the later of the oldest
    /// loaded images of the kinds that may have more (`None`: all are loaded).
    fn next_before(&self, loaded: &ImageList, version: u32) -> Option<DateTime<Utc>> {
        let (camera_done, screen_done) = if self.version == version {
            self.done
        } else {
            (false, false)
        };
        let may_have_more = |images: &[ImageRef], done: bool| {
            (!done && images.len() >= REVIEW_PAGE as usize)
                .then(|| images.first().map(|i| i.timestamp))
                .flatten()
        };
        may_have_more(&loaded.camera, camera_done).max(may_have_more(&loaded.screen, screen_done))
    }

    fn add(&mut self, page: ImageList, version: u32) {
        if self.version != version {
            *self = Earlier {
                version,
                ..Earlier::default()
            };
        }
        let short = |images: &[ImageRef]| images.len() < REVIEW_PAGE as usize;
        self.done = (
            self.done.0 || short(&page.camera),
            self.done.1 || short(&page.screen),
        );
        self.camera.extend(page.camera);
        self.screen.extend(page.screen);
    }
}

/// The summary, the events and the images (loaded in the browser: times are
/// shown in the viewer's zone).
#[component]
fn Review(application: ApplicationSummary, role: Role) -> impl IntoView {
    let (can_delete, can_review) = (role != Role::Candidate, role != Role::Candidate);
    let can_respond = role == Role::Candidate;
    let store = super::images::ReviewImages;
    let application_id = application.id;
    let version = RwSignal::new(0u32);
    // The latest page of each kind; earlier pages are added on request (a long
    // interview has tens of thousands of images: the page loads what is looked at).
    let latest = LocalResource::new(move || {
        version.track();
        async move {
            store
                .get_images_page(application_id, None, REVIEW_PAGE)
                .await
        }
    });
    let earlier = RwSignal::new(Earlier::default());
    let images = Signal::derive(move || {
        let latest = latest.get()?;
        let current = version.get();
        Some(latest.map(|page| earlier.with(|e| e.merged(page, current))))
    });
    let events_version = RwSignal::new(0u32);
    // Viewing images adds entries: the trail reloads with the images.
    let trail_version = RwSignal::new(0u32);
    let events = LocalResource::new(move || {
        events_version.track();
        version.track();
        async move { list_events(application_id.to_string()).await }
    });
    // Set by clicking an event: only the images around it are shown.
    let window = RwSignal::new(None::<(DateTime<Utc>, DateTime<Utc>)>);
    let show_camera = RwSignal::new(true);
    let show_screen = RwSignal::new(true);
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let open = RwSignal::new(None::<(ImageKind, usize)>);
    let action_error = RwSignal::new(None::<String>);

    let bounds = move || match window.get() {
        Some((from, to)) => (Some(from), Some(to)),
        None => (
            time::from_local_input(&from.get()),
            time::from_local_input(&to.get()),
        ),
    };
    let of_kind = move |kind: ImageKind| -> Vec<ImageRef> {
        let all = images.get().and_then(Result::ok).map(|list| match kind {
            ImageKind::Camera => list.camera,
            ImageKind::Screen => list.screen,
            ImageKind::Id => list.id,
        });
        let (from, to) = bounds();
        filtered(&all.unwrap_or_default(), from, to)
    };
    let camera = Signal::derive(move || of_kind(ImageKind::Camera));
    let screen = Signal::derive(move || of_kind(ImageKind::Screen));
    let id_photos = Signal::derive(move || of_kind(ImageKind::Id));
    let events_of = move |kind: ImageKind| -> Vec<MonitoringEvent> {
        let (from, to) = bounds();
        events
            .get()
            .and_then(Result::ok)
            .map(|list| list.events)
            .unwrap_or_default()
            .into_iter()
            .filter(|e| {
                on_timeline(e, kind)
                    && from.is_none_or(|t| e.ended_at.unwrap_or(e.at) >= t)
                    && to.is_none_or(|t| e.at <= t)
            })
            .collect()
    };
    let camera_events = Signal::derive(move || events_of(ImageKind::Camera));
    let screen_events = Signal::derive(move || events_of(ImageKind::Screen));
    let captures = Signal::derive(move || {
        images
            .get()
            .and_then(Result::ok)
            .map(|list| {
                list.camera
                    .into_iter()
                    .chain(list.screen)
                    .map(|image| (image.s3_key.id, image.s3_key))
                    .collect::<HashMap<_, _>>()
            })
            .unwrap_or_default()
    });
    let jump = Callback::new(
        move |(from, to, key): (DateTime<Utc>, DateTime<Utc>, Option<ObjectKey>)| {
            window.set(Some((from, to)));
            if let Some(key) = key {
                let list = if key.kind == ImageKind::Camera {
                    camera
                } else {
                    screen
                };
                if let Some(index) =
                    list.with_untracked(|l| l.iter().position(|image| image.s3_key == key))
                {
                    open.set(Some((key.kind, index)));
                }
            }
            #[cfg(feature = "browser")]
            if let Some(timelines) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector(".timelines").ok().flatten())
            {
                timelines.scroll_into_view();
            }
        },
    );
    let reviewed = Callback::new(move |()| events_version.update(|v| *v += 1));
    let loading_earlier = RwSignal::new(false);
    let load_earlier = move |_| {
        let Some(Ok(loaded)) = images.get_untracked() else {
            return;
        };
        let current = version.get_untracked();
        let Some(before) = earlier.with_untracked(|e| e.next_before(&loaded, current)) else {
            return;
        };
        loading_earlier.set(true);
        let failed = words();
        leptos::task::spawn_local(async move {
            match store
                .get_images_page(application_id, Some(before), REVIEW_PAGE)
                .await
            {
                Ok(page) => earlier.update(|e| e.add(page, current)),
                Err(error) => action_error.set(Some(failed.fill(
                    "Could not load earlier images: {error}",
                    &[("error", &error.to_string())],
                ))),
            }
            loading_earlier.try_set(false);
        });
    };
    let more = move || {
        let current = version.get();
        match images.get() {
            Some(Ok(loaded)) => earlier.with(|e| e.next_before(&loaded, current).is_some()),
            _ => false,
        }
    };
    let (total_camera, total_screen) = (application.camera_images, application.screen_images);
    let (asks_for_id, id_kept_days) = (application.capture.id_check, application.id_retention_days);
    let events_signal = Signal::derive(move || events.get());
    // The replay opens on request, or at once when the address asks for a
    // moment (`?at=now` from the live view, `?at=<millis>`).
    let asked_at = use_query_map().with_untracked(|q| q.get("at"));
    let replay_open = RwSignal::new(asked_at.is_some());
    let start_at = asked_at.and_then(|at| {
        if at == "now" {
            Some(i64::MAX)
        } else {
            at.parse().ok()
        }
    });
    let all_of = move |kind: ImageKind| {
        Signal::derive(move || {
            images
                .get()
                .and_then(Result::ok)
                .map(|list| match kind {
                    ImageKind::Camera => list.camera,
                    ImageKind::Screen => list.screen,
                    ImageKind::Id => list.id,
                })
                .unwrap_or_default()
        })
    };
    let all_events = Signal::derive(move || {
        events
            .get()
            .and_then(Result::ok)
            .map(|list| list.events)
            .unwrap_or_default()
    });

    let delete = Callback::new(move |keys: Vec<ObjectKey>| {
        if keys.is_empty()
            || !time::confirm(&format!(
                "Delete {} image(s)? This cannot be undone.",
                keys.len()
            ))
        {
            return;
        }
        leptos::task::spawn_local(async move {
            for key in keys {
                if let Err(error) = store.delete_image(application_id, key.kind, &key).await {
                    action_error.set(Some(format!("Could not delete an image: {error}")));
                    break;
                }
            }
            selected.set(BTreeSet::new());
            open.set(None);
            version.update(|v| *v += 1);
        });
    });
    let delete_selected = move |_| {
        let keys = selected
            .get_untracked()
            .iter()
            .filter_map(|k| k.parse::<ObjectKey>().ok())
            .collect();
        delete.run(keys);
    };

    view! {
        <section class="card review">
            <h1>{application.title.clone()}</h1>
            <p class="muted">{application.candidate_email.clone()} " · " {application.organization_name.clone()}</p>
            <RetentionNote application=application.clone()/>
            <Show when=move || role != Role::Candidate>
                <p class="actions">
                    <ExportButton application_id/>
                </p>
            </Show>
            <Show when=move || role == Role::Admin>
                <ErasePanel application_id erased=Callback::new(move |()| { version.update(|v| *v += 1); trail_version.update(|v| *v += 1); })/>
            </Show>
            <Show when=move || asks_for_id || id_photos.with(|p| !p.is_empty())>
                <IdCheck id=all_of(ImageKind::Id) camera=all_of(ImageKind::Camera) kept_days=id_kept_days/>
            </Show>
            <IntegrityPanel application_id events=events_signal captures can_review can_respond jump reviewed/>
            <Show when=move || !replay_open.get()>
                <p class="replay-open"><button class="secondary open-replay" on:click=move |_| replay_open.set(true)>{t("Replay the interview")}</button></p>
            </Show>
            <Show when=move || replay_open.get() && matches!(images.get(), Some(Ok(_)))>
                <Replay application_id camera=all_of(ImageKind::Camera) screen=all_of(ImageKind::Screen)
                    events=all_events can_review reviewed start_at/>
            </Show>
            <form class="filters" on:submit=|ev| ev.prevent_default()>
                <label><input type="checkbox" prop:checked=show_camera on:change=move |_| show_camera.update(|v| *v = !*v)/> " " {t("Camera")}</label>
                <label><input type="checkbox" prop:checked=show_screen on:change=move |_| show_screen.update(|v| *v = !*v)/> " " {t("Screen")}</label>
                <label>{t("From ")} <input type="datetime-local" name="from" on:change=move |ev| from.set(event_target_value(&ev))/></label>
                <label>{t("To ")} <input type="datetime-local" name="to" on:change=move |ev| to.set(event_target_value(&ev))/></label>
                <Show when=move || can_delete>
                    <button type="button" class="danger delete-selected" disabled=move || selected.with(BTreeSet::is_empty) on:click=delete_selected>
                        {move || format!("Delete selected ({})", selected.with(BTreeSet::len))}
                    </button>
                </Show>
            </form>
            {move || window.get().map(|(from, to)| view! {
                <p class="notice around" role="status">
                    {words().fill("Showing the images from {from} to {to}. ", &[("from", &time::local(from)), ("to", &time::local(to))])}
                    <button class="link show-all" on:click=move |_| window.set(None)>{t("Show all")}</button>
                </p>
            })}
            {move || action_error.get().map(|message| view! { <p class="notice error" role="alert">{message}</p> })}
            {move || match images.get() {
                None => view! { <p class="muted">{t("Loading images…")}</p> }.into_any(),
                Some(Err(error)) => view! { <p class="notice error" role="alert">{error.to_string()}</p> }.into_any(),
                Some(Ok(_)) => view! {
                    <div class="timelines">
                        <Show when=move || show_camera.get()>
                            <Timeline kind=ImageKind::Camera images=camera events=camera_events can_delete selected open/>
                        </Show>
                        <Show when=move || show_screen.get()>
                            <Timeline kind=ImageKind::Screen images=screen events=screen_events can_delete selected open/>
                        </Show>
                    </div>
                    <Show when=more>
                        <p class="earlier">
                            {move || {
                                let (camera, screen) = images.get().and_then(Result::ok).map(|l| (l.camera.len(), l.screen.len())).unwrap_or_default();
                                words().fill(
                                    "Showing the latest {camera} of {total_camera} camera and {screen} of {total_screen} screen images. ",
                                    &[("camera", &camera.to_string()), ("total_camera", &total_camera.to_string()), ("screen", &screen.to_string()), ("total_screen", &total_screen.to_string())],
                                )
                            }}
                            <button class="load-earlier" disabled=move || loading_earlier.get() on:click=load_earlier>{t("Show earlier images")}</button>
                        </p>
                    </Show>
                }.into_any(),
            }}
            <Lightbox open camera screen id=id_photos can_delete delete/>
            <AuditTrailPanel application_id refresh=trail_version/>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(kind: ImageKind, millis: i64) -> ImageRef {
        let application = shared::ApplicationId(uuid::Uuid::nil());
        let id = uuid::Uuid::from_u128(millis as u128);
        let at = DateTime::<Utc>::from_timestamp_millis(millis).unwrap();
        ImageRef::new(
            ObjectKey::new(application, kind, millis, id).unwrap(),
            at,
            at,
        )
    }

    /// The `limit` latest of `all` before `before`, oldest first (as the server pages).
    fn page(all: &[ImageRef], before: Option<DateTime<Utc>>) -> Vec<ImageRef> {
        let older: Vec<ImageRef> = all
            .iter()
            .filter(|i| before.is_none_or(|b| i.timestamp < b))
            .cloned()
            .collect();
        older[older.len().saturating_sub(REVIEW_PAGE as usize)..].to_vec()
    }

    #[test]
    fn earlier_pages_reach_every_image_once_whatever_the_mix_of_kinds() {
        // 2,500 camera images over a long interview, 1,200 screen images in its last part.
        let camera: Vec<ImageRef> = (0..2500)
            .map(|n| image(ImageKind::Camera, 1_000_000 + n * 10))
            .collect();
        let screen: Vec<ImageRef> = (0..1200)
            .map(|n| image(ImageKind::Screen, 1_020_000 + n * 7))
            .collect();
        let latest = ImageList {
            camera: page(&camera, None),
            screen: page(&screen, None),
            id: Vec::new(),
        };
        let mut earlier = Earlier::default();
        let mut steps = 0;
        loop {
            let loaded = earlier.merged(latest.clone(), 0);
            let Some(before) = earlier.next_before(&loaded, 0) else {
                assert_eq!(loaded.camera, camera, "every camera image, in order, once");
                assert_eq!(loaded.screen, screen, "every screen image, in order, once");
                break;
            };
            earlier.add(
                ImageList {
                    camera: page(&camera, Some(before)),
                    screen: page(&screen, Some(before)),
                    id: Vec::new(),
                },
                0,
            );
            steps += 1;
            assert!(steps < 10, "each step makes progress");
        }
        assert!(steps >= 2, "{steps}");
        // A delete (a new version) starts over from the latest page.
        assert_eq!(earlier.merged(latest.clone(), 1), latest);
    }

    #[test]
    fn a_short_first_page_has_nothing_earlier() {
        let latest = ImageList {
            camera: vec![image(ImageKind::Camera, 5)],
            screen: Vec::new(),
            id: Vec::new(),
        };
        assert_eq!(Earlier::default().next_before(&latest, 0), None);
    }
}
