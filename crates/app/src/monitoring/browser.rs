//! The browser's side of monitoring, through web-sys: camera and screen streams,
//! drawing a video frame to a canvas and encoding it as JPEG, and the binary upload.

use js_sys::{Date, Promise};
use shared::{ApplicationId, ImageKind, UploadReceipt};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, CanvasRenderingContext2d, DisplayMediaStreamConstraints, HtmlCanvasElement,
    HtmlVideoElement, MediaStream, MediaStreamConstraints, RequestInit, Response,
};

use super::queue::Attempt;
use crate::error::AppError;

/// JPEG quality of every snapshot, as the seed's `toDataURL('image/jpeg', 0.8)`.
pub const JPEG_QUALITY: f64 = 0.8;
/// Wider frames (large screens) are scaled down to this before encoding.
pub const MAX_WIDTH: u32 = 1920;

fn window() -> Result<web_sys::Window, String> {
    web_sys::window().ok_or_else(|| "no browser window".to_string())
}

/// A short text for a JS error (DOMException name and message, or its string form).
pub fn describe(error: &JsValue) -> String {
    if let Some(exception) = error.dyn_ref::<web_sys::DomException>() {
        return format!("{}: {}", exception.name(), exception.message());
    }
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}

/// The DOMException name, e.g. `NotAllowedError`.
pub fn error_name(error: &JsValue) -> String {
    error
        .dyn_ref::<web_sys::DomException>()
        .map(|e| e.name())
        .unwrap_or_default()
}

thread_local! {
    /// The server's clock minus the browser's, in milliseconds, learnt from the
    /// `Date` header of the server's answers: capture times are taken on the
    /// server's clock, so a laptop whose clock runs fast or slow loses nothing.
    static CLOCK_OFFSET_MS: std::cell::Cell<Option<f64>> = const { std::cell::Cell::new(None) };
}

/// Learns the server's clock from an answer's `Date` header (whole seconds: the
/// middle of that second is the best guess, within half a second).
pub fn learn_server_clock(response: &Response) {
    let Ok(Some(date)) = response.headers().get("date") else {
        return;
    };
    let server = Date::parse(&date);
    if server.is_nan() {
        return;
    }
    let offset = server + 500.0 - Date::now();
    CLOCK_OFFSET_MS.with(|cell| cell.set(Some(offset)));
}

/// Learns the server's clock from a time it sent (to the millisecond; the answer's
/// travel time is the error).
pub fn learn_server_time(server: chrono::DateTime<chrono::Utc>) {
    let offset = server.timestamp_millis() as f64 - Date::now();
    CLOCK_OFFSET_MS.with(|cell| cell.set(Some(offset)));
}

/// Asks the server for its clock once (the first capture may come before any upload's answer).
pub async fn sync_server_clock() {
    if CLOCK_OFFSET_MS.with(|cell| cell.get()).is_some() {
        return;
    }
    let Ok(window) = window() else { return };
    if let Ok(response) =
        JsFuture::from(window.fetch_with_str(&crate::embed::url("/healthz"))).await
    {
        if let Ok(response) = response.dyn_into::<Response>() {
            learn_server_clock(&response);
        }
    }
}

/// The server's clock as well as the browser knows it (its own until it has heard
/// from the server). chrono's clock needs a feature the wasm build leaves out.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    let offset = CLOCK_OFFSET_MS.with(|cell| cell.get()).unwrap_or(0.0);
    chrono::DateTime::from_timestamp_millis((Date::now() + offset) as i64).unwrap_or_default()
}

pub fn performance_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(Date::now)
}

/// A random UUID from the browser (`crypto.randomUUID()`).
pub fn random_uuid() -> Option<String> {
    web_sys::window()?
        .crypto()
        .ok()
        .map(|crypto| crypto.random_uuid())
}

pub fn random_unit() -> f64 {
    js_sys::Math::random()
}

pub async fn camera_stream() -> Result<MediaStream, JsValue> {
    let devices = window()
        .map_err(JsValue::from)?
        .navigator()
        .media_devices()?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_video(&JsValue::TRUE);
    constraints.set_audio(&JsValue::FALSE);
    let stream = JsFuture::from(devices.get_user_media_with_constraints(&constraints)?).await?;
    stream.dyn_into()
}

pub async fn screen_stream() -> Result<MediaStream, JsValue> {
    let devices = window()
        .map_err(JsValue::from)?
        .navigator()
        .media_devices()?;
    let constraints = DisplayMediaStreamConstraints::new();
    // Ask for the entire screen (the browser may still let the candidate pick a window).
    let video = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&video, &"displaySurface".into(), &"monitor".into());
    constraints.set_video(&video);
    constraints.set_audio(&JsValue::FALSE);
    let stream = JsFuture::from(devices.get_display_media_with_constraints(&constraints)?).await?;
    stream.dyn_into()
}

pub fn stop_stream(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

thread_local! {
    /// One canvas for every capture: making one each time costs more than drawing.
    static CANVAS: std::cell::RefCell<Option<HtmlCanvasElement>> = const { std::cell::RefCell::new(None) };
}

fn reusable_canvas() -> Result<HtmlCanvasElement, String> {
    if let Some(canvas) = CANVAS.with(|c| c.borrow().clone()) {
        return Ok(canvas);
    }
    let document = window()?.document().ok_or("no document")?;
    let canvas: HtmlCanvasElement = document
        .create_element("canvas")
        .map_err(|e| describe(&e))?
        .dyn_into()
        .map_err(|_| "not a canvas".to_string())?;
    CANVAS.with(|c| *c.borrow_mut() = Some(canvas.clone()));
    Ok(canvas)
}

/// The current frame of `video` as a JPEG at quality 0.8, at most `MAX_WIDTH` wide.
pub async fn capture_frame(video: &HtmlVideoElement) -> Result<Blob, String> {
    let (width, height) = (video.video_width(), video.video_height());
    if width == 0 || height == 0 {
        return Err("the video has no frame yet".into());
    }
    let scale = (f64::from(MAX_WIDTH) / f64::from(width)).min(1.0);
    let (out_width, out_height) = (
        (f64::from(width) * scale).round() as u32,
        (f64::from(height) * scale).round() as u32,
    );
    let canvas = reusable_canvas()?;
    canvas.set_width(out_width);
    canvas.set_height(out_height);
    let context: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(|e| describe(&e))?
        .ok_or("no 2d context")?
        .dyn_into()
        .map_err(|_| "not a 2d context".to_string())?;
    context
        .draw_image_with_html_video_element_and_dw_and_dh(
            video,
            0.0,
            0.0,
            f64::from(out_width),
            f64::from(out_height),
        )
        .map_err(|e| describe(&e))?;
    let mut failed = None;
    let promise = Promise::new(&mut |resolve, _reject| {
        let callback = Closure::once_into_js(move |blob: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &blob);
        });
        if let Err(error) = canvas.to_blob_with_type_and_encoder_options(
            callback.unchecked_ref(),
            "image/jpeg",
            &JsValue::from_f64(JPEG_QUALITY),
        ) {
            failed = Some(describe(&error));
        }
    });
    if let Some(error) = failed {
        return Err(error);
    }
    let blob = JsFuture::from(promise).await.map_err(|e| describe(&e))?;
    blob.dyn_into::<Blob>()
        .map_err(|_| "the browser could not encode the frame".to_string())
}

/// Longest an upload may take, answer included; then it is abandoned and
/// retried like a network failure (a stalled connection cannot hold the queue).
pub const UPLOAD_TIMEOUT_MS: u32 = 30_000;

/// Uploads one JPEG through `upload-binary` (raw bytes, no base64).
pub async fn upload_blob(
    application: ApplicationId,
    kind: ImageKind,
    blob: &Blob,
    captured_at: &str,
    capture_id: Option<&str>,
) -> (Sent, Option<UploadReceipt>) {
    let mut url = format!("/api/monitoring/upload-binary?applicationId={application}&imageType={kind}&capturedAt={captured_at}");
    if let Some(id) = capture_id {
        url.push_str("&captureId=");
        url.push_str(id);
    }
    match post(&url, blob, "image/jpeg").await {
        Answer::Ok(text) => match serde_json::from_str::<UploadReceipt>(&text) {
            Ok(receipt) => (Sent::new(Attempt::Stored, None), Some(receipt)),
            Err(_) => (
                Sent::new(
                    Attempt::Status(200, "the server's answer could not be read".into()),
                    None,
                ),
                None,
            ),
        },
        Answer::Failed(attempt, retry_after_ms) => (Sent::new(attempt, retry_after_ms), None),
    }
}

/// What one call to the server came to, as the queue judges it, with the wait
/// the server asked for: each answer's own `Retry-After`, carried with it.
pub struct Sent {
    pub attempt: Attempt,
    /// `Retry-After`, in milliseconds.
    pub retry_after_ms: Option<u32>,
}

impl Sent {
    fn new(attempt: Attempt, retry_after_ms: Option<u32>) -> Self {
        Sent {
            attempt,
            retry_after_ms,
        }
    }
}

/// Sends events (a JSON array of `EventInput`) in one call.
pub async fn send_events(
    application: ApplicationId,
    session: Option<&str>,
    events_json: &str,
) -> Sent {
    let session = session
        .map(|s| format!(",\"sessionId\":\"{s}\""))
        .unwrap_or_default();
    let body = format!("{{\"applicationId\":\"{application}\"{session},\"events\":{events_json}}}");
    match post(
        "/api/monitoring/events",
        &JsValue::from_str(&body),
        "application/json",
    )
    .await
    {
        Answer::Ok(_) => Sent::new(Attempt::Stored, None),
        Answer::Failed(attempt, retry_after_ms) => Sent::new(attempt, retry_after_ms),
    }
}

/// POSTs a JSON body (to interview-monitor when embedded): the answer's text,
/// or what went wrong in words.
pub async fn post_json(url: &str, json: &str) -> Result<String, String> {
    match post(url, &JsValue::from_str(json), "application/json").await {
        Answer::Ok(text) => Ok(text),
        Answer::Failed(Attempt::Status(_, message), _) => Err(message),
        Answer::Failed(..) => Err("the server could not be reached".into()),
    }
}

enum Answer {
    /// A 2xx answer's text.
    Ok(String),
    /// What went wrong, and the answer's `Retry-After` in milliseconds.
    Failed(Attempt, Option<u32>),
}

/// POSTs `body`, abandoning it after [`UPLOAD_TIMEOUT_MS`] (a stalled connection cannot hold the queue).
async fn post(url: &str, body: &JsValue, content_type: &str) -> Answer {
    let Ok(controller) = web_sys::AbortController::new() else {
        return Answer::Failed(Attempt::NetworkFailure, None);
    };
    let abort = controller.clone();
    // Dropped (and so cancelled) when this function returns.
    let _deadline = gloo_timers::callback::Timeout::new(UPLOAD_TIMEOUT_MS, move || abort.abort());
    let Ok(window) = window() else {
        return Answer::Failed(Attempt::NetworkFailure, None);
    };
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(body);
    init.set_signal(Some(&controller.signal()));
    let Ok(headers) = web_sys::Headers::new() else {
        return Answer::Failed(Attempt::NetworkFailure, None);
    };
    let _ = headers.set("content-type", content_type);
    // Embedded on another origin: to interview-monitor, with the session's token.
    if let Some(authorization) = crate::embed::authorization() {
        let _ = headers.set("authorization", &authorization);
    }
    init.set_headers(&headers);
    let url = crate::embed::url(url);
    let response = match JsFuture::from(window.fetch_with_str_and_init(&url, &init)).await {
        Ok(response) => response,
        Err(_) => return Answer::Failed(Attempt::NetworkFailure, None),
    };
    let Ok(response) = response.dyn_into::<Response>() else {
        return Answer::Failed(Attempt::NetworkFailure, None);
    };
    learn_server_clock(&response);
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .ok()
        .flatten()
        .and_then(|v| super::queue::retry_after_ms(&v));
    // Aborted while the answer was read: as good as no answer.
    let text = match response.text() {
        Ok(promise) => match JsFuture::from(promise).await {
            Ok(text) => text.as_string().unwrap_or_default(),
            Err(_) => return Answer::Failed(Attempt::NetworkFailure, None),
        },
        Err(_) => String::new(),
    };
    if response.ok() {
        Answer::Ok(text)
    } else {
        let message = serde_json::from_str::<AppError>(&text)
            .map(|e| e.to_string())
            .unwrap_or_else(|_| format!("the server answered {status}"));
        Answer::Failed(Attempt::Status(status, message), retry_after)
    }
}
