//! The page for what the viewer may not see, does not exist, or failed, with
//! the HTTP status the server renders it with.

use leptos::prelude::*;

use crate::error::AppError;

/// Sets the status of the page being rendered on the server.
pub fn set_page_status(_status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(_status),
    ) {
        response.set_status(status);
    }
}

/// A page the viewer may not see (403), one that does not exist (404), or another failure.
#[component]
pub fn Refusal(error: AppError) -> impl IntoView {
    set_page_status(error.status());
    let title = match &error {
        AppError::Forbidden(_) => "Not allowed",
        AppError::NotFound(_) => "Not found",
        _ => "Something went wrong",
    };
    view! {
        <section class="card refusal" data-status=error.status()>
            <h1>{title}</h1>
            <p>{error.to_string()}</p>
            <p><a href="/applications">"Back to the applications"</a></p>
        </section>
    }
}
