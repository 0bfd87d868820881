//! `POST /api/monitoring/upload-binary?applicationId=..&imageType=..[&capturedAt=..][&captureId=..]`
//! with the raw JPEG as the body: a third fewer bytes than base64.

use std::collections::HashMap;

use app::{auth::ssr::SignedIn, services::Services, AppError};
use axum::{
    body::Body,
    extract::{rejection::QueryRejection, Query},
    Extension, Json,
};
use shared::{
    input::monitoring::{self as input, NewImage},
    UploadReceipt,
};

use crate::edge::body::{body_deadline, read_limited};

pub async fn upload(
    Extension(services): Extension<Services>,
    SignedIn(user): SignedIn,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    body: Body,
) -> Result<Json<UploadReceipt>, AppError> {
    let Query(params) = query
        .map_err(|e| AppError::BadRequest(format!("the query is malformed: {}", e.body_text())))?;
    let param = |name: &str| {
        params
            .get(name)
            .ok_or_else(|| AppError::BadRequest(format!("the query is missing `{name}`")))
    };
    let application_id = input::application_id(param("applicationId")?)?;
    let kind = input::image_kind(param("imageType")?)?;
    let captured_at = input::captured_at(params.get("capturedAt").map(String::as_str))?;
    let capture_id = input::capture_id(params.get("captureId").map(String::as_str))?;

    // The edge checked the declared length and holds the user's upload slot.
    let max = services.monitoring.max_image_bytes();
    let (idle, deadline) = body_deadline();
    let bytes = read_limited(body, max, idle, deadline).await?;
    if bytes.is_empty() {
        return Err(AppError::BadRequest(
            "the body is empty: send the JPEG as the request body".into(),
        ));
    }
    // Vec::from takes the buffer over without copying when it is not shared.
    let image = NewImage {
        application_id,
        kind,
        bytes: Vec::from(bytes),
        captured_at,
        capture_id,
    };
    Ok(Json(services.monitoring.upload(&user, image).await?))
}
