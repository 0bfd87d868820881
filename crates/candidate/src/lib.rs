//! The candidate's interview page (`/applications/{id}/interview`),
//! client-rendered from a wasm of its own: the server answers the address with
//! a small document that loads this, not the whole app. It holds the page's
//! frame, the consent terms and texts it asks for, and the panel crate's
//! `Interview`; no router and no other page, so a candidate's first visit
//! carries the panel and Leptos's runtime only.

// Leptos view types nest deeply.
#![recursion_limit = "256"]

pub mod address;
#[cfg(target_arch = "wasm32")]
mod page;

/// Runs when the module is instantiated: renders the page into `<body>` in
/// place of the server's "Loading…" frame (`#starting`) and marks it
/// interactive (`data-hydrated`, which the browser tests wait for on every
/// page of the app).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(starting) = document.get_element_by_id("starting") {
        starting.remove();
    }
    leptos::mount::mount_to_body(page::CandidatePage);
    if let Some(body) = document.body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
