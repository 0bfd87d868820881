//! One kind's images as a timeline, a page at a time: each page's URLs come from
//! one `signed-urls` call and are renewed before they expire; thumbnails load
//! lazily (only what is on screen).

use std::collections::{BTreeSet, HashMap};

use leptos::prelude::*;
use shared::{
    integrity::{EventKind, MonitoringEvent},
    ImageKind, ImageRef,
};

use super::{kind_label, time, with_events, Entry, PAGE_SIZE};
use crate::{integrity::review::icon, ui::words::words};

#[component]
pub fn Timeline(
    kind: ImageKind,
    images: Signal<Vec<ImageRef>>,
    /// The events on this timeline (see `on_timeline`), drawn between the images.
    events: Signal<Vec<MonitoringEvent>>,
    can_delete: bool,
    selected: RwSignal<BTreeSet<String>>,
    open: RwSignal<Option<(ImageKind, usize)>>,
) -> impl IntoView {
    let store = super::images::ReviewImages;
    let page = RwSignal::new(0usize);
    let pages = move || images.with(|i| i.len().div_ceil(PAGE_SIZE).max(1));
    // A filter or a delete can shrink the list under the current page.
    Effect::new(move |_| {
        let last = pages() - 1;
        if page.get() > last {
            page.set(last);
        }
    });
    let page_images = Memo::new(move |_| {
        images.with(|i| {
            i.iter()
                .skip(page.get() * PAGE_SIZE)
                .take(PAGE_SIZE)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let renewals = RwSignal::new(0u32);
    let urls = LocalResource::new(move || {
        renewals.track();
        let keys: Vec<_> = page_images
            .get()
            .into_iter()
            .map(|image| image.s3_key)
            .collect();
        async move {
            if keys.is_empty() {
                return Ok(HashMap::new());
            }
            let signed = store.get_image_urls(&keys).await?;
            Ok::<_, crate::error::AppError>(
                signed
                    .into_iter()
                    .map(|s| (s.s3_key.to_string(), (s.url, s.expires_at)))
                    .collect::<HashMap<_, _>>(),
            )
        }
    });
    // Renew a minute before the first of them expires.
    Effect::new(move |_| {
        let Some(Ok(urls)) = urls.get() else { return };
        let Some(expires) = urls.values().map(|(_, expires)| *expires).min() else {
            return;
        };
        let now = chrono::DateTime::from_timestamp_millis(js_now_millis()).unwrap_or_default();
        let wait = (expires - now - chrono::Duration::seconds(60))
            .to_std()
            .unwrap_or_default()
            .max(std::time::Duration::from_secs(5));
        set_timeout(move || renewals.try_update(|n| *n += 1).unwrap_or(()), wait);
    });
    let url_of = move |key: &str| {
        urls.get()
            .and_then(Result::ok)
            .and_then(|urls| urls.get(key).map(|(url, _)| url.clone()))
    };

    let words = words();
    let label = words.get(kind_label(kind));
    view! {
        <section class=format!("timeline {}", kind.as_str()) data-kind=kind.as_str()>
            <h2>{label.clone()} <span class="muted count">{
                let words = words.clone();
                move || words.fill(" · {count} images", &[("count", &images.with(Vec::len).to_string())])
            }</span></h2>
            {move || urls.get().and_then(Result::err).map(|error| view! { <p class="notice error">{error.to_string()}</p> })}
            <ol class="entries">
                {move || {
                    let offset = page.get() * PAGE_SIZE;
                    let mut index = offset;
                    let current = page.get();
                    let (after, before) = images.with(|all| {
                        let at = |index: usize| all.get(index).map(|image: &ImageRef| image.timestamp);
                        ((current > 0).then(|| at(current * PAGE_SIZE)).flatten(), at((current + 1) * PAGE_SIZE))
                    });
                    events.with(|events| with_events(&page_images.get(), events, after, before)).into_iter().map(|entry| match entry {
                        Entry::Event(event) if event.kind == EventKind::CaptureGap => view! {
                            <li class="gap" role="note" data-event-id=event.event_id.to_string()>
                                {words.fill("No captures for {span}", &[("span", &time::span(event.at, event.ended_at.unwrap_or(event.at)))])}
                            </li>
                        }.into_any(),
                        Entry::Event(event) => view! {
                            <li class=format!("marker kind-{}", event.kind.as_str()) role="note" data-event-id=event.event_id.to_string()>
                                <span class="icon" aria-hidden="true">{icon(event.kind)}</span>
                                {format!(" {} · {}", words.get(event.kind.label()), time::local(event.at))}
                                {event.ended_at.map(|end| format!(" · {}", time::span(event.at, end)))}
                            </li>
                        }.into_any(),
                        Entry::Image(image) => {
                            let position = index;
                            index += 1;
                            let key = image.s3_key.to_string();
                            let checked_key = key.clone();
                            let toggle_key = key.clone();
                            let src = url_of(&key);
                            view! {
                                <li class="image" data-key=key.clone() data-time=shared::monitoring::millis::format(&image.timestamp)>
                                    <button class="thumb" on:click=move |_| open.set(Some((kind, position))) title="Open">
                                        {src.map(|src| view! { <img src=src loading="lazy" width="160" height="100" alt=format!("{label} snapshot")/> })}
                                    </button>
                                    <span class="time">{time::local(image.timestamp)}</span>
                                    // Face presence, once the server has analysed a camera image.
                                    {image.faces.map(|faces| view! {
                                        <span class=if faces == 1 { "faces" } else { "faces flagged" } data-faces=faces>
                                            {match faces {
                                                0 => "no face".to_string(),
                                                1 => "1 face".to_string(),
                                                n => format!("{n} faces"),
                                            }}
                                        </span>
                                    })}
                                    // A capture that waited in the browser's queue (offline, say) says when it arrived.
                                    {image.received_late().then(|| view! {
                                        <span class="late" title="Captured while the upload could not go through">
                                            {format!("received {}", time::local(image.stored_at))}
                                        </span>
                                    })}
                                    <Show when=move || can_delete>
                                        <input type="checkbox" class="select" aria-label="Select"
                                            prop:checked={let k = checked_key.clone(); move || selected.with(|s| s.contains(&k))}
                                            on:change={let k = toggle_key.clone(); move |_| selected.update(|s| if !s.remove(&k) { s.insert(k.clone()); })}/>
                                    </Show>
                                </li>
                            }.into_any()
                        }
                    }).collect_view()
                }}
            </ol>
            <nav class="pages">
                <button class="secondary" disabled=move || page.get() == 0 on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"Earlier"</button>
                <span class="muted">{move || format!("page {} of {}", page.get() + 1, pages())}</span>
                <button class="secondary" disabled=move || { page.get() + 1 >= pages() } on:click=move |_| page.update(|p| *p += 1)>"Later"</button>
            </nav>
        </section>
    }
    .into_any()
}

fn js_now_millis() -> i64 {
    #[cfg(feature = "browser")]
    return js_sys::Date::now() as i64;
    #[cfg(not(feature = "browser"))]
    chrono::Utc::now().timestamp_millis()
}
