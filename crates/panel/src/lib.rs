//! interview-monitor's candidate panel, for a hiring platform's own Leptos app
//! (published as `interview-monitor-panel`). It depends on nothing but the
//! shared types (`interview-monitor-types`), wasm-bindgen, js-sys and web-sys:
//! no router, no pages, no server-only code, and no global setting a host's
//! own calls could be caught by.
//!
//! What is here so far is the panel's upload queue: [`queue`], its rules (what
//! to do with each answer, how long to wait, the bound), free of the browser so
//! they are unit-tested natively; and [`persist`], its copy in IndexedDB, so a
//! reload, a closed tab or a crash loses no capture. The components
//! (`MonitoringPanel`, the consent step, `EmbeddedInterview`) still live in
//! interview-monitor's `app` crate, which uses these.
//!
//! The one rule a host must follow: the `wasm-bindgen` CLI that binds the host's
//! wasm must be the version of the `wasm-bindgen` crate its `Cargo.lock` names.
//!
//! ```
//! use interview_monitor_panel::queue::{next, Attempt, Next};
//!
//! // A 503 is tried again; a 400 cannot get better by trying.
//! assert_eq!(next(&Attempt::Status(503, "busy".into())), Next::Retry);
//! assert!(matches!(next(&Attempt::Status(400, "bad".into())), Next::GiveUp(_)));
//! ```

#![warn(missing_docs)]

pub mod persist;
pub mod queue;
