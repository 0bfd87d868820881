//! The HTML document, the router and the page frame.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Redirect, Route, Router, Routes},
    hooks::use_navigate,
    lazy_route, path, Lazy, LazyRoute, SsrMode,
};

use crate::{
    accountability::AuditPage,
    applications::ApplicationsPage,
    auth::{me, Logout, SignInPage},
    review::ReviewPage,
    ui::refusal::set_page_status,
};

/// The document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    hand_over_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options=options.clone()/>
                <HashedStylesheet options id="leptos"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="interview-monitor"/>
        <Router>
            <header class="top">
                <a class="brand" href="/">"interview-monitor"</a>
                <SignOut/>
            </header>
            <main>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/login") view=SignInPage/>
                    <Route path=path!("/applications") view=ApplicationsPage/>
                    <Route path=path!("/applications/:id/review") view={Lazy::<ReviewRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/search") view={Lazy::<SearchRoute>::new()}/>
                    <Route path=path!("/live") view={Lazy::<LiveRoute>::new()}/>
                    <Route path=path!("/audit") view={Lazy::<AuditRoute>::new()}/>
                    <Route path=path!("/admin/keys") view={Lazy::<KeysRoute>::new()}/>
                    <Route path=path!("/admin/webhooks") view={Lazy::<WebhooksRoute>::new()}/>
                </Routes>
            </main>
        </Router>
    }
}

/// The review page, in a wasm chunk of its own (`cargo leptos build --split`):
/// candidates never load it.
struct ReviewRoute;

#[lazy_route]
impl LazyRoute for ReviewRoute {
    fn data() -> Self {
        ReviewRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <ReviewPage/> }.into_any()
    }
}

/// Finding interviews, in a chunk of its own too (reviewers only).
struct SearchRoute;

#[lazy_route]
impl LazyRoute for SearchRoute {
    fn data() -> Self {
        SearchRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::search::SearchPage/> }.into_any()
    }
}

/// The live view, in a chunk of its own too (reviewers only).
struct LiveRoute;

#[lazy_route]
impl LazyRoute for LiveRoute {
    fn data() -> Self {
        LiveRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::live::LivePage/> }.into_any()
    }
}

/// The admins' audit page, in a chunk of its own too.
struct AuditRoute;

#[lazy_route]
impl LazyRoute for AuditRoute {
    fn data() -> Self {
        AuditRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <AuditPage/> }.into_any()
    }
}

/// The admins' service keys, in a chunk of its own too.
struct KeysRoute;

#[lazy_route]
impl LazyRoute for KeysRoute {
    fn data() -> Self {
        KeysRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::integration::KeysPage/> }.into_any()
    }
}

/// The admins' webhook endpoints, in a chunk of its own too.
struct WebhooksRoute;

#[lazy_route]
impl LazyRoute for WebhooksRoute {
    fn data() -> Self {
        WebhooksRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <crate::integration::webhooks::WebhooksPage/> }.into_any()
    }
}

/// `/`: the applications list when signed in, else sign-in.
#[component]
fn Home() -> impl IntoView {
    let user = Resource::new(|| (), |_| me());
    view! {
        <Suspense>
            {move || user.get().map(|user| match user {
                Ok(_) => view! { <Redirect path="/applications"/> },
                Err(_) => view! { <Redirect path="/login"/> },
            })}
        </Suspense>
    }
}

#[component]
fn SignOut() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = logout.value().get() {
            navigate("/login", Default::default());
        }
    });
    view! {
        <button class="link" on:click=move |_| { logout.dispatch(Logout {}); }>"Sign out"</button>
    }
}

/// Tells the server's security-headers layer the nonce Leptos put on this page's
/// inline scripts, so the Content-Security-Policy can allow exactly those.
fn hand_over_nonce() {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(value) = http::HeaderValue::from_str(&nonce) {
            response.insert_header(
                http::HeaderName::from_static(crate::CSP_NONCE_HEADER),
                value,
            );
        }
    }
}

#[component]
fn NotFound() -> impl IntoView {
    set_page_status(404);
    view! {
        <section class="card">
            <h1>"Not found"</h1>
            <p>"There is no page here. " <a href="/">"Go to the start page"</a></p>
        </section>
    }
}
