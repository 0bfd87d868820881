//! The browser's media, through web-sys: camera and screen streams, and one
//! video frame drawn to a canvas and encoded as JPEG. Also the small browser
//! facts the panel needs (a random id, a monotonic clock, an error's words).

use js_sys::{Date, Promise};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, CanvasRenderingContext2d, DisplayMediaStreamConstraints, HtmlCanvasElement,
    HtmlVideoElement, MediaStream, MediaStreamConstraints,
};

/// JPEG quality of every snapshot.
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

/// Milliseconds on the page's monotonic clock.
pub fn performance_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(Date::now)
}

/// A new id for a capture or an event: a version 4 UUID from the browser's
/// `crypto.getRandomValues` (through `uuid`), which needs no secure context.
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}

/// A random number in [0, 1) for retry jitter (not for ids).
pub fn random_unit() -> f64 {
    js_sys::Math::random()
}

/// The camera, without sound.
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

/// A screen the candidate chooses to share (the entire screen is asked for).
pub async fn screen_stream() -> Result<MediaStream, JsValue> {
    let devices = window()
        .map_err(JsValue::from)?
        .navigator()
        .media_devices()?;
    let constraints = DisplayMediaStreamConstraints::new();
    let video = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&video, &"displaySurface".into(), &"monitor".into());
    constraints.set_video(&video);
    constraints.set_audio(&JsValue::FALSE);
    let stream = JsFuture::from(devices.get_display_media_with_constraints(&constraints)?).await?;
    stream.dyn_into()
}

/// Stops every track of `stream` (the browser's indicator goes out).
pub fn stop_stream(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// A canvas to draw frames on (one per panel: making one each time costs
/// more than drawing).
pub fn new_canvas() -> Result<HtmlCanvasElement, String> {
    let document = window()?.document().ok_or("no document")?;
    document
        .create_element("canvas")
        .map_err(|e| describe(&e))?
        .dyn_into()
        .map_err(|_| "not a canvas".to_string())
}

/// The current frame of `video` as a JPEG at [`JPEG_QUALITY`], at most
/// [`MAX_WIDTH`] wide, drawn on `canvas`.
pub async fn capture_frame(
    video: &HtmlVideoElement,
    canvas: &HtmlCanvasElement,
) -> Result<Blob, String> {
    let (width, height) = (video.video_width(), video.video_height());
    if width == 0 || height == 0 {
        return Err("the video has no frame yet".into());
    }
    let scale = (f64::from(MAX_WIDTH) / f64::from(width)).min(1.0);
    let (out_width, out_height) = (
        (f64::from(width) * scale).round() as u32,
        (f64::from(height) * scale).round() as u32,
    );
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
