//! The full image, with previous/next by keyboard (← →), Escape to close, and delete.

use leptos::{ev, prelude::*};
use shared::{ImageKind, ImageRef, ObjectKey};

use super::{kind_label, time};

#[component]
pub fn Lightbox(
    open: RwSignal<Option<(ImageKind, usize)>>,
    camera: Signal<Vec<ImageRef>>,
    screen: Signal<Vec<ImageRef>>,
    /// The ID check's photos.
    id: Signal<Vec<ImageRef>>,
    can_delete: bool,
    delete: Callback<Vec<ObjectKey>>,
) -> impl IntoView {
    let store = super::images::ReviewImages;
    let list = move |kind: ImageKind| match kind {
        ImageKind::Camera => camera,
        ImageKind::Screen => screen,
        ImageKind::Id => id,
    };
    let current = Memo::new(move |_| {
        open.get().and_then(|(kind, index)| {
            list(kind)
                .with(|l| l.get(index).cloned())
                .map(|image| (kind, index, image))
        })
    });
    let url = LocalResource::new(move || {
        let key = current.get().map(|(_, _, image)| image.s3_key);
        async move {
            match key {
                Some(key) => store
                    .get_image_url(&key)
                    .await
                    .map(|signed| Some(signed.url)),
                None => Ok(None),
            }
        }
    });
    let step = move |delta: isize| {
        if let Some((kind, index)) = open.get_untracked() {
            let len = list(kind).with_untracked(Vec::len) as isize;
            let next = index as isize + delta;
            if (0..len).contains(&next) {
                open.set(Some((kind, next as usize)));
            }
        }
    };
    let keys = window_event_listener(ev::keydown, move |event| {
        if open.get_untracked().is_none() {
            return;
        }
        match event.key().as_str() {
            "ArrowLeft" => step(-1),
            "ArrowRight" => step(1),
            "Escape" => open.set(None),
            _ => {}
        }
    });
    // Dropping the handle would leave the listener on the window after the page is gone.
    on_cleanup(move || keys.remove());

    move || {
        current.get().map(|(kind, index, image)| {
            let total = list(kind).with(Vec::len);
            let key = image.s3_key.clone();
            view! {
                <div class="lightbox" role="dialog" aria-label="Image" data-key=image.s3_key.to_string()>
                    <header>
                        <strong>{kind_label(kind)}</strong>
                        <span>{format!(" {} of {} · ", index + 1, total)} {time::local(image.timestamp)}</span>
                        <button class="link" on:click=move |_| step(-1) disabled=index == 0>"← Previous"</button>
                        <button class="link" on:click=move |_| step(1) disabled={ index + 1 >= total }>"Next →"</button>
                        <Show when=move || can_delete>
                            <button class="danger delete-one" on:click={let key = key.clone(); move |_| delete.run(vec![key.clone()])}>"Delete this image"</button>
                        </Show>
                        <button class="link close" on:click=move |_| open.set(None)>"Close"</button>
                    </header>
                    {move || url.get().and_then(Result::ok).flatten().map(|src| {
                        let boxes = image.face_boxes.clone();
                        view! {
                            // The frame is the image's size: the detector's boxes (fractions of it) sit on the faces.
                            <div class="frame" data-faces=image.faces.map(|n| n.to_string()).unwrap_or_default()>
                                <img class="full" src=src alt=format!("{} snapshot", kind_label(kind))/>
                                {boxes.into_iter().map(|b| view! {
                                    <div class="face-box" title=format!("face (score {:.1})", b.score)
                                        style=format!("left:{:.2}%;top:{:.2}%;width:{:.2}%;height:{:.2}%", b.x * 100.0, b.y * 100.0, b.w * 100.0, b.h * 100.0)></div>
                                }).collect_view()}
                            </div>
                        }
                    })}
                </div>
            }
        })
    }
}
