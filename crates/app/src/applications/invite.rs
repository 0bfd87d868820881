//! "Invite a candidate": a recruiter makes the candidate (if new), the
//! application and a capture link in one go, and copies the link to send.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use shared::integration::CaptureLink;

use crate::{
    error::AppError,
    integration::{issue_capture_link, provision_candidate},
};

/// Makes the candidate (if new), the application and a link. `key` is the
/// application's `Idempotency-Key`: the same for every submit of the same
/// form, so a submit repeated (twice at once, or after a lost answer) makes
/// one application.
async fn invite(
    email: String,
    title: String,
    id_check: bool,
    key: String,
) -> Result<CaptureLink, AppError> {
    let candidate = provision_candidate(email, None).await?;
    let application = create_application(candidate.email, title, id_check, key).await?;
    issue_capture_link(application.id.to_string()).await
}

/// `POST /api/integration/applications` with its `Idempotency-Key` header
/// (a server function's client sends no headers of its own).
#[cfg(feature = "browser")]
async fn create_application(
    email: String,
    title: String,
    id_check: bool,
    key: String,
) -> Result<shared::integration::ProvisionedApplication, AppError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let failed = || AppError::Network("the server could not be reached".into());
    let window = web_sys::window().ok_or_else(failed)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let body = serde_json::json!({ "candidateEmail": email, "title": title, "idCheck": id_check })
        .to_string();
    init.set_body(&wasm_bindgen::JsValue::from_str(&body));
    let headers = web_sys::Headers::new().map_err(|_| failed())?;
    let _ = headers.set("content-type", "application/json");
    let _ = headers.set("idempotency-key", &key);
    init.set_headers(&headers);
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str_and_init("/api/integration/applications", &init))
            .await
            .map_err(|_| failed())?
            .dyn_into()
            .map_err(|_| failed())?;
    let text = JsFuture::from(response.text().map_err(|_| failed())?)
        .await
        .map_err(|_| failed())?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        serde_json::from_str(&text)
            .map_err(|_| AppError::Internal("the answer could not be read".into()))
    } else {
        Err(serde_json::from_str::<AppError>(&text).unwrap_or_else(|_| {
            AppError::Internal(format!("the server answered {}", response.status()))
        }))
    }
}

/// Rendered on the server the form does nothing; the browser's version sends.
#[cfg(not(feature = "browser"))]
async fn create_application(
    email: String,
    title: String,
    id_check: bool,
    _key: String,
) -> Result<shared::integration::ProvisionedApplication, AppError> {
    crate::integration::provision_application(email, title, None, None, None, None, Some(id_check))
        .await
}

#[component]
pub fn InviteCandidate(
    /// Called once an application was made (the list shows it).
    on_invited: Callback<()>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let id_check = RwSignal::new(false);
    let link = RwSignal::new(None::<CaptureLink>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // This form's Idempotency-Key: kept until an application is made or the
    // fields change.
    let key = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        email.track();
        title.track();
        id_check.track();
        key.set_value(None);
    });
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        busy.set(true);
        error.set(None);
        link.set(None);
        let (to, job, id) = (
            email.get_untracked(),
            title.get_untracked(),
            id_check.get_untracked(),
        );
        let this = key
            .get_value()
            .unwrap_or_else(|| panel::media::new_id().to_string());
        key.set_value(Some(this.clone()));
        spawn_local(async move {
            match invite(to, job, id, this).await {
                Ok(made) => {
                    key.try_set_value(None);
                    link.try_set(Some(made));
                    on_invited.run(());
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
            busy.try_set(false);
        });
    };
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "browser")]
        if let (Some(made), Some(window)) = (link.get_untracked(), web_sys::window()) {
            let _ = window.navigator().clipboard().write_text(&made.url);
            copied.set(true);
        }
    };
    view! {
        <details class="invite">
            <summary>"Invite a candidate"</summary>
            <form on:submit=submit>
                <label>"Candidate's email" <input type="email" name="email" required bind:value=email/></label>
                <label>"Job title" <input type="text" name="title" required maxlength="200" bind:value=title/></label>
                <label class="check"><input type="checkbox" name="idCheck" bind:checked=id_check/> " Ask for an ID photo first (compared by eye, never by software; deleted soon after the interview)"</label>
                <button type="submit" disabled=move || busy.get()>"Create the interview and a link"</button>
            </form>
            {move || link.get().map(|made| view! {
                <div class="invite-link" role="status">
                    <p>"Send this link to the candidate. It works once, until "
                        {crate::ui::time::local(made.expires_at)} "; it signs them in for this interview only."</p>
                    <input class="capture-link" readonly value=made.url.clone()/>
                    <button type="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
                </div>
            })}
            {move || error.get().map(|message| view! { <p class="notice error" role="alert">{message}</p> })}
        </details>
    }
}
