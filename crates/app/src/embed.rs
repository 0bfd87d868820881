//! Embedding the panel in another Leptos app, served from another origin.
//!
//! A hiring platform's page gets a capture link's token (from
//! `/api/integration/capture-links`, which its server called with a service
//! key) and renders [`EmbeddedInterview`] with interview-monitor's URL and that
//! token. The component trades the token for a session once
//! (`/api/integration/capture-sessions`; kept in the tab's sessionStorage so a
//! reload keeps it), points every call at interview-monitor (server functions
//! through [`EmbedClient`], uploads and events through the panel's own fetch)
//! with the session as `Authorization: Bearer`, shows the consent text and then
//! the panel. interview-monitor must list the page's origin in ALLOWED_ORIGINS.
//!
//! Without [`connect`] nothing changes: calls go to the page's own origin with
//! its cookie, as on interview-monitor's own pages.

use leptos::server_fn::{
    client::{browser::BrowserClient, Client},
    error::FromServerFnError,
    request::browser::BrowserRequest,
    response::browser::BrowserResponse,
};

#[cfg(feature = "browser")]
thread_local! {
    /// interview-monitor's origin and the session's token, once connected.
    static CONNECTION: std::cell::RefCell<Option<(String, String)>> = const { std::cell::RefCell::new(None) };
}

/// `path` on interview-monitor: unchanged unless embedded.
pub fn url(path: &str) -> String {
    #[cfg(feature = "browser")]
    if path.starts_with('/') {
        if let Some(base) = CONNECTION.with(|c| c.borrow().as_ref().map(|(base, _)| base.clone())) {
            return format!("{base}{path}");
        }
    }
    path.to_string()
}

/// `Authorization`'s value when embedded.
pub fn authorization() -> Option<String> {
    #[cfg(feature = "browser")]
    {
        CONNECTION.with(|c| {
            c.borrow()
                .as_ref()
                .map(|(_, token)| format!("Bearer {token}"))
        })
    }
    #[cfg(not(feature = "browser"))]
    None
}

/// Whether this page's panel is embedded (connected to interview-monitor on
/// another origin with a capture link's session).
pub fn embedded() -> bool {
    authorization().is_some()
}

/// What a candidate whose session ended does next: embedded, there is no
/// sign-in page to go to and provisioned candidates have no password.
pub const ENDED_EMBEDDED: &str = "Your session has ended. Captures continue and are kept; \
    open a new interview link from the platform that sent you this one, and they upload \
    from where they stopped.";

/// The server functions' client: the browser's `fetch`, plus the embedded
/// session's `Authorization` when there is one. (Their base URL is
/// `server_fn`'s own, set by [`connect`].)
pub struct EmbedClient;

impl<E, IS, OS> Client<E, IS, OS> for EmbedClient
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(
        req: Self::Request,
    ) -> impl std::future::Future<Output = Result<Self::Response, E>> + Send {
        if let Some(value) = authorization() {
            req.headers().set("authorization", &value);
        }
        <BrowserClient as Client<E, IS, OS>>::send(req)
    }

    fn open_websocket(
        path: &str,
    ) -> impl std::future::Future<
        Output = Result<
            (
                impl futures::Stream<
                        Item = Result<leptos::server_fn::Bytes, leptos::server_fn::Bytes>,
                    > + Send
                    + 'static,
                impl futures::Sink<leptos::server_fn::Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl std::future::Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}

/// Points this page's calls at interview-monitor (`server`, its origin) and
/// trades the capture link's `token` for a session (once: a reload of the tab
/// finds it in sessionStorage). The application the session is for.
#[cfg(feature = "browser")]
pub async fn connect(server: &str, token: &str) -> Result<shared::ApplicationId, crate::AppError> {
    use crate::AppError;
    use shared::integration::CaptureSession;

    let base = server.trim().trim_end_matches('/').to_string();
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(AppError::BadRequest(format!(
            "`{base}` is not interview-monitor's URL"
        )));
    }
    // The server functions' base: set once per page, leaked once (a few bytes).
    if leptos::server_fn::client::get_server_url() != base {
        leptos::server_fn::client::try_set_server_url(Box::leak(base.clone().into_boxed_str()))
            .map_err(|_| {
                AppError::BadRequest(
                    "this page is already connected to another interview-monitor".into(),
                )
            })?;
    }
    let storage = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    let saved_under = saved_under(token);
    let now = crate::monitoring::browser::now();
    let saved = storage
        .as_ref()
        .and_then(|s| s.get_item(&saved_under).ok().flatten())
        .and_then(|text| serde_json::from_str::<CaptureSession>(&text).ok())
        .filter(|session| session.expires_at > now);
    let session = match saved {
        Some(session) => session,
        None => {
            CONNECTION.with(|c| *c.borrow_mut() = Some((base.clone(), String::new())));
            let body = serde_json::json!({ "token": token }).to_string();
            let answer =
                crate::monitoring::browser::post_json("/api/integration/capture-sessions", &body)
                    .await
                    .map_err(AppError::Unauthenticated)?;
            let session: CaptureSession = serde_json::from_str(&answer).map_err(|_| {
                AppError::Internal("interview-monitor's answer could not be read".into())
            })?;
            if let Some(storage) = &storage {
                let _ = storage.set_item(&saved_under, &answer);
            }
            session
        }
    };
    CONNECTION.with(|c| *c.borrow_mut() = Some((base, session.session_token.clone())));
    Ok(session.application_id)
}

/// Where a tab keeps the session a capture link's token was traded for.
#[cfg(feature = "browser")]
fn saved_under(token: &str) -> String {
    format!("interview-monitor:capture:{token}")
}

/// Connects, then loads what the interview page shows.
#[cfg(feature = "browser")]
async fn open(
    server: &str,
    token: &str,
) -> Result<(shared::ApplicationSummary, shared::integrity::ConsentTerms), crate::AppError> {
    let application = connect(server, token).await?.to_string();
    let summary = match crate::applications::get_application(application.clone()).await {
        // The session kept for this tab has ended (signed out, expired, erased):
        // forget it; the link it came from is used up.
        Err(crate::AppError::Unauthenticated(_)) => {
            if let Some(storage) =
                web_sys::window().and_then(|w| w.session_storage().ok().flatten())
            {
                let _ = storage.remove_item(&saved_under(token));
            }
            return Err(crate::AppError::Unauthenticated(
                "This interview session has ended. Open a new interview link from the platform \
                 that sent you this one; captures waiting in this browser upload then."
                    .into(),
            ));
        }
        other => other?,
    };
    let terms = crate::integrity::get_consent_terms(application).await?;
    Ok((summary, terms))
}

#[cfg(not(feature = "browser"))]
async fn open(
    _server: &str,
    _token: &str,
) -> Result<(shared::ApplicationSummary, shared::integrity::ConsentTerms), crate::AppError> {
    Err(crate::AppError::BadRequest(
        "an embedded interview runs in the browser".into(),
    ))
}

/// A capture link's interview inside another Leptos app: consent, then the
/// panel, talking to interview-monitor at `server`. Rendered in the browser
/// only (the host's server knows nothing of the session).
#[leptos::component]
pub fn EmbeddedInterview(
    /// interview-monitor's origin, e.g. `https://monitor.example.com`.
    #[prop(into)]
    server: String,
    /// The token of a capture link (the part after `/capture/`).
    #[prop(into)]
    capture_token: String,
) -> impl leptos::IntoView {
    use leptos::prelude::*;

    use crate::monitoring::interview;

    let state = LocalResource::new(move || {
        let (server, token) = (server.clone(), capture_token.clone());
        async move { open(&server, &token).await }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Connecting to the interview…"</p> }>
            {move || state.get().map(|result| match result {
                Ok((application, terms)) => {
                    let intervals = (
                        interview::interval_or_default(application.capture.camera_interval),
                        interview::interval_or_default(application.capture.screen_interval),
                    );
                    view! { <interview::Interview application terms candidate=true intervals/> }.into_any()
                }
                Err(error) => view! { <p class="notice error embedded-error" role="alert">{error.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}
