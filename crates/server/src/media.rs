//! `GET /media/{key}?expires=..&sig=..`: the built-in store's signed URLs.

use std::sync::Arc;

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use sha2::{Digest, Sha256};
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
    (
        StatusCode::FORBIDDEN,
        [(header::CACHE_CONTROL, "no-store")],
        "this link is not valid or has expired",
    )
        .into_response()
}

/// What the record says of bytes read from the store.
enum Check {
    /// What was uploaded (the SHA-256 recorded then).
    Uploaded,
    Damaged,
    /// No row: not an image anyone may see any more.
    Unrecorded,
    Unknown,
}

async fn check_record(db: &DatabaseConnection, key: &str, bytes: &[u8]) -> Check {
    match crate::db::images::recorded_sha256(db, key).await {
        Ok(Some(recorded)) if recorded == hex::encode(Sha256::digest(bytes)) => Check::Uploaded,
        Ok(Some(_)) => Check::Damaged,
        Ok(None) => Check::Unrecorded,
        Err(error) => {
            tracing::error!(error = %crate::telemetry::error_chain(&error), "cannot check a stored image against its record");
            Check::Unknown
        }
    }
}

/// 500 "image damaged": never the bytes of an image that is not what was uploaded.
fn damaged(key: &str) -> Response {
    tracing::error!(
        key,
        "a stored image is damaged (it does not match what was uploaded); not served"
    );
    metrics::counter!("interview_monitor_damaged_images_total").increment(1);
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CACHE_CONTROL, "no-store")],
        "image damaged",
    )
        .into_response()
}

#[tracing::instrument(skip_all)]
pub async fn serve(
    State(store): State<Option<Arc<FileStore>>>,
    State(db): State<DatabaseConnection>,
    Path(key): Path<String>,
    signature: Result<Query<Signature>, QueryRejection>,
) -> Response {
    let Some(store) = store else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let Ok(Query(signature)) = signature else {
        return refuse();
    };
    let (Some(expires), Some(sig)) = (
        signature.expires.and_then(|e| e.parse::<i64>().ok()),
        signature.sig,
    ) else {
        return refuse();
    };
    let now = Utc::now();
    if !store.verify(&key, expires, &sig, now) {
        return refuse();
    }
    let Ok(parsed) = key.parse::<ObjectKey>() else {
        return refuse();
    };
    let bytes = match store.read(&parsed).await {
        Ok(bytes) => bytes,
        Err(StorageError::NotFound) => return gone(),
        Err(StorageError::Corrupt) => return damaged(&key),
        Err(error) => {
            tracing::error!(error = %crate::telemetry::error_chain(&error), "cannot serve a stored image");
            return unreadable();
        }
    };
    match check_record(&db, &key, &bytes).await {
        Check::Uploaded => {
            let max_age = (expires - now.timestamp()).max(0);
            let cache = HeaderValue::from_str(&format!("private, max-age={max_age}"))
                .unwrap_or(HeaderValue::from_static("private"));
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg")),
                    (header::CACHE_CONTROL, cache),
                ],
                bytes,
            )
                .into_response()
        }
        Check::Damaged => damaged(&key),
        Check::Unrecorded => gone(),
        Check::Unknown => unreadable(),
    }
}

fn gone() -> Response {
    (StatusCode::NOT_FOUND, "this image no longer exists").into_response()
}

fn unreadable() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "the image cannot be read",
    )
        .into_response()
}
