//! The ID check on the review page: the candidate's ID photos beside their
//! first camera snapshots, for a person to compare by eye. Nothing here, nor
//! anywhere in interview-monitor, compares faces automatically.

use leptos::prelude::*;
use shared::{ImageRef, ObjectKey};

use super::time;
use crate::ui::words::{t, words};

/// How many of the earliest loaded camera snapshots stand beside the ID photos.
const BESIDE: usize = 3;

#[component]
pub fn IdCheck(
    /// The application's ID photos, oldest first.
    id: Signal<Vec<ImageRef>>,
    /// Its camera snapshots, oldest first.
    camera: Signal<Vec<ImageRef>>,
    /// Days an ID photo is kept after the interview.
    kept_days: Option<u32>,
) -> impl IntoView {
    let store = super::images::ReviewImages;
    // (an ID photo?, the image), the ID photos first.
    let shown = Memo::new(move |_| {
        let mut shown: Vec<(bool, ImageRef)> = id.get().into_iter().map(|i| (true, i)).collect();
        camera.with(|c| shown.extend(c.iter().take(BESIDE).cloned().map(|i| (false, i))));
        shown
    });
    let urls = LocalResource::new(move || {
        let keys: Vec<ObjectKey> = shown.get().into_iter().map(|(_, i)| i.s3_key).collect();
        async move {
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            store.get_image_urls(&keys).await
        }
    });
    let url_of = move |key: &ObjectKey| {
        urls.get()
            .and_then(Result::ok)
            .and_then(|urls| urls.into_iter().find(|u| &u.s3_key == key).map(|u| u.url))
    };
    let words = words();
    let kept = match kept_days {
        Some(days) => words.fill(
            " ID photos are deleted {days} days after the interview.",
            &[("days", &days.to_string())],
        ),
        None => String::new(),
    };
    view! {
        <section class="id-check" aria-labelledby="id-check-heading">
            <h2 id="id-check-heading">{words.get("ID check")}</h2>
            <p class="muted">{words.get("Compare the ID photo with the first camera snapshots by eye: nothing compares faces automatically.")} {kept}</p>
            <Show when=move || id.with(Vec::is_empty)>
                <p class="notice no-id-photo" role="status">{t("No ID photo has been taken.")}</p>
            </Show>
            {move || urls.get().and_then(Result::err).map(|error| view! { <p class="notice error" role="alert">{error.to_string()}</p> })}
            <div class="id-compare">
                {move || shown.get().into_iter().map(|(is_id, image)| {
                    let label = t(if is_id { "ID photo" } else { "Camera" });
                    let caption = format!("{label} · {}", time::local(image.timestamp));
                    let src = url_of(&image.s3_key);
                    view! {
                        <figure class=if is_id { "id-photo" } else { "first-camera" } data-key=image.s3_key.to_string()>
                            {src.map(|src| {
                                let href = src.clone();
                                view! {
                                    <a href=href target="_blank" rel="noopener">
                                        <img src=src alt=caption.clone() loading="lazy"/>
                                    </a>
                                }
                            })}
                            <figcaption>{caption.clone()}</figcaption>
                        </figure>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}
