//! "Acme Careers", rendered on its server and hydrated in the browser, with
//! server functions of its own. Its interview page embeds interview-monitor's
//! panel ([`EmbeddedInterview`]) with a [`Connection`] that gets its capture
//! tokens from Acme's own server function ([`capture_token`], which calls
//! interview-monitor with Acme's service key), both at the start and whenever
//! the session ends. Acme's other server function ([`save_note`]) keeps going
//! to Acme's server before, during and after the interview.

#![recursion_limit = "256"]

use interview_monitor_panel::{
    Connection, EmbeddedInterview, PanelControl, PanelEvent, Phase, PANEL_CSS,
};
use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    hooks::use_params_map,
    path,
};

/// The page around the app; hydration loads `/pkg/ssr_host.js` (wasm-bindgen's output).
pub fn shell(_options: leptos::config::LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="interview-monitor" content=monitor_url()/>
                <title>"Acme Careers"</title>
                <style>{PANEL_CSS}</style>
                <script type="module">
                    "import init, { hydrate } from '/pkg/ssr_host.js'; \
                     init({ module_or_path: '/pkg/ssr_host_bg.wasm' }).then(() => hydrate());"
                </script>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// interview-monitor's origin: the server's setting, written into the page
/// for the browser.
fn monitor_url() -> String {
    #[cfg(feature = "ssr")]
    {
        std::env::var("INTERVIEW_MONITOR_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into())
    }
    #[cfg(not(feature = "ssr"))]
    {
        leptos::prelude::document()
            .query_selector("meta[name=interview-monitor]")
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"))
            .unwrap_or_default()
    }
}

/// Acme's server asks interview-monitor for a capture link for `application`
/// (with Acme's service key, which never leaves Acme's server) and hands the
/// page its token.
#[server(prefix = "/api", endpoint = "platform/capture-token")]
pub async fn capture_token(application: String) -> Result<String, ServerFnError> {
    let monitor = monitor_url();
    let key =
        std::env::var("HOST_API_KEY").map_err(|_| ServerFnError::new("HOST_API_KEY is not set"))?;
    let answer = reqwest::Client::new()
        .post(format!("{monitor}/api/integration/capture-links"))
        .bearer_auth(key)
        .json(&serde_json::json!({ "applicationId": application }))
        .send()
        .await
        .map_err(|e| ServerFnError::new(format!("interview-monitor: {e}")))?;
    if !answer.status().is_success() {
        return Err(ServerFnError::new(format!(
            "interview-monitor answered {}",
            answer.status()
        )));
    }
    let link: serde_json::Value = answer
        .json()
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    let token = link
        .get("token")
        .and_then(|t| t.as_str())
        .map(str::to_string)
        .or_else(|| {
            link.get("url")
                .and_then(|u| u.as_str())
                .and_then(|u| u.rsplit_once("/capture/"))
                .map(|(_, token)| token.to_string())
        })
        .ok_or_else(|| ServerFnError::new("no token in interview-monitor's answer"))?;
    TOKENS_ISSUED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    Ok(token)
}

#[cfg(feature = "ssr")]
static TOKENS_ISSUED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
#[cfg(feature = "ssr")]
static NOTES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Acme's own business: a note saved on Acme's server. The answer says how
/// many notes and capture tokens Acme's server has handled.
#[server(prefix = "/api", endpoint = "platform/notes")]
pub async fn save_note(text: String) -> Result<String, ServerFnError> {
    use std::sync::atomic::Ordering;
    let notes = NOTES.fetch_add(1, Ordering::SeqCst) + 1;
    Ok(format!(
        "Acme's server saved note {notes} ({} characters; {} capture tokens issued)",
        text.chars().count(),
        TOKENS_ISSUED.load(Ordering::SeqCst)
    ))
}

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="platform"><a href="/">"Acme Careers"</a></header>
            <main>
                <Routes fallback=|| view! { <p>"There is no such page at Acme Careers."</p> }>
                    <Route path=path!("/") view=|| view! { <h1>"Your interviews at Acme Careers"</h1> }/>
                    <Route path=path!("/interview/:application") view=InterviewPage/>
                </Routes>
            </main>
        </Router>
    }
}

/// Acme's interview page: its own heading and notes, then the embedded panel.
#[component]
fn InterviewPage() -> impl IntoView {
    let params = use_params_map();
    let application = params
        .read_untracked()
        .get("application")
        .unwrap_or_default();
    let control = PanelControl::new();
    let log = RwSignal::new(Vec::<String>::new());
    let on_event = Callback::new(move |event: PanelEvent| {
        let line = match event {
            PanelEvent::Consented => "consented".to_string(),
            PanelEvent::Started { session_id } => format!("started {session_id}"),
            PanelEvent::CaptureStored { kind, .. } => format!("stored {kind}"),
            PanelEvent::SessionRenewed => "session renewed".into(),
            PanelEvent::SessionExpired => "session expired".into(),
            PanelEvent::Ended { waiting, closed } => {
                format!("ended waiting={waiting} closed={closed}")
            }
            PanelEvent::Error(error) => format!("error {:?}: {}", error.kind, error.message),
            _ => return,
        };
        log.update(|l| l.push(line));
    });
    // Interview-monitor's session comes from Acme's own server function, at the
    // start and whenever it ends.
    let for_token = application.clone();
    let connection = Connection::to(&monitor_url()).map(|connection| {
        connection.renewing_with(move || {
            let application = for_token.clone();
            async move { capture_token(application).await.map_err(|e| e.to_string()) }
        })
    });
    let note = Action::new(|text: &String| save_note(text.clone()));
    let phase = control.phase();
    view! {
        <h1 class="platform-interview">"Acme Careers · your interview"</h1>
        <p>
            <button class="platform-save-note" on:click=move |_| { note.dispatch("ready".into()); }>"Save a note"</button>
            " "
            <span class="platform-note">{move || note.value().get().map(|answer| answer.unwrap_or_else(|e| e.to_string()))}</span>
        </p>
        <p>
            <button class="platform-finish" on:click=move |_| control.end() disabled=move || phase.get() != Phase::Running>
                "Finish the interview"
            </button>
        </p>
        {match connection {
            Ok(connection) => view! { <EmbeddedInterview connection control on_event/> }.into_any(),
            Err(error) => view! { <p class="platform-error">{error.message}</p> }.into_any(),
        }}
        <ul class="platform-events">
            <For each=move || log.get().into_iter().enumerate() key=|(i, _)| *i let:((_, line))>
                <li>{line}</li>
            </For>
        </ul>
    }
}

/// The wasm's entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // Clicks before hydration would be lost: tests wait for this.
    let _ = leptos::prelude::document()
        .body()
        .map(|body| body.set_attribute("data-hydrated", "true"));
}
