//! The one place an `AppError` gets its HTTP status.
//!
//! Server functions answer every error (also a body that fails to decode) with
//! 500 and the `serverfnerror` header; this layer reads the error they wrote and
//! sets the status the README's error table gives for it (and `Retry-After` on 503 and 429).

use app::AppError;
use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// Errors are short JSON; anything longer is not one of ours.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn status_from_app_error(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_ERROR_BODY).await.unwrap_or_default();
    let error = serde_json::from_slice::<AppError>(&bytes).unwrap_or_else(|_| AppError::internal());
    parts.status =
        StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(seconds) = error.retry_after_secs() {
        parts
            .headers
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    let body = serde_json::to_vec(&error)
        .map(Body::from)
        .unwrap_or_else(|_| Body::from(bytes));
    Response::from_parts(parts, body)
}
