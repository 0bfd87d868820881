//! What a host sees of the panel and how it drives it: [`PanelEvent`]s through
//! an `on_event` callback, and a [`PanelControl`] whose [`PanelControl::end`]
//! ends the interview and whose [`PanelControl::phase`] says where it stands.

use leptos::prelude::*;
use shared::ImageKind;

use crate::error::PanelError;

/// Something that happened in the panel, as the host's `on_event` callback gets it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PanelEvent {
    /// The candidate's consent was recorded (or they had given it already).
    Consented,
    /// A monitoring session started on the server.
    Started {
        /// The session's id.
        session_id: String,
    },
    /// A capture was taken and waits in the queue (kept in IndexedDB).
    CaptureQueued {
        /// Camera or screen.
        kind: ImageKind,
        /// Its id (the server's idempotency key).
        capture_id: String,
    },
    /// The server stored a capture.
    CaptureStored {
        /// Camera or screen.
        kind: ImageKind,
        /// Its id.
        capture_id: String,
        /// When it was taken, on the server's clock (RFC 3339).
        captured_at: String,
    },
    /// Uploads are failing for now (offline, the server busy); the head of the
    /// queue is tried again after `wait_ms`.
    Retrying {
        /// Milliseconds until the next try.
        wait_ms: u32,
        /// Captures waiting.
        waiting: usize,
    },
    /// Something failed that retrying cannot mend (a capture refused, the
    /// camera lost, consent not recorded), with the server's kind.
    Error(PanelError),
    /// The session ended and could not be renewed: captures wait in the
    /// browser until a new session (a new link) comes.
    SessionExpired,
    /// The session ended and was renewed through the host's `fetch_token`.
    SessionRenewed,
    /// The interview ended ([`PanelControl::end`]): capture stopped, the queue
    /// was flushed (`waiting` captures could not be sent yet and stay in the
    /// browser), and the session was closed on the server (`closed`).
    Ended {
        /// Captures still waiting in the browser.
        waiting: usize,
        /// Whether the server recorded the end.
        closed: bool,
    },
}

/// Where the interview stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// Loading, or waiting for the candidate's consent.
    #[default]
    Preparing,
    /// Capturing.
    Running,
    /// [`PanelControl::end`] was called: capture has stopped, the queue is flushing.
    Ending,
    /// Ended; nothing more is captured.
    Ended,
}

/// The host's handle on a panel: make one, pass it as the panel's `control`,
/// and call [`PanelControl::end`] when the interview is over.
#[derive(Debug, Clone, Copy)]
pub struct PanelControl {
    phase: RwSignal<Phase>,
    end_requested: RwSignal<bool>,
}

impl PanelControl {
    /// A new handle (in the current reactive owner, like a signal).
    pub fn new() -> Self {
        PanelControl {
            phase: RwSignal::new(Phase::Preparing),
            end_requested: RwSignal::new(false),
        }
    }

    /// Ends the interview: stops capture, flushes the queue and closes the
    /// session on the server (`POST /api/monitoring/session/end`). The panel
    /// reports [`PanelEvent::Ended`] when done. Nothing is captured after it.
    pub fn end(&self) {
        self.end_requested.set(true);
    }

    /// Where the interview stands, as a signal.
    pub fn phase(&self) -> Signal<Phase> {
        self.phase.into()
    }

    pub(crate) fn end_requested(&self) -> Signal<bool> {
        self.end_requested.into()
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        self.phase.try_set(phase);
    }
}

impl Default for PanelControl {
    fn default() -> Self {
        PanelControl::new()
    }
}
