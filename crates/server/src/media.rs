//! `GET /media/{key}?expires=..&sig=..`: the built-in store's signed URLs.

use std::sync::Arc;

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use serde::Deserialize;
use shared::ObjectKey;

use crate::storage::{file::FileStore, StorageError};

/// The query of a signed URL, as text: a malformed value is a refused link (403),
/// like a changed one, not a bad request.
#[derive(Deserialize)]
pub struct Signature {
    expires: Option<String>,
    sig: Option<String>,
}

fn refuse() -> Response {
    (StatusCode::FORBIDDEN, [(header::CACHE_CONTROL, "no-store")], "this link is not valid or has expired").into_response()
}

#[tracing::instrument(skip_all)]
pub async fn serve(
    State(store): State<Option<Arc<FileStore>>>,
    Path(key): Path<String>,
    signature: Result<Query<Signature>, QueryRejection>,
) -> Response {
    let Some(store) = store else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let Ok(Query(signature)) = signature else {
        return refuse();
    };
    let (Some(expires), Some(sig)) = (signature.expires.and_then(|e| e.parse::<i64>().ok()), signature.sig) else {
        return refuse();
    };
    let now = Utc::now();
    if !store.verify(&key, expires, &sig, now) {
        return refuse();
    }
    let Ok(parsed) = key.parse::<ObjectKey>() else {
        return refuse();
    };
    match store.read(&parsed).await {
        Ok(bytes) => {
            let max_age = (expires - now.timestamp()).max(0);
            let cache = HeaderValue::from_str(&format!("private, max-age={max_age}")).unwrap_or(HeaderValue::from_static("private"));
            ([(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg")), (header::CACHE_CONTROL, cache)], bytes).into_response()
        }
        Err(StorageError::NotFound) => (StatusCode::NOT_FOUND, "this image no longer exists").into_response(),
        Err(error) => {
            tracing::error!(error = %crate::error::error_chain(&error), "cannot serve a stored image");
            (StatusCode::INTERNAL_SERVER_ERROR, "the image cannot be read").into_response()
        }
    }
}
