//! [`EmbeddedInterview`]: a capture link's interview inside a host's page on
//! another origin: connect, consent, then the panel, all through one
//! [`Connection`] that no other code of the page uses.

use leptos::prelude::*;
use shared::{integrity::ConsentTerms, ApplicationSummary};

use crate::{
    connection::Connection,
    consent::{interval_or_default, Interview},
    error::{ErrorKind, PanelError},
    events::{PanelControl, PanelEvent},
    store::MonitoringImages,
    texts::Texts,
    transport,
};

/// Connects, then loads what the interview shows.
async fn open(
    connection: Connection,
    capture_token: Option<String>,
    language: shared::language::Language,
) -> Result<(ApplicationSummary, ConsentTerms), PanelError> {
    let application = transport::open(&connection, capture_token.as_deref()).await?;
    let body = serde_json::json!({ "applicationId": application });
    let summary = transport::post_json(&connection, "/api/applications/get", &body).await;
    let summary: ApplicationSummary = match summary {
        // The session kept for this tab has ended (signed out, expired, erased)
        // and could not be renewed: forget it; the link it came from is used up.
        Err(error) if error.kind == ErrorKind::Unauthenticated => {
            transport::forget_saved(&connection);
            return Err(error);
        }
        other => other?,
    };
    let body = serde_json::json!({ "applicationId": application, "language": language });
    let terms = transport::post_json(&connection, "/api/monitoring/consent/terms", &body).await?;
    Ok((summary, terms))
}

/// A capture link's interview inside a host's Leptos page on another origin:
/// the consent text, then the panel, talking to interview-monitor only
/// through its own [`Connection`] (the host's own requests and server
/// functions are untouched). interview-monitor must list the page's origin in
/// `ALLOWED_ORIGINS`.
///
/// The session comes from `capture_token` (a capture link's token, traded once;
/// a reload of the tab keeps the session), or, without one, from the
/// connection's `fetch_token` ([`Connection::renewing_with`]: a new session
/// on each load), which also renews it when it ends. Rendered on a server it shows "Connecting…" and
/// does nothing; it connects in the browser.
#[component]
pub fn EmbeddedInterview(
    /// interview-monitor's origin, e.g. `https://monitor.example.com` (or give
    /// a `connection`).
    #[prop(optional, into)]
    server: Option<String>,
    /// The connection to use (e.g. one that renews its session); wins over `server`.
    #[prop(optional)]
    connection: Option<Connection>,
    /// A capture link's token.
    #[prop(optional, into)]
    capture_token: Option<String>,
    /// The host's handle: `end()`, and the phase.
    #[prop(optional)]
    control: Option<PanelControl>,
    /// Told of everything that happens.
    #[prop(optional)]
    on_event: Option<Callback<PanelEvent>>,
    /// The candidate's words, replaced.
    #[prop(optional)]
    texts: Option<Texts>,
) -> impl IntoView {
    let texts = texts.unwrap_or_default();
    let connection = match connection {
        Some(connection) => Ok(connection),
        None => Connection::to(server.as_deref().unwrap_or_default()),
    };
    let store = MonitoringImages::new(
        connection
            .clone()
            .unwrap_or_else(|_| Connection::same_origin()),
        texts.clone(),
    );
    store.status.set_on_event(on_event);
    provide_context(store);
    provide_context(texts.clone());
    let control = control.unwrap_or_default();
    let language = texts.language;
    let state = LocalResource::new(move || {
        let (connection, token) = (connection.clone(), capture_token.clone());
        async move { open(connection?, token, language).await }
    });
    let connecting = texts.connecting.to_string();
    let link_ended = texts.link_ended.to_string();
    view! {
        <Suspense fallback=move || view! { <p class="muted">{connecting.clone()}</p> }>
            {move || state.get().map(|result| match result {
                Ok((application, terms)) => {
                    let intervals = (
                        interval_or_default(application.capture.camera_interval),
                        interval_or_default(application.capture.screen_interval),
                    );
                    view! { <Interview application terms candidate=true intervals control/> }.into_any()
                }
                Err(error) => {
                    let message = if error.kind == ErrorKind::Unauthenticated {
                        link_ended.clone()
                    } else {
                        error.message.clone()
                    };
                    store.emit(PanelEvent::Error(error));
                    view! { <p class="notice error embedded-error" role="alert">{message}</p> }.into_any()
                }
            })}
        </Suspense>
    }
}
