//! "Acme Careers", a hiring platform with pages of its own, that runs its
//! candidates' interviews with interview-monitor's panel embedded in them.
//!
//! The platform's server made the interview and a capture link with its service
//! key; the candidate comes to `/interview?capture=TOKEN` on the platform's own
//! origin. `interview_monitor_panel::EmbeddedInterview` talks to interview-monitor (its URL
//! is in the page's `<meta name="interview-monitor">`), which must list this
//! origin in ALLOWED_ORIGINS.

#[cfg(target_arch = "wasm32")]
mod pages {
    use leptos::prelude::*;
    use leptos_router::{
        components::{Route, Router, Routes, A},
        hooks::use_query_map,
        path,
    };

    /// interview-monitor's URL, as the platform's server wrote it into the page.
    #[cfg(feature = "panel")]
    fn monitor_url() -> String {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| {
                d.query_selector("meta[name=interview-monitor]")
                    .ok()
                    .flatten()
            })
            .and_then(|meta| meta.get_attribute("content"))
            .unwrap_or_default()
    }

    #[component]
    pub fn HostApp() -> impl IntoView {
        view! {
            <Router>
                <header class="platform">
                    <A href="/">"Acme Careers"</A>
                </header>
                <main>
                    <Routes fallback=|| view! { <p>"There is no such page at Acme Careers."</p> }>
                        <Route path=path!("/") view=Home/>
                        <Route path=path!("/interview") view=Interview/>
                    </Routes>
                </main>
            </Router>
        }
    }

    #[component]
    fn Home() -> impl IntoView {
        view! {
            <h1 class="platform-home">"Your interviews at Acme Careers"</h1>
            <p>"Open the link in your invitation to start your interview."</p>
        }
    }

    /// The platform's interview page: its own heading, then the embedded
    /// panel, a button that ends the interview, and what the panel reported.
    #[cfg(feature = "panel")]
    #[component]
    fn Interview() -> impl IntoView {
        use interview_monitor_panel::{
            EmbeddedInterview, PanelControl, PanelEvent, Phase, PANEL_CSS,
        };
        let query = use_query_map();
        let token = query.read_untracked().get("capture").unwrap_or_default();
        let control = PanelControl::new();
        let stored = RwSignal::new(0usize);
        let ended = RwSignal::new(None::<String>);
        let on_event = Callback::new(move |event: PanelEvent| match event {
            PanelEvent::CaptureStored { .. } => stored.update(|n| *n += 1),
            PanelEvent::Ended { waiting, closed } => {
                ended.set(Some(format!("ended waiting={waiting} closed={closed}")))
            }
            _ => {}
        });
        let phase = control.phase();
        view! {
            <style>{PANEL_CSS}</style>
            <h1 class="platform-interview">"Acme Careers · your interview"</h1>
            {if token.is_empty() {
                view! { <p class="platform-error">"This link has no interview in it."</p> }.into_any()
            } else {
                view! {
                    <EmbeddedInterview server=monitor_url() capture_token=token control on_event/>
                    <p class="platform-stored" data-stored=move || stored.get()>{move || format!("{} snapshots stored", stored.get())}</p>
                    <button class="platform-finish" on:click=move |_| control.end() disabled=move || phase.get() != Phase::Running>
                        "Finish the interview"
                    </button>
                    <p class="platform-ended">{move || ended.get()}</p>
                }.into_any()
            }}
        }
    }

    /// The same page without the panel (what the platform's own code weighs).
    #[cfg(not(feature = "panel"))]
    #[component]
    fn Interview() -> impl IntoView {
        let query = use_query_map();
        let token = query.read_untracked().get("capture").unwrap_or_default();
        view! {
            <h1 class="platform-interview">"Acme Careers · your interview"</h1>
            <p class="platform-error">{format!("The interview ({} characters of token) is not embedded in this build.", token.len())}</p>
        }
    }
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(pages::HostApp);
}
