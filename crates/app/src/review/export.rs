//! The evidence download: `POST /api/monitoring/export` with a JSON body (so
//! every cross-site check of the server applies), saved as a file by the browser.

use leptos::prelude::*;
use shared::ApplicationId;

/// A button that downloads the application's evidence as a zip.
#[component]
pub fn ExportButton(application_id: ApplicationId) -> impl IntoView {
    let pending = RwSignal::new(false);
    let failed = RwSignal::new(None::<String>);
    let start = move |_| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        failed.set(None);
        leptos::task::spawn_local(async move {
            if let Err(message) = download(application_id).await {
                failed.set(Some(message));
            }
            pending.set(false);
        });
    };
    view! {
        <button type="button" class="button export" disabled=move || pending.get() on:click=start>
            {move || if pending.get() { "Preparing the evidence…" } else { "Download the evidence (zip)" }}
        </button>
        <Show when=move || failed.with(Option::is_some)>
            <span class="error" role="alert">{move || failed.get().unwrap_or_default()}</span>
        </Show>
    }
}

#[cfg(feature = "browser")]
async fn download(application_id: ApplicationId) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Blob, HtmlAnchorElement, RequestInit, Response, Url};

    fn failed<T>(_: T) -> String {
        "the download could not be started".to_string()
    }
    let window = web_sys::window().ok_or("no window")?;
    let init = RequestInit::new();
    init.set_method("POST");
    let headers = web_sys::Headers::new().map_err(failed)?;
    headers
        .set("content-type", "application/json")
        .map_err(failed)?;
    init.set_headers(&headers);
    let body = serde_json::json!({ "applicationId": application_id }).to_string();
    init.set_body(&wasm_bindgen::JsValue::from_str(&body));
    let response: Response =
        JsFuture::from(window.fetch_with_str_and_init("/api/monitoring/export", &init))
            .await
            .map_err(|_| "the server could not be reached".to_string())?
            .dyn_into()
            .map_err(failed)?;
    if !response.ok() {
        let text = match response.text() {
            Ok(promise) => JsFuture::from(promise)
                .await
                .ok()
                .and_then(|t| t.as_string()),
            Err(_) => None,
        };
        return Err(text
            .and_then(|t| serde_json::from_str::<crate::AppError>(&t).ok())
            .map(|e| e.to_string())
            .unwrap_or_else(|| format!("the server answered {}", response.status())));
    }
    let blob: Blob = JsFuture::from(response.blob().map_err(failed)?)
        .await
        .map_err(|_| "the download broke off".to_string())?
        .dyn_into()
        .map_err(failed)?;
    let url = Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let document = window.document().ok_or("no document")?;
    let link: HtmlAnchorElement = document
        .create_element("a")
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    link.set_href(&url);
    link.set_download(&format!("evidence-{application_id}.zip"));
    if let Some(body) = document.body() {
        let _ = body.append_child(&link);
        link.click();
        link.remove();
    }
    let _ = Url::revoke_object_url(&url);
    Ok(())
}

#[cfg(not(feature = "browser"))]
async fn download(_application_id: ApplicationId) -> Result<(), String> {
    Err("downloads start in the browser".into())
}
