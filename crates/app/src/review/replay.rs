//! Replay: an interview played back, camera and screen side by side in step,
//! with the events as marks on a scrubber. Images are signed just ahead of the
//! play head, a batch at a time (each batch one call, one audit entry), so a
//! long interview starts playing as soon as its first batch is signed.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use shared::{integrity::MonitoringEvent, ApplicationId, ImageKind, ImageRef, ObjectKey};

use super::{images::ReviewImages, time};
use crate::integrity::{describe, icon, Verdicts};

/// Frames of each kind signed ahead of the play head in one batch.
pub const BATCH: usize = 40;
/// A new batch is asked for when fewer than this many frames ahead are signed.
const LOW_WATER: usize = 10;
/// How often the play head moves while playing.
const TICK_MILLIS: i64 = 100;
/// The speeds offered.
pub const SPEEDS: [i64; 5] = [1, 2, 4, 8, 16];
/// How long a flag without an end stays "under the play head".
const MOMENT_MILLIS: i64 = 5_000;

/// The frame shown at `at`: the last image captured at or before it.
pub fn frame_at(images: &[ImageRef], at: i64) -> Option<usize> {
    images
        .partition_point(|image| image.timestamp.timestamp_millis() <= at)
        .checked_sub(1)
}

/// The keys to sign now for playing from `index`: nothing while the next
/// [`LOW_WATER`] frames are signed (or asked for), else the unsigned ones of
/// the next [`BATCH`].
pub fn to_sign(images: &[ImageRef], index: usize, known: &HashSet<String>) -> Vec<ObjectKey> {
    let ahead = &images[index.min(images.len())..];
    let missing = |image: &&ImageRef| !known.contains(&image.s3_key.to_string());
    if !ahead.iter().take(LOW_WATER).any(|i| missing(&i)) {
        return Vec::new();
    }
    ahead
        .iter()
        .take(BATCH)
        .filter(missing)
        .map(|image| image.s3_key.clone())
        .collect()
}

/// The first and last moment of the interview: its images and events.
pub fn span(
    camera: &[ImageRef],
    screen: &[ImageRef],
    events: &[MonitoringEvent],
) -> Option<(i64, i64)> {
    let times = camera
        .iter()
        .chain(screen)
        .map(|i| i.timestamp.timestamp_millis())
        .chain(events.iter().flat_map(|e| {
            [Some(e.at), e.ended_at]
                .into_iter()
                .flatten()
                .map(|t| t.timestamp_millis())
        }));
    times.fold(None, |span, t| match span {
        None => Some((t, t)),
        Some((first, last)) => Some((first.min(t), last.max(t))),
    })
}

/// The flag under the play head: the latest one that started at or before it
/// and has not ended (a flag without an end lasts [`MOMENT_MILLIS`]).
pub fn flag_at(events: &[MonitoringEvent], at: i64) -> Option<&MonitoringEvent> {
    events
        .iter()
        .filter(|e| e.kind.is_flag())
        .filter(|e| {
            let start = e.at.timestamp_millis();
            let end = e.ended_at.map_or(start + MOMENT_MILLIS, |t| {
                t.timestamp_millis().max(start + MOMENT_MILLIS)
            });
            start <= at && at <= end
        })
        .max_by_key(|e| e.at)
}

/// Where a keyboard key moves the play head from `head` (`None`: not ours).
pub fn key_move(
    key: &str,
    shift: bool,
    head: i64,
    (first, last): (i64, i64),
    marks: &[i64],
) -> Option<i64> {
    let step = if shift { 60_000 } else { 5_000 };
    let moved = match key {
        "ArrowRight" => head.saturating_add(step),
        "ArrowLeft" => head.saturating_sub(step),
        "Home" => first,
        "End" => last,
        "]" => marks.iter().copied().find(|&m| m > head)?,
        "[" => marks.iter().copied().rev().find(|&m| m < head)?,
        _ => return None,
    };
    Some(moved.clamp(first, last))
}

fn at_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

#[component]
pub fn Replay(
    application_id: ApplicationId,
    camera: Signal<Vec<ImageRef>>,
    screen: Signal<Vec<ImageRef>>,
    events: Signal<Vec<MonitoringEvent>>,
    can_review: bool,
    reviewed: Callback<()>,
    /// Where to start (`None`: the beginning; past the end: the end, "now").
    start_at: Option<i64>,
) -> impl IntoView {
    let store = ReviewImages;
    let bounds =
        Memo::new(move |_| events.with(|e| camera.with(|c| screen.with(|s| span(c, s, e)))));
    let head = RwSignal::new(None::<i64>);
    let playing = RwSignal::new(false);
    let speed = RwSignal::new(1i64);
    // Signed URLs by key, and the keys asked for and not yet answered.
    let urls = RwSignal::new(HashMap::<String, String>::new());
    let asked = StoredValue::new(HashSet::<String>::new());
    let error = RwSignal::new(None::<String>);

    // The head starts where asked once the interview's span is known.
    Effect::new(move |_| {
        if let (Some((first, last)), None) = (bounds.get(), head.get_untracked()) {
            head.set(Some(start_at.unwrap_or(first).clamp(first, last)));
        }
    });

    // Sign what is about to be shown.
    Effect::new(move |_| {
        let Some(at) = head.get() else { return };
        let mut keys = Vec::new();
        asked.update_value(|asked| {
            for images in [camera, screen] {
                images.with(|images| {
                    let index = frame_at(images, at).unwrap_or(0);
                    let batch = to_sign(images, index, asked);
                    asked.extend(batch.iter().map(ToString::to_string));
                    keys.extend(batch);
                });
            }
        });
        if keys.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            match store.get_image_urls(&keys).await {
                Ok(signed) => {
                    urls.try_update(|urls| {
                        for url in signed {
                            urls.insert(url.s3_key.to_string(), url.url);
                        }
                    });
                }
                Err(e) => {
                    // Asked again when the head next moves.
                    asked.try_update_value(|asked| {
                        for key in &keys {
                            asked.remove(&key.to_string());
                        }
                    });
                    error.try_set(Some(format!("Could not load images: {e}")));
                }
            }
        });
    });

    // The play head moves while playing; it stops at the end.
    Effect::new(move |_| {
        if !playing.get() {
            return;
        }
        let handle = set_interval_with_handle(
            move || {
                let (Some(at), Some((_, last))) = (head.get_untracked(), bounds.get_untracked())
                else {
                    return;
                };
                let next = at.saturating_add(TICK_MILLIS * speed.get_untracked());
                if next >= last {
                    head.set(Some(last));
                    playing.set(false);
                } else {
                    head.set(Some(next));
                }
            },
            std::time::Duration::from_millis(TICK_MILLIS as u64),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    });

    let marks = Memo::new(move |_| {
        events.with(|events| {
            let mut marks: Vec<i64> = events
                .iter()
                .filter(|e| e.kind.is_flag())
                .map(|e| e.at.timestamp_millis())
                .collect();
            marks.sort_unstable();
            marks.dedup();
            marks
        })
    });
    let toggle = move || {
        if let (Some(at), Some((_, last))) = (head.get_untracked(), bounds.get_untracked()) {
            if !playing.get_untracked() && at >= last {
                // Played to the end: again from the beginning.
                head.set(bounds.get_untracked().map(|(first, _)| first));
            }
        }
        playing.update(|p| *p = !*p);
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let key = ev.key();
        if key == " " || key == "k" {
            ev.prevent_default();
            toggle();
            return;
        }
        let (Some(at), Some(bounds)) = (head.get_untracked(), bounds.get_untracked()) else {
            return;
        };
        if let Some(moved) =
            marks.with_untracked(|marks| key_move(&key, ev.shift_key(), at, bounds, marks))
        {
            ev.prevent_default();
            head.set(Some(moved));
        }
    };

    let frame = move |kind: ImageKind| {
        let images = if kind == ImageKind::Camera {
            camera
        } else {
            screen
        };
        move || {
            let at = head.get()?;
            let image = images.with(|images| frame_at(images, at).map(|i| images[i].clone()))?;
            let key = image.s3_key.to_string();
            let url = urls.with(|urls| urls.get(&key).cloned());
            let failed = key.clone();
            Some(view! {
                <figure class=format!("replay-frame replay-{kind}") data-key=key.clone()>
                    {match url {
                        Some(url) => view! {
                            <img src=url alt=format!("{kind} at {}", time::local(image.timestamp))
                                // An expired or failed URL is signed again.
                                on:error=move |_| {
                                    urls.update(|urls| { urls.remove(&failed); });
                                    asked.update_value(|asked| { asked.remove(&failed); });
                                    head.notify(); // its frames read their URLs again
                                }/>
                        }.into_any(),
                        None => view! { <div class="replay-pending muted">"Loading…"</div> }.into_any(),
                    }}
                    <figcaption>{format!("{kind} · {}", time::local(image.timestamp))}</figcaption>
                </figure>
            })
        }
    };

    let position = move |millis: i64| {
        bounds.get().map_or(0.0, |(first, last)| {
            if last > first {
                (millis - first) as f64 * 100.0 / (last - first) as f64
            } else {
                0.0
            }
        })
    };

    view! {
        <section class="replay" tabindex="0" aria-label="Replay: space plays or pauses, arrows move 5 s (with shift 60 s), [ and ] jump between flags"
            data-head=move || head.get().map(|h| h.to_string()).unwrap_or_default()
            data-playing=move || playing.get().to_string()
            on:keydown=on_key>
            <h2>"Replay"</h2>
            <Show when=move || bounds.with(Option::is_none)>
                <p class="muted">"Nothing was recorded to replay."</p>
            </Show>
            <div class="replay-frames">
                {frame(ImageKind::Camera)}
                {frame(ImageKind::Screen)}
            </div>
            <div class="replay-controls">
                <button class="play" aria-pressed=move || playing.get().to_string() on:click=move |_| toggle()>
                    {move || if playing.get() { "Pause" } else { "Play" }}
                </button>
                <label>"Speed "
                    <select class="speed" on:change=move |ev| speed.set(event_target_value(&ev).parse().unwrap_or(1))>
                        {SPEEDS.map(|s| view! { <option value=s.to_string() selected=s == 1>{format!("{s}×")}</option> })}
                    </select>
                </label>
                <span class="replay-time" aria-live="off">{move || head.get().map(|h| time::local(at_millis(h))).unwrap_or_default()}</span>
            </div>
            <div class="scrubber">
                <input type="range" class="scrub" aria-label="Play head"
                    min=move || bounds.get().map(|b| b.0).unwrap_or(0)
                    max=move || bounds.get().map(|b| b.1).unwrap_or(0)
                    step="100"
                    prop:value=move || head.get().unwrap_or(0)
                    on:input=move |ev| head.set(event_target_value(&ev).parse().ok())/>
                <div class="marks">
                    {move || events.get().into_iter().filter(|e| e.kind.is_flag()).map(|event| {
                        let at = event.at.timestamp_millis();
                        let label = format!("{} at {}", event.kind.label(), time::local(event.at));
                        view! {
                            <button class=format!("mark kind-{}", event.kind.as_str()) title=label.clone() aria-label=label
                                data-at=at.to_string()
                                style:left=move || format!("{:.3}%", position(at))
                                on:click=move |_| { playing.set(false); head.set(Some(at)); }>
                                <span aria-hidden="true">{icon(event.kind)}</span>
                            </button>
                        }
                    }).collect_view()}
                </div>
            </div>
            {move || error.get().map(|message| view! { <p class="notice error" role="alert">{message}</p> })}
            <div class="replay-flag">
                {move || {
                    let at = head.get()?;
                    let event = events.with(|events| flag_at(events, at).cloned())?;
                    let (kind, at, description, id) = (event.kind, event.at, describe(&event), event.event_id.to_string());
                    Some(view! {
                        <div class="flag-now" data-event-id=id data-kind=kind.as_str()>
                            <p><span aria-hidden="true">{icon(kind)}</span> " " <strong>{kind.label()}</strong>
                                " · " {time::local(at)} " · " <span class="muted">{description}</span></p>
                            <Verdicts application_id event can_review reviewed/>
                        </div>
                    })
                }}
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::integrity::{EventKind, EventSource};

    fn image(kind: ImageKind, millis: i64) -> ImageRef {
        let application = ApplicationId(uuid::Uuid::nil());
        let at = at_millis(millis);
        ImageRef::new(
            ObjectKey::new(
                application,
                kind,
                millis,
                uuid::Uuid::from_u128(millis as u128),
            )
            .unwrap(),
            at,
            at,
        )
    }

    fn flag(at: i64, ended: Option<i64>) -> MonitoringEvent {
        MonitoringEvent {
            event_id: uuid::Uuid::from_u128(at as u128),
            kind: EventKind::TabHidden,
            at: at_millis(at),
            ended_at: ended.map(at_millis),
            detail: None,
            source: EventSource::Browser,
            review: None,
            response: None,
        }
    }

    #[test]
    fn the_frame_shown_is_the_last_captured_at_or_before_the_head() {
        let images: Vec<_> = [1_000, 2_000, 3_000]
            .map(|t| image(ImageKind::Camera, t))
            .into();
        assert_eq!(frame_at(&images, 999), None);
        assert_eq!(frame_at(&images, 1_000), Some(0));
        assert_eq!(frame_at(&images, 2_999), Some(1));
        assert_eq!(frame_at(&images, i64::MAX), Some(2));
        assert_eq!(frame_at(&[], 5), None);
    }

    #[test]
    fn images_are_signed_a_batch_ahead_and_only_when_running_low() {
        let images: Vec<_> = (0..100)
            .map(|t| image(ImageKind::Screen, t * 1_000))
            .collect();
        let mut known = HashSet::new();
        let first = to_sign(&images, 0, &known);
        assert_eq!(first.len(), BATCH);
        known.extend(first.iter().map(ToString::to_string));
        assert!(to_sign(&images, 0, &known).is_empty());
        assert!(to_sign(&images, BATCH - LOW_WATER, &known).is_empty());
        let next = to_sign(&images, BATCH - LOW_WATER + 1, &known);
        assert_eq!(
            next.first(),
            Some(&images[BATCH].s3_key),
            "only the unsigned ones"
        );
        assert_eq!(next.len(), BATCH - LOW_WATER + 1);
        assert!(to_sign(&images, 1_000, &known).is_empty(), "past the end");
    }

    #[test]
    fn keys_move_the_head_within_the_interview() {
        let bounds = (10_000, 100_000);
        let marks = [20_000, 50_000];
        assert_eq!(
            key_move("ArrowRight", false, 10_000, bounds, &marks),
            Some(15_000)
        );
        assert_eq!(
            key_move("ArrowRight", true, 90_000, bounds, &marks),
            Some(100_000)
        );
        assert_eq!(
            key_move("ArrowLeft", false, 12_000, bounds, &marks),
            Some(10_000)
        );
        assert_eq!(key_move("]", false, 20_000, bounds, &marks), Some(50_000));
        assert_eq!(key_move("[", false, 20_000, bounds, &marks), None);
        assert_eq!(key_move("End", false, 0, bounds, &marks), Some(100_000));
        assert_eq!(key_move("x", false, 0, bounds, &marks), None);
        assert_eq!(
            key_move("ArrowLeft", false, i64::MIN, (i64::MIN, 0), &[]),
            Some(i64::MIN)
        );
    }

    #[test]
    fn the_flag_under_the_head_is_the_latest_one_still_going() {
        let events = [flag(1_000, Some(60_000)), flag(10_000, None)];
        assert_eq!(flag_at(&events, 500), None);
        assert_eq!(
            flag_at(&events, 2_000).map(|e| e.at.timestamp_millis()),
            Some(1_000)
        );
        assert_eq!(
            flag_at(&events, 12_000).map(|e| e.at.timestamp_millis()),
            Some(10_000)
        );
        assert_eq!(
            flag_at(&events, 30_000).map(|e| e.at.timestamp_millis()),
            Some(1_000)
        );
        assert_eq!(flag_at(&events, 70_000), None);
    }

    #[test]
    fn the_span_covers_images_and_events() {
        let camera = [image(ImageKind::Camera, 5_000)];
        let screen = [image(ImageKind::Screen, 9_000)];
        assert_eq!(
            span(&camera, &screen, &[flag(-3_000, Some(20_000))]),
            Some((-3_000, 20_000))
        );
        assert_eq!(span(&[], &[], &[]), None);
    }
}
