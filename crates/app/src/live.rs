//! The live view: the running interviews of the recruiter's organization (all
//! of them for an admin) as a grid of tiles, each with its latest camera and
//! screen frame, its level and the flags raised while watching, pushed by the
//! server (`GET /api/monitoring/live`, server-sent events). A tile opens the
//! replay at "now".

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::components::Redirect;
use serde::Deserialize;
use shared::{
    integrity::{EventKind, IntegrityLevel},
    lifecycle::InterviewState,
    ApplicationId, ApplicationSummary, ImageKind,
};

use crate::{
    applications::search_applications,
    error::AppError,
    integrity::{icon, LevelBadge},
    ui::refusal::Refusal,
};

/// The grid's sizes.
pub const SIZES: [usize; 3] = [4, 9, 16];

/// A `frame` event's data.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameData {
    pub application_id: ApplicationId,
    pub kind: ImageKind,
    pub s3_key: String,
    #[serde(with = "shared::monitoring::millis")]
    pub captured_at: chrono::DateTime<chrono::Utc>,
}

/// A `flag` event's data.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagData {
    pub application_id: ApplicationId,
    pub kind: EventKind,
}

/// One running interview as a tile shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tile {
    pub title: String,
    pub candidate: String,
    pub level: IntegrityLevel,
    /// Key and signed URL of the latest frame of each kind.
    pub camera: Option<(String, Option<String>)>,
    pub screen: Option<(String, Option<String>)>,
    /// Flags raised while watching, newest last.
    pub flags: Vec<EventKind>,
    /// Milliseconds of the latest frame or flag: the grid shows the most active.
    pub last: i64,
}

impl Tile {
    fn of(application: &ApplicationSummary) -> Self {
        Tile {
            title: application.title.clone(),
            candidate: application.candidate_email.clone(),
            level: application.integrity_level,
            last: application
                .last_capture_at
                .unwrap_or(application.created_at)
                .timestamp_millis(),
            ..Tile::default()
        }
    }
}

/// The `size` tiles to show: the most recently active first.
pub fn shown(tiles: &HashMap<ApplicationId, Tile>, size: usize) -> Vec<(ApplicationId, Tile)> {
    let mut all: Vec<_> = tiles.iter().map(|(id, t)| (*id, t.clone())).collect();
    all.sort_by(|a, b| b.1.last.cmp(&a.1.last).then(a.0.cmp(&b.0)));
    all.truncate(size);
    all
}

#[component]
pub fn LivePage() -> impl IntoView {
    let running = Resource::new(
        || (),
        |_| async move {
            search_applications(
                Some(InterviewState::InProgress.as_str().into()),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                Some(shared::search::MAX_LIMIT),
            )
            .await
        },
    );
    let tiles = RwSignal::new(HashMap::<ApplicationId, Tile>::new());
    let size = RwSignal::new(SIZES[0]);
    let status = RwSignal::new("Connecting…".to_string());
    Effect::new(move |_| {
        if let Some(Ok(page)) = running.get() {
            tiles.update(|tiles| {
                for application in &page.applications {
                    tiles
                        .entry(application.id)
                        .or_insert_with(|| Tile::of(application));
                }
            });
        }
    });
    #[cfg(feature = "browser")]
    browser::listen(tiles, status);

    view! {
        <section class="card live">
            <h1>"Live interviews"</h1>
            <p class="muted"><a href="/applications">"Back to the applications"</a></p>
            <p class="live-controls">
                <label>"Tiles "
                    <select class="grid-size" on:change=move |ev| size.set(event_target_value(&ev).parse().unwrap_or(SIZES[0]))>
                        {SIZES.map(|n| view! { <option value=n.to_string()>{n.to_string()}</option> })}
                    </select>
                </label>
                <span class="live-status muted" role="status">{move || status.get()}</span>
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || running.get().map(|result| match result {
                    Ok(_) => view! {
                        <div class="live-grid" data-size=move || size.get().to_string()>
                            {move || {
                                let shown = tiles.with(|t| shown(t, size.get()));
                                if shown.is_empty() {
                                    return view! { <p class="muted no-live">"No interview is running."</p> }.into_any();
                                }
                                shown.into_iter().map(|(id, tile)| view! { <LiveTile id tile/> }).collect_view().into_any()
                            }}
                        </div>
                    }.into_any(),
                    Err(AppError::Unauthenticated(_)) => view! { <Redirect path="/login?next=/live"/> }.into_any(),
                    Err(error) => view! { <Refusal error/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn LiveTile(id: ApplicationId, tile: Tile) -> impl IntoView {
    let frame = |kind: ImageKind, frame: Option<(String, Option<String>)>| {
        match frame {
        Some((key, Some(url))) => view! {
            <img class=format!("live-{kind}") src=url data-key=key alt=format!("latest {kind} frame")/>
        }
        .into_any(),
        Some((key, None)) => view! { <div class=format!("live-{kind} pending") data-key=key>"…"</div> }.into_any(),
        None => view! { <div class=format!("live-{kind} none muted")>{format!("no {kind} yet")}</div> }.into_any(),
    }
    };
    let flags = tile.flags.len();
    view! {
        <a class="live-tile" href=format!("/applications/{id}/review?at=now") data-application-id=id.to_string()
            data-flags=flags.to_string()>
            <div class="live-frames">
                {frame(ImageKind::Camera, tile.camera)}
                {frame(ImageKind::Screen, tile.screen)}
            </div>
            <div class="live-caption">
                <strong>{tile.title}</strong>
                <span class="muted">{tile.candidate}</span>
                <LevelBadge level=tile.level/>
                {(flags > 0).then(|| view! {
                    <span class="live-flags" aria-label=format!("{flags} new flags")>
                        {tile.flags.iter().rev().take(5).map(|kind| view! { <span title=kind.label()>{icon(*kind)}</span> }).collect_view()}
                    </span>
                })}
            </div>
        </a>
    }
}

/// Applies a `frame` to the tiles; `true` when its application has no tile yet.
pub fn apply_frame(tiles: &mut HashMap<ApplicationId, Tile>, frame: &FrameData) -> bool {
    let known = tiles.contains_key(&frame.application_id);
    if frame.kind == ImageKind::Id {
        // An ID photo is no frame of the interview: the review page shows it.
        return false;
    }
    let tile = tiles.entry(frame.application_id).or_default();
    let slot = match frame.kind {
        ImageKind::Camera | ImageKind::Id => &mut tile.camera,
        ImageKind::Screen => &mut tile.screen,
    };
    // Keep the URL of the frame shown until the new one is signed.
    *slot = Some((frame.s3_key.clone(), None));
    tile.last = tile.last.max(frame.captured_at.timestamp_millis());
    !known
}

/// Applies a signed URL to the tile still showing its key.
pub fn apply_url(tiles: &mut HashMap<ApplicationId, Tile>, key: &str, url: &str) {
    for tile in tiles.values_mut() {
        for (shown, signed) in [&mut tile.camera, &mut tile.screen].into_iter().flatten() {
            if shown == key {
                *signed = Some(url.to_string());
            }
        }
    }
}

/// Fills a tile's words from its application (a tile made by a frame has none).
#[cfg(feature = "browser")]
async fn describe(tiles: RwSignal<HashMap<ApplicationId, Tile>>, id: ApplicationId) {
    if let Ok(application) = crate::applications::get_application(id.to_string()).await {
        tiles.try_update(|tiles| {
            if let Some(tile) = tiles.get_mut(&id) {
                tile.title = application.title;
                tile.candidate = application.candidate_email;
                tile.level = application.integrity_level;
            }
        });
    }
}

#[cfg(feature = "browser")]
mod browser {
    use std::collections::HashMap;

    use leptos::prelude::*;
    use shared::{ApplicationId, ObjectKey};
    use wasm_bindgen::{closure::Closure, JsCast};

    use super::{apply_frame, apply_url, describe, FlagData, FrameData, Tile};
    use crate::monitoring::get_monitoring_image_signed_urls;

    /// How long frames gather before one call signs them all.
    const SIGN_AFTER_MILLIS: u64 = 300;

    /// Opens the stream and keeps the tiles up to date until the page goes.
    pub fn listen(tiles: RwSignal<HashMap<ApplicationId, Tile>>, status: RwSignal<String>) {
        Effect::new(move |_| {
            let Ok(source) = web_sys::EventSource::new(shared::monitoring::LIVE_PATH) else {
                status.set("This browser cannot receive live updates.".into());
                return;
            };
            let waiting = StoredValue::new(Vec::<String>::new());
            let sign_later = move || {
                let first = waiting.with_value(Vec::is_empty);
                if !first {
                    return;
                }
                set_timeout(
                    move || {
                        let keys = waiting.try_update_value(std::mem::take).unwrap_or_default();
                        let keys: Vec<String> = keys
                            .into_iter()
                            .filter(|k| k.parse::<ObjectKey>().is_ok())
                            .collect();
                        if keys.is_empty() {
                            return;
                        }
                        leptos::task::spawn_local(async move {
                            if let Ok(signed) = get_monitoring_image_signed_urls(keys).await {
                                tiles.try_update(|tiles| {
                                    for url in signed.urls {
                                        apply_url(tiles, &url.s3_key.to_string(), &url.url);
                                    }
                                });
                            }
                        });
                    },
                    std::time::Duration::from_millis(SIGN_AFTER_MILLIS),
                );
            };
            let on_frame = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |event: web_sys::MessageEvent| {
                    let Some(text) = event.data().as_string() else {
                        return;
                    };
                    let Ok(frame) = serde_json::from_str::<FrameData>(&text) else {
                        return;
                    };
                    sign_later();
                    waiting.update_value(|w| w.push(frame.s3_key.clone()));
                    let new = tiles
                        .try_update(|tiles| apply_frame(tiles, &frame))
                        .unwrap_or(false);
                    if new {
                        leptos::task::spawn_local(describe(tiles, frame.application_id));
                    }
                },
            );
            let on_flag = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |event: web_sys::MessageEvent| {
                    let Some(text) = event.data().as_string() else {
                        return;
                    };
                    let Ok(flag) = serde_json::from_str::<FlagData>(&text) else {
                        return;
                    };
                    tiles.try_update(|tiles| {
                        let tile = tiles.entry(flag.application_id).or_default();
                        tile.flags.push(flag.kind);
                        tile.last = tile.last.max(js_sys::Date::now() as i64);
                    });
                    // The level may have moved.
                    leptos::task::spawn_local(describe(tiles, flag.application_id));
                },
            );
            let on_open = Closure::<dyn FnMut()>::new(move || status.set("Live".into()));
            let on_error = Closure::<dyn FnMut()>::new(move || status.set("Reconnecting…".into()));
            let _ =
                source.add_event_listener_with_callback("frame", on_frame.as_ref().unchecked_ref());
            let _ =
                source.add_event_listener_with_callback("flag", on_flag.as_ref().unchecked_ref());
            source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            // Kept as long as the page: the listeners with the stream they listen to.
            let held = StoredValue::new_local((source, on_frame, on_flag, on_open, on_error));
            on_cleanup(move || held.with_value(|(source, ..)| source.close()));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(application: ApplicationId, kind: ImageKind, key: &str, millis: i64) -> FrameData {
        FrameData {
            application_id: application,
            kind,
            s3_key: key.into(),
            captured_at: chrono::DateTime::from_timestamp_millis(millis).unwrap(),
        }
    }

    #[test]
    fn a_frame_replaces_its_kind_and_is_shown_once_signed() {
        let id = ApplicationId(uuid::Uuid::from_u128(1));
        let mut tiles = HashMap::new();
        assert!(apply_frame(
            &mut tiles,
            &frame(id, ImageKind::Camera, "a", 10)
        ));
        assert!(!apply_frame(
            &mut tiles,
            &frame(id, ImageKind::Camera, "b", 20)
        ));
        apply_url(&mut tiles, "a", "https://old");
        assert_eq!(
            tiles[&id].camera,
            Some(("b".into(), None)),
            "a late URL of an older frame is dropped"
        );
        apply_url(&mut tiles, "b", "https://new");
        assert_eq!(
            tiles[&id].camera,
            Some(("b".into(), Some("https://new".into())))
        );
        assert_eq!(tiles[&id].screen, None);
        assert_eq!(tiles[&id].last, 20);
    }

    #[test]
    fn the_grid_shows_the_most_recently_active() {
        let mut tiles = HashMap::new();
        for n in 0..20u128 {
            tiles.insert(
                ApplicationId(uuid::Uuid::from_u128(n)),
                Tile {
                    last: n as i64,
                    ..Tile::default()
                },
            );
        }
        let shown = shown(&tiles, 4);
        assert_eq!(
            shown.iter().map(|(_, t)| t.last).collect::<Vec<_>>(),
            [19, 18, 17, 16]
        );
    }
}
