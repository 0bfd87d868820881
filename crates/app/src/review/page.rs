//! The review page of one application.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_params_map};
use shared::{ApplicationSummary, ImageKind, ImageRef, ObjectKey, Role};

use super::{filtered, lightbox::Lightbox, timeline::Timeline, time};
use crate::{applications::get_application, auth::me, error::AppError, monitoring::use_monitoring_images, shell::Refusal};

#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let page = Resource::new(id, |id| async move {
        let user = me().await?;
        let application = get_application(id).await?;
        Ok::<_, AppError>((user, application))
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || page.get().map(|result| match result {
                Ok((user, application)) => view! { <Review application can_delete=user.role != Role::Candidate/> }.into_any(),
                Err(AppError::Unauthenticated(_)) => {
                    view! { <Redirect path=format!("/login?next=/applications/{}/review", id())/> }.into_any()
                }
                Err(error) => view! { <Refusal error/> }.into_any(),
            })}
        </Suspense>
    }
}

/// The images (loaded in the browser: times are shown in the viewer's zone).
#[component]
fn Review(application: ApplicationSummary, can_delete: bool) -> impl IntoView {
    let store = use_monitoring_images();
    let application_id = application.id;
    let version = RwSignal::new(0u32);
    let images = LocalResource::new(move || {
        version.track();
        async move { store.get_images(application_id).await }
    });
    let show_camera = RwSignal::new(true);
    let show_screen = RwSignal::new(true);
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let open = RwSignal::new(None::<(ImageKind, usize)>);
    let action_error = RwSignal::new(None::<String>);

    let of_kind = move |kind: ImageKind| -> Vec<ImageRef> {
        let all = images.get().and_then(Result::ok).map(|list| match kind {
            ImageKind::Camera => list.camera,
            ImageKind::Screen => list.screen,
        });
        filtered(&all.unwrap_or_default(), time::from_local_input(&from.get()), time::from_local_input(&to.get()))
    };
    let camera = Signal::derive(move || of_kind(ImageKind::Camera));
    let screen = Signal::derive(move || of_kind(ImageKind::Screen));

    let delete = Callback::new(move |keys: Vec<ObjectKey>| {
        if keys.is_empty() || !time::confirm(&format!("Delete {} image(s)? This cannot be undone.", keys.len())) {
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
        let keys = selected.get_untracked().iter().filter_map(|k| k.parse::<ObjectKey>().ok()).collect();
        delete.run(keys);
    };

    view! {
        <section class="card review">
            <h1>{application.title.clone()}</h1>
            <p class="muted">{application.candidate_email.clone()} " · " {application.organization_name.clone()}</p>
            <form class="filters" on:submit=|ev| ev.prevent_default()>
                <label><input type="checkbox" prop:checked=show_camera on:change=move |_| show_camera.update(|v| *v = !*v)/> " Camera"</label>
                <label><input type="checkbox" prop:checked=show_screen on:change=move |_| show_screen.update(|v| *v = !*v)/> " Screen"</label>
                <label>"From " <input type="datetime-local" name="from" on:change=move |ev| from.set(event_target_value(&ev))/></label>
                <label>"To " <input type="datetime-local" name="to" on:change=move |ev| to.set(event_target_value(&ev))/></label>
                <Show when=move || can_delete>
                    <button type="button" class="danger delete-selected" disabled=move || selected.with(BTreeSet::is_empty) on:click=delete_selected>
                        {move || format!("Delete selected ({})", selected.with(BTreeSet::len))}
                    </button>
                </Show>
            </form>
            {move || action_error.get().map(|message| view! { <p class="notice error" role="alert">{message}</p> })}
            {move || match images.get() {
                None => view! { <p class="muted">"Loading images…"</p> }.into_any(),
                Some(Err(error)) => view! { <p class="notice error" role="alert">{error.to_string()}</p> }.into_any(),
                Some(Ok(_)) => view! {
                    <div class="timelines">
                        <Show when=move || show_camera.get()>
                            <Timeline kind=ImageKind::Camera images=camera can_delete selected open/>
                        </Show>
                        <Show when=move || show_screen.get()>
                            <Timeline kind=ImageKind::Screen images=screen can_delete selected open/>
                        </Show>
                    </div>
                }.into_any(),
            }}
            <Lightbox open camera screen can_delete delete/>
        </section>
    }
    .into_any()
}
