//! What the candidate does in the browser, as events through the upload queue:
//! each has an id chosen here (the server stores it once), lasting ones are
//! queued when they start and again when they end (the end wins), and paste and
//! copy carry lengths, never content.

use std::collections::HashMap;

use js_sys::{Function, Reflect};
use leptos::prelude::*;
use shared::{integrity::EventKind, ApplicationId};
use wasm_bindgen::{JsCast, JsValue};

use shared::integrity::EventInput;

use crate::{media, store::MonitoringImages, transport};

/// A panel that last showed a sign of life this recently before this one
/// started was reloaded, crashed, or closed and reopened: `page_reload`.
const RELOAD_WITHIN_MS: f64 = 120_000.0;
/// How often the panel leaves its sign of life in localStorage.
pub const HEARTBEAT_MS: u32 = 5_000;

/// The events of one panel, queued through its store.
#[derive(Clone, Copy)]
pub(crate) struct Signals {
    store: MonitoringImages,
    application: ApplicationId,
    session: StoredValue<Option<String>, LocalStorage>,
    /// Events that have started and not ended: (id, at, detail at the start).
    open: StoredValue<HashMap<EventKind, (String, String)>, LocalStorage>,
    /// The interview has ended: nothing more is recorded.
    stopped: StoredValue<bool>,
}

impl Signals {
    pub fn new(store: MonitoringImages, application: ApplicationId) -> Self {
        Signals {
            store,
            application,
            session: crate::local::browser_local(None),
            open: crate::local::browser_local(HashMap::new()),
            stopped: StoredValue::new(false),
        }
    }

    /// Records nothing from now on.
    pub fn stop(&self) {
        self.stopped.try_set_value(true);
    }

    /// Whether [`Self::stop`] was called (or the panel is gone).
    pub fn stopped(&self) -> bool {
        self.stopped.try_get_value() != Some(false)
    }

    /// Ends every event still going on (the interview ends).
    pub fn end_all(&self) {
        let kinds: Vec<EventKind> = self
            .open
            .try_with_value(|open| open.keys().copied().collect())
            .unwrap_or_default();
        for kind in kinds {
            self.end(kind, None);
        }
    }

    fn now_text(&self) -> String {
        shared::monitoring::millis::format(&transport::now(&self.store.connection()))
    }

    pub fn set_session(&self, id: String) {
        self.session.try_set_value(Some(id));
    }

    fn queue(&self, event: &EventInput, ended: bool) {
        if self.stopped() {
            return;
        }
        let session = self.session.try_get_value().flatten();
        self.store
            .enqueue_event(self.application, session, event, ended);
    }

    /// Something that happened at one moment.
    pub fn instant(&self, kind: EventKind, detail: Option<serde_json::Value>) {
        let event = self.begun(kind, detail);
        self.queue(&event, false);
    }

    /// A new event of `kind`, beginning now.
    fn begun(&self, kind: EventKind, detail: Option<serde_json::Value>) -> EventInput {
        EventInput {
            event_id: media::new_id().to_string(),
            kind: kind.as_str().into(),
            at: self.now_text(),
            ended_at: None,
            detail,
        }
    }

    /// Something that lasts has started (nothing if it is going on already).
    pub fn start(&self, kind: EventKind, detail: Option<serde_json::Value>) {
        if self
            .open
            .try_with_value(|open| open.contains_key(&kind))
            .unwrap_or(true)
        {
            return;
        }
        let event = self.begun(kind, detail);
        self.open
            .try_update_value(|open| open.insert(kind, (event.event_id.clone(), event.at.clone())));
        self.queue(&event, false);
    }

    pub fn is_open(&self, kind: EventKind) -> bool {
        self.open
            .try_with_value(|open| open.contains_key(&kind))
            .unwrap_or(false)
    }

    /// It has ended (nothing if it had not started): queued with its end and `detail`.
    pub fn end(&self, kind: EventKind, detail: Option<serde_json::Value>) {
        let Some(Some((event_id, at))) = self.open.try_update_value(|open| open.remove(&kind))
        else {
            return;
        };
        let event = EventInput {
            event_id,
            kind: kind.as_str().into(),
            at,
            ended_at: Some(self.now_text()),
            detail,
        };
        self.queue(&event, true);
    }
}

/// `{captureIds: [...]}` (and `extra`'s fields), or nothing when no snapshot was taken.
pub fn linked(ids: &[String], extra: Option<serde_json::Value>) -> Option<serde_json::Value> {
    let mut detail = match extra {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    if !ids.is_empty() {
        detail.insert("captureIds".into(), serde_json::json!(ids));
    }
    (!detail.is_empty()).then_some(serde_json::Value::Object(detail))
}

fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Option<JsValue> {
    let function: Function = Reflect::get(target, &method.into()).ok()?.dyn_into().ok()?;
    let args: js_sys::Array = args.iter().collect();
    function.apply(target, &args).ok()
}

/// How many characters a paste carries (its text is read for its length only).
pub fn pasted_length(event: &web_sys::Event) -> Option<u32> {
    let data = Reflect::get(event, &"clipboardData".into())
        .ok()
        .filter(|d| !d.is_null() && !d.is_undefined())?;
    let text = call(&data, "getData", &["text".into()])?.as_string()?;
    Some(text.chars().count() as u32)
}

/// How many characters are selected (what a copy takes).
pub fn selected_length() -> Option<u32> {
    let window = web_sys::window()?;
    let selection = call(&window, "getSelection", &[])?;
    let text = call(&selection, "toString", &[])?.as_string()?;
    Some(text.chars().count() as u32)
}

/// `monitor`, `window` or `browser`: what the candidate chose to share.
pub fn display_surface(stream: &web_sys::MediaStream) -> Option<String> {
    let track = stream.get_video_tracks().get(0);
    let settings = call(&track, "getSettings", &[])?;
    Reflect::get(&settings, &"displaySurface".into())
        .ok()?
        .as_string()
}

/// `screen.isExtended`, where the browser has it.
pub fn screens_extended() -> Option<bool> {
    let window: JsValue = web_sys::window()?.into();
    let screen = Reflect::get(&window, &"screen".into()).ok()?;
    Reflect::get(&screen, &"isExtended".into()).ok()?.as_bool()
}

fn heartbeat_key(application: ApplicationId) -> String {
    format!("interview-monitor:panel:{application}")
}

/// The previous panel's session and how long ago it was last alive, if that was
/// recent enough to call this a reload.
pub fn previous_panel(application: ApplicationId) -> Option<(Option<String>, f64)> {
    let storage = web_sys::window()?.local_storage().ok()??;
    let text = storage.get_item(&heartbeat_key(application)).ok()??;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let beat = value.get("beat")?.as_f64()?;
    let ago = js_sys::Date::now() - beat;
    (0.0..RELOAD_WITHIN_MS).contains(&ago).then(|| {
        (
            value
                .get("session")
                .and_then(|s| s.as_str())
                .map(str::to_string),
            ago,
        )
    })
}

/// Leaves this panel's sign of life (its session, now).
pub fn heartbeat(application: ApplicationId, session: Option<&str>) {
    let Some(Ok(Some(storage))) = web_sys::window().map(|w| w.local_storage()) else {
        return;
    };
    let value = serde_json::json!({"session": session, "beat": js_sys::Date::now()});
    let _ = storage.set_item(&heartbeat_key(application), &value.to_string());
}

/// The panel closed normally (left for another page of the app): no reload next time.
pub fn clear_heartbeat(application: ApplicationId) {
    if let Some(Ok(Some(storage))) = web_sys::window().map(|w| w.local_storage()) {
        let _ = storage.remove_item(&heartbeat_key(application));
    }
}

impl Signals {
    pub fn session(&self) -> Option<String> {
        self.session.try_get_value().flatten()
    }
}
