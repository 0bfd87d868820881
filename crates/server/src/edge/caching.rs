//! How long browsers keep what we send. The site's files (`/pkg`) carry a hash of
//! their content in their names, so they are cached for a year and never asked
//! for again; pages are revalidated every time (they name the current files);
//! API answers hold private data and are not stored at all.

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};

#[derive(Clone)]
pub struct CachePolicy {
    /// `/pkg/` (the site's package directory).
    pub pkg_prefix: String,
    /// Whether the site's file names are hashed (LEPTOS_HASH_FILES).
    pub hashed_names: bool,
}

const FOREVER: &str = "public, max-age=31536000, immutable";

pub async fn apply(State(policy): State<CachePolicy>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    if response.headers().contains_key(header::CACHE_CONTROL) {
        return response;
    }
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let value = if path.starts_with(&policy.pkg_prefix) {
        if policy.hashed_names && response.status() == StatusCode::OK {
            FOREVER
        } else {
            "no-cache"
        }
    } else if path.starts_with("/api/") {
        "no-store"
    } else if html {
        "no-cache"
    } else {
        return response;
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}
