//! interview-monitor's candidate panel, for a hiring platform's own Leptos app
//! (published as `interview-monitor-panel`): the consent step, camera and
//! screen capture, the page's events, and an upload queue that loses nothing
//! (kept in IndexedDB until the server has stored each capture).
//!
//! It depends on the shared types (`interview-monitor-types`), Leptos,
//! web-sys/wasm-bindgen/js-sys and gloo-timers only: no router, no pages, no
//! server code. It sets nothing global: every request goes through the
//! [`Connection`] it was given, so the host's own server functions keep going
//! to the host's backend before, during and after an interview.
//!
//! The smallest host: its server makes a capture link with its service key
//! (`POST /api/integration/capture-links`) and hands the page the token;
//! the page renders
//!
//! ```
//! use interview_monitor_panel::{Connection, EmbeddedInterview, PanelControl, PanelEvent};
//! use leptos::prelude::*;
//!
//! #[component]
//! fn InterviewPage(capture_token: String) -> impl IntoView {
//!     let control = PanelControl::new();
//!     let stored = RwSignal::new(0);
//!     let on_event = Callback::new(move |event: PanelEvent| {
//!         if let PanelEvent::CaptureStored { .. } = event {
//!             stored.update(|n| *n += 1);
//!         }
//!     });
//!     // Renewal: when the session ends, ask our own backend for a new token.
//!     let connection = Connection::to("https://monitor.example.com")
//!         .expect("an origin")
//!         .renewing_with(|| async { Err::<String, _>("our /capture-token endpoint here".to_string()) });
//!     view! {
//!         <EmbeddedInterview connection capture_token control on_event/>
//!         <p>{move || format!("{} snapshots stored", stored.get())}</p>
//!         <button on:click=move |_| control.end()>"Finish the interview"</button>
//!     }
//! }
//! # let _ = InterviewPage;
//! ```
//!
//! and includes [`PANEL_CSS`] in its stylesheet (colours and spacing are
//! custom properties, listed there). Every text the candidate reads can be
//! replaced ([`Texts`]).
//!
//! The one rule a host must follow: the `wasm-bindgen` CLI that binds the
//! host's wasm must be the version of the `wasm-bindgen` crate its
//! `Cargo.lock` names.
//!
//! The queue's rules are plain functions, tested natively:
//!
//! ```
//! use interview_monitor_panel::{
//!     queue::{next, Attempt, Next},
//!     ErrorKind, PanelError,
//! };
//!
//! // A 503 is tried again; a 409 cannot get better by trying, and keeps its kind.
//! let busy = PanelError::from_answer(503, "");
//! assert_eq!(next(&Attempt::Status(503, busy)), Next::Retry);
//! let taken = PanelError::from_answer(409, r#"{"error":"conflict","message":"taken"}"#);
//! assert!(matches!(next(&Attempt::Status(409, taken)), Next::GiveUp(e) if e.kind == ErrorKind::Conflict));
//! ```

#![warn(missing_docs)]
// Leptos view types nest deeply.
#![recursion_limit = "256"]

mod connection;
mod consent;
mod embedded;
mod error;
mod events;
mod local;
pub mod media;
mod panel;
pub mod persist;
pub mod queue;
mod signals;
mod status;
mod store;
mod texts;
pub mod transport;
mod worker;

pub use connection::{Connection, TokenFuture};
pub use consent::{interval_or_default, Consent, Interview, DEFAULT_INTERVAL};
pub use embedded::EmbeddedInterview;
pub use error::{ErrorKind, PanelError};
pub use events::{PanelControl, PanelEvent, Phase};
pub use panel::{MonitoringPanel, ScreenShare, END_FLUSH_MS};
pub use status::UploadStats;
pub use store::{use_monitoring_images, MonitoringImages};
pub use texts::{fill, in_words, in_words_de, local_time, translation, Texts};

/// The panel's stylesheet: include it in the host's CSS (or serve it). Its
/// colours and spacing are custom properties on `.monitoring-panel`,
/// `.consent` and `.embedded-interview` (`--im-accent`, `--im-error`, …),
/// listed at its top.
pub const PANEL_CSS: &str = include_str!("../style/panel.css");
