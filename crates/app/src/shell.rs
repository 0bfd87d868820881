//! The HTML document, the router and the page frame.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Redirect, Route, Router, Routes},
    hooks::use_navigate,
    path,
};

use crate::{
    applications::ApplicationsPage,
    auth::{me, Logout, SignInPage},
};

/// The document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
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
        <Stylesheet id="leptos" href="/pkg/interview-monitor.css"/>
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
                </Routes>
            </main>
        </Router>
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

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card">
            <h1>"Not found"</h1>
            <p>"There is no page here. " <a href="/">"Go to the start page"</a></p>
        </section>
    }
}
