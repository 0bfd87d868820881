//! The interview-monitor UI and its server functions.
//!
//! Built twice: with `ssr` into the server (rendering pages, answering server
//! functions through the [`services::Services`] the server provides), and with
//! `hydrate` into the wasm the browser runs.
// Leptos view types nest deeply; release builds (without erased components) need room.
#![recursion_limit = "256"]

pub mod accountability;
#[cfg(feature = "ssr")]
pub mod api;
pub mod applications;
pub mod auth;
pub mod error;
pub mod integration;
pub mod integrity;
pub mod live;
pub mod monitoring;
pub mod review;
pub mod search;
#[cfg(feature = "ssr")]
pub mod services;
mod shell;
pub mod ui;

pub use error::AppError;

/// The header through which a rendered page hands its CSP nonce to the server's
/// security-headers layer (which removes it and writes the policy).
pub const CSP_NONCE_HEADER: &str = "x-interview-monitor-csp-nonce";
pub use shell::{shell, App};

/// The wasm entry point: makes the server-rendered page interactive. Lazy
/// routes (the review and audit pages) load their own wasm chunk first, so
/// hydration is asynchronous; `data-hydrated` is set once it has finished.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), App)
            .await
            .forget();
        // Lets browser tests wait until clicks are handled.
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
