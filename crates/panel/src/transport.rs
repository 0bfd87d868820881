//! Every request the panel makes: `fetch` to the connection's origin with its
//! credential, abandoned after [`REQUEST_TIMEOUT_MS`]. What came back travels in
//! the return value: the queue's judgement ([`Attempt`]), the answer's own
//! `Retry-After`, and the server's error kind ([`PanelError`]). A session that
//! has ended is renewed here, once for all the requests that find it ended,
//! when the connection can ([`Connection::renewing_with`]).

use chrono::{DateTime, Utc};
use js_sys::Date;
use serde::{de::DeserializeOwned, Serialize};
use shared::{
    capture::{CaptureFields, CaptureMeta},
    integration::CaptureSession,
    ApplicationId, UploadReceipt,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, RequestInit, Response};

use crate::{
    connection::Connection,
    error::{ErrorKind, PanelError},
    queue::{retry_after_ms, Attempt},
};

/// Longest a request may take, answer included; then it is abandoned and
/// counts as a network failure (a stalled connection cannot hold the queue).
pub const REQUEST_TIMEOUT_MS: u32 = 30_000;

/// How long requests that find the session ended wait for another's renewal.
const RENEWAL_WAIT_MS: u32 = 60_000;

/// What one call came to, as the upload queue judges it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    /// Stored, refused (with the status and the server's words), or no answer.
    pub attempt: Attempt,
    /// The answer's `Retry-After`, in milliseconds.
    pub retry_after_ms: Option<u32>,
    /// The session had ended and was renewed on the way.
    pub renewed: bool,
}

/// One answer: its status (0 for none), `Retry-After` and body text.
struct Answer {
    status: u16,
    retry_after_ms: Option<u32>,
    text: String,
}

impl Answer {
    fn none() -> Self {
        Answer {
            status: 0,
            retry_after_ms: None,
            text: String::new(),
        }
    }

    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn attempt(&self) -> Attempt {
        match self.status {
            0 => Attempt::NetworkFailure,
            _ if self.ok() => Attempt::Stored,
            status => Attempt::Status(status, PanelError::from_answer(status, &self.text)),
        }
    }

    fn result(self) -> Result<String, PanelError> {
        match self.status {
            0 => Err(PanelError::network()),
            _ if self.ok() => Ok(self.text),
            status => Err(PanelError::from_answer(status, &self.text)),
        }
    }
}

/// POSTs `body` once, with the session's token when `authorize`.
async fn send_once(
    connection: &Connection,
    path: &str,
    body: &JsValue,
    content_type: &str,
    authorize: bool,
) -> Answer {
    let Some(window) = web_sys::window() else {
        return Answer::none();
    };
    let Ok(controller) = web_sys::AbortController::new() else {
        return Answer::none();
    };
    let abort = controller.clone();
    // Dropped (and so cancelled) when this function returns.
    let _deadline = gloo_timers::callback::Timeout::new(REQUEST_TIMEOUT_MS, move || abort.abort());
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(body);
    init.set_signal(Some(&controller.signal()));
    let Ok(headers) = web_sys::Headers::new() else {
        return Answer::none();
    };
    let _ = headers.set("content-type", content_type);
    if authorize {
        if let Some(token) = connection.session_token() {
            let _ = headers.set("authorization", &format!("Bearer {token}"));
        }
    }
    init.set_headers(&headers);
    let url = connection.url(path);
    let Ok(response) = JsFuture::from(window.fetch_with_str_and_init(&url, &init)).await else {
        return Answer::none();
    };
    let Ok(response) = response.dyn_into::<Response>() else {
        return Answer::none();
    };
    learn_server_clock(connection, &response);
    let retry_after_ms = response
        .headers()
        .get("retry-after")
        .ok()
        .flatten()
        .and_then(|v| retry_after_ms(&v));
    // Aborted while the answer was read: as good as no answer.
    let text = match response.text() {
        Ok(promise) => match JsFuture::from(promise).await {
            Ok(text) => text.as_string().unwrap_or_default(),
            Err(_) => return Answer::none(),
        },
        Err(_) => String::new(),
    };
    Answer {
        status: response.status(),
        retry_after_ms,
        text,
    }
}

/// POSTs `body` with the session; if the session has ended and can be
/// renewed, renews it and sends once more. Whether it was renewed.
async fn send(
    connection: &Connection,
    path: &str,
    body: &JsValue,
    content_type: &str,
) -> (Answer, bool) {
    let used = connection.session_token();
    let answer = send_once(connection, path, body, content_type, true).await;
    if answer.status == 401 && connection.can_renew() && renew(connection, used).await {
        return (
            send_once(connection, path, body, content_type, true).await,
            true,
        );
    }
    (answer, false)
}

/// Renews the session that `failed_with` was (unless another request has
/// already): a new capture token from the host, traded for a session. Whether
/// the connection has a newer session now.
pub async fn renew(connection: &Connection, failed_with: Option<String>) -> bool {
    let changed = |connection: &Connection| connection.session_token() != failed_with;
    if changed(connection) {
        return true;
    }
    if !connection.begin_renewal() {
        let mut waited = 0;
        while connection.renewing() && waited < RENEWAL_WAIT_MS {
            gloo_timers::future::TimeoutFuture::new(100).await;
            waited += 100;
        }
        return changed(connection);
    }
    // A host whose fetch_token keeps failing is asked again after a growing pause.
    if !connection.renewal_allowed(Date::now()) {
        connection.end_renewal();
        return false;
    }
    let renewed = match connection.token_source() {
        Some(fetch_token) => match within(REQUEST_TIMEOUT_MS, fetch_token()).await {
            Some(Ok(token)) => trade(connection, &token).await.is_ok(),
            Some(Err(_)) | None => false,
        },
        None => false,
    };
    connection.renewal_done(renewed, Date::now());
    connection.end_renewal();
    renewed
}

/// `future`'s output, or `None` if it has not finished after `ms` (a host's
/// `fetch_token` that never answers cannot hold renewal for good).
pub(crate) async fn within<T: 'static>(
    ms: u32,
    future: impl std::future::Future<Output = T> + 'static,
) -> Option<T> {
    let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    let filled = slot.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let value = future.await;
        *filled.borrow_mut() = Some(value);
    });
    let mut waited = 0;
    loop {
        if let Some(value) = slot.borrow_mut().take() {
            return Some(value);
        }
        if waited >= ms {
            return None;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
        waited += 50;
    }
}

/// POSTs `body` as JSON and reads the answer as `T`.
pub async fn post_json<T: DeserializeOwned>(
    connection: &Connection,
    path: &str,
    body: &impl Serialize,
) -> Result<T, PanelError> {
    let json = serde_json::to_string(body)
        .map_err(|e| PanelError::new(ErrorKind::BadRequest, e.to_string()))?;
    let (answer, _) = send(
        connection,
        path,
        &JsValue::from_str(&json),
        "application/json",
    )
    .await;
    let text = answer.result()?;
    serde_json::from_str(&text).map_err(|_| {
        PanelError::new(
            ErrorKind::Internal,
            "interview-monitor's answer could not be read",
        )
    })
}

/// Where a tab keeps the session a capture token was traded for (so a reload
/// keeps it: the token itself is single-use).
fn saved_key(capture_token: &str) -> String {
    format!("interview-monitor:capture:{capture_token}")
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.session_storage().ok().flatten())
}

/// Trades a capture token for a session (`/api/integration/capture-sessions`),
/// which the connection uses from then on, and keeps it in the tab.
pub async fn trade(
    connection: &Connection,
    capture_token: &str,
) -> Result<CaptureSession, PanelError> {
    let body = serde_json::json!({ "token": capture_token }).to_string();
    let answer = send_once(
        connection,
        shared::integration::CAPTURE_SESSIONS_PATH,
        &JsValue::from_str(&body),
        "application/json",
        false,
    )
    .await;
    let text = answer.result()?;
    let session: CaptureSession = serde_json::from_str(&text).map_err(|_| {
        PanelError::new(
            ErrorKind::Internal,
            "interview-monitor's answer could not be read",
        )
    })?;
    // Kept in the tab where this connection keeps its session (a renewal
    // replaces the first); a session from fetch_token alone is not kept.
    let key = connection.saved_under();
    if let (Some(storage), Some(key)) = (session_storage(), &key) {
        let _ = storage.set_item(key, &text);
    }
    connection.set_session(session.session_token.clone(), key);
    Ok(session)
}

/// Gives the connection a session. From `capture_token`: the one this tab
/// already traded it for if it has not expired (so a reload keeps it), else a
/// new trade, kept in the tab. Without one, from the connection's
/// `fetch_token` (a new session each time: its tokens differ on every call,
/// so there is nothing to find again). The application it is for.
pub async fn open(
    connection: &Connection,
    capture_token: Option<&str>,
) -> Result<ApplicationId, PanelError> {
    let token = match capture_token.map(str::trim).filter(|t| !t.is_empty()) {
        Some(token) => {
            let key = saved_key(token);
            let saved = session_storage()
                .and_then(|s| s.get_item(&key).ok().flatten())
                .and_then(|text| serde_json::from_str::<CaptureSession>(&text).ok())
                .filter(|session| session.expires_at.timestamp_millis() as f64 > Date::now());
            if let Some(session) = saved {
                connection.set_session(session.session_token, Some(key));
                return Ok(session.application_id);
            }
            connection.set_saved_under(key);
            token.to_string()
        }
        None => match connection.token_source() {
            Some(fetch_token) => match within(REQUEST_TIMEOUT_MS, fetch_token()).await {
                Some(Ok(token)) => token,
                Some(Err(message)) => {
                    return Err(PanelError::new(ErrorKind::Unauthenticated, message))
                }
                None => {
                    return Err(PanelError::new(
                        ErrorKind::Network,
                        "no capture token came from the page's fetch_token in time",
                    ))
                }
            },
            None => {
                return Err(PanelError::new(
                    ErrorKind::Setup,
                    "no capture token, and no way to fetch one",
                ))
            }
        },
    };
    Ok(trade(connection, &token).await?.application_id)
}

/// Forgets the session this tab keeps for the connection (it has ended).
pub fn forget_saved(connection: &Connection) {
    if let (Some(storage), Some(key)) = (session_storage(), connection.saved_under()) {
        let _ = storage.remove_item(&key);
    }
}

/// Uploads one JPEG through `upload-binary` (raw bytes, no base64), with its
/// record as the query ([`capture_query`]).
pub async fn upload_blob(
    connection: &Connection,
    query: &str,
    blob: &Blob,
) -> (Sent, Option<UploadReceipt>) {
    let path = format!("/api/monitoring/upload-binary?{query}");
    let (answer, renewed) = send(connection, &path, blob, "image/jpeg").await;
    let receipt = answer
        .ok()
        .then(|| serde_json::from_str::<UploadReceipt>(&answer.text).ok())
        .flatten();
    let attempt = match (answer.attempt(), &receipt) {
        (Attempt::Stored, None) => Attempt::Status(
            200,
            PanelError::new(ErrorKind::Internal, "the server's answer could not be read"),
        ),
        (attempt, _) => attempt,
    };
    (
        Sent {
            attempt,
            retry_after_ms: answer.retry_after_ms,
            renewed,
        },
        receipt,
    )
}

/// A capture's record as `upload-binary`'s query: every field of its
/// `CaptureFields`, whichever they are.
pub fn capture_query(meta: &CaptureMeta) -> String {
    let Ok(params) = web_sys::UrlSearchParams::new() else {
        return String::new();
    };
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(CaptureFields::from(meta)) {
        for (name, value) in fields {
            if let serde_json::Value::String(value) = value {
                params.append(&name, &value);
            }
        }
    }
    params.to_string().into()
}

/// The body of `/api/monitoring/events`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventsBody<'a> {
    application_id: ApplicationId,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<&'a str>,
    events: Vec<serde_json::Value>,
}

/// Sends events (each the JSON of an `EventInput`, as kept) in one call.
pub async fn send_events(
    connection: &Connection,
    application: ApplicationId,
    session: Option<&str>,
    events: &[String],
) -> Sent {
    let body = EventsBody {
        application_id: application,
        session_id: session,
        // A kept event that no longer reads is sent as null: the server refuses
        // the batch (400) rather than the queue holding it for good.
        events: events
            .iter()
            .map(|json| serde_json::from_str(json).unwrap_or(serde_json::Value::Null))
            .collect(),
    };
    let body = serde_json::to_string(&body).unwrap_or_default();
    let (answer, renewed) = send(
        connection,
        "/api/monitoring/events",
        &JsValue::from_str(&body),
        "application/json",
    )
    .await;
    Sent {
        attempt: answer.attempt(),
        retry_after_ms: answer.retry_after_ms,
        renewed,
    }
}

/// Learns the server's clock from an answer's `Date` header (whole seconds: the
/// middle of that second is the best guess, within half a second).
fn learn_server_clock(connection: &Connection, response: &Response) {
    let Ok(Some(date)) = response.headers().get("date") else {
        return;
    };
    let server = Date::parse(&date);
    if !server.is_nan() {
        connection.set_clock_offset_ms(server + 500.0 - Date::now());
    }
}

/// Learns the server's clock from a time it sent (to the millisecond; the
/// answer's travel time is the error).
pub fn learn_server_time(connection: &Connection, server: DateTime<Utc>) {
    connection.set_clock_offset_ms(server.timestamp_millis() as f64 - Date::now());
}

/// Asks the server for its clock once (the first capture may come before any
/// upload's answer).
pub async fn sync_server_clock(connection: &Connection) {
    if connection.clock_offset_ms().is_some() {
        return;
    }
    let (Some(window), Ok(controller)) = (web_sys::window(), web_sys::AbortController::new())
    else {
        return;
    };
    let abort = controller.clone();
    let _deadline = gloo_timers::callback::Timeout::new(REQUEST_TIMEOUT_MS, move || abort.abort());
    let init = RequestInit::new();
    init.set_signal(Some(&controller.signal()));
    let answer = window.fetch_with_str_and_init(&connection.url("/healthz"), &init);
    if let Ok(response) = JsFuture::from(answer).await {
        if let Ok(response) = response.dyn_into::<Response>() {
            learn_server_clock(connection, &response);
        }
    }
}

/// The server's clock as well as this browser knows it (its own until it has
/// heard from the server): capture times are on the server's clock, so a
/// laptop whose clock is wrong loses nothing.
pub fn now(connection: &Connection) -> DateTime<Utc> {
    let offset = connection.clock_offset_ms().unwrap_or(0.0);
    DateTime::from_timestamp_millis((Date::now() + offset) as i64).unwrap_or_default()
}
