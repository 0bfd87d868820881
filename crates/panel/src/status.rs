//! What the panel knows about its uploads and tells: the candidate through
//! signals the view shows, the host through [`PanelEvent`]s. Shared by the
//! upload worker and the store; it knows neither.

use leptos::prelude::*;

use crate::{connection::Connection, events::PanelEvent, texts::Texts};

/// What the panel shows about uploads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UploadStats {
    /// Camera snapshots taken on this page.
    pub captured_camera: usize,
    /// Screen snapshots taken on this page.
    pub captured_screen: usize,
    /// Camera snapshots the server has stored.
    pub uploaded_camera: usize,
    /// Screen snapshots the server has stored.
    pub uploaded_screen: usize,
    /// ID photos taken on this page.
    pub captured_id: usize,
    /// ID photos the server has stored.
    pub uploaded_id: usize,
    /// Captures waiting to be uploaded.
    pub queued: usize,
    /// Events waiting to be sent.
    pub events_queued: usize,
    /// How many captures and events may wait at most.
    pub queue_bound: usize,
    /// Captures turned away because the queue was full.
    pub dropped: usize,
    /// Captures (or events) the server refused (4xx), not retried.
    pub refused: usize,
    /// Events the server has stored.
    pub events_sent: usize,
    /// Captures an earlier visit left waiting (found on this page's load).
    pub restored: usize,
    /// How many of those are uploaded by now.
    pub restored_uploaded: usize,
    /// The session has ended: uploads wait for a new one.
    pub signed_out: bool,
    /// When the last upload succeeded (RFC 3339).
    pub last_success: Option<String>,
    /// How long the last capture took to draw and encode, in milliseconds.
    pub last_encode_ms: Option<f64>,
}

/// The panel's state signals, its connection, its words and the host's callback.
#[derive(Clone, Copy)]
pub(crate) struct Status {
    uploading: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    stats: RwSignal<UploadStats>,
    connection: StoredValue<Connection>,
    texts: StoredValue<Texts>,
    on_event: RwSignal<Option<Callback<PanelEvent>>>,
}

impl Status {
    pub fn new(connection: Connection, texts: Texts) -> Self {
        Status {
            uploading: RwSignal::new(false),
            error: RwSignal::new(None),
            stats: RwSignal::new(UploadStats {
                queue_bound: crate::queue::QUEUE_BOUND,
                ..UploadStats::default()
            }),
            connection: StoredValue::new(connection),
            texts: StoredValue::new(texts),
            on_event: RwSignal::new(None),
        }
    }

    pub fn uploading(&self) -> Signal<bool> {
        self.uploading.into()
    }

    pub fn error(&self) -> Signal<Option<String>> {
        self.error.into()
    }

    pub fn stats(&self) -> Signal<UploadStats> {
        self.stats.into()
    }

    /// The connection (a clone: they share one state). After the panel is
    /// gone, a same-origin one that no request will use.
    pub fn connection(&self) -> Connection {
        self.connection
            .try_get_value()
            .unwrap_or_else(Connection::same_origin)
    }

    /// A text, filled in.
    pub fn text(&self, pick: impl Fn(&Texts) -> &str, values: &[(&str, &str)]) -> String {
        self.texts
            .try_with_value(|texts| texts.fill(pick(texts), values))
            .unwrap_or_default()
    }

    pub fn texts(&self) -> Texts {
        self.texts.try_get_value().unwrap_or_default()
    }

    pub fn set_on_event(&self, callback: Option<Callback<PanelEvent>>) {
        self.on_event.try_set(callback);
    }

    /// The host's callback, to tell it things after the panel is gone.
    pub fn listener(&self) -> Option<Callback<PanelEvent>> {
        self.on_event.try_get_untracked().flatten()
    }

    /// Tells the host (if it listens).
    pub fn emit(&self, event: PanelEvent) {
        if let Some(Some(callback)) = self.on_event.try_get_untracked() {
            let _ = callback.try_run(event);
        }
    }

    /// Whether the panel is still there to be told.
    pub fn set_uploading(&self, value: bool) -> bool {
        self.uploading.try_set(value).is_none()
    }

    pub fn set_error(&self, value: Option<String>) -> bool {
        self.error.try_set(value).is_none()
    }

    pub fn update_stats(&self, change: impl FnOnce(&mut UploadStats)) -> bool {
        self.stats.try_update(change).is_some()
    }
}
