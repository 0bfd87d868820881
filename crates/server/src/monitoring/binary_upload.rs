//! `POST /api/monitoring/upload-binary?{CaptureFields}` (applicationId,
//! imageType, capturedAt, captureId) with the raw JPEG as the body: a third
//! fewer bytes than base64.

use app::{auth::ssr::SignedIn, services::Services, AppError};
use axum::{
    body::Body,
    extract::{rejection::QueryRejection, Query},
    Extension, Json,
};
use shared::{
    capture::{CaptureFields, NewImage},
    UploadReceipt,
};

use crate::edge::body::{body_deadline, read_limited};

pub async fn upload(
    Extension(services): Extension<Services>,
    SignedIn(user): SignedIn,
    query: Result<Query<CaptureFields>, QueryRejection>,
    body: Body,
) -> Result<Json<UploadReceipt>, AppError> {
    let Query(fields) = query
        .map_err(|e| AppError::BadRequest(format!("the query is malformed: {}", e.body_text())))?;
    let meta = fields.parse()?;

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
        meta,
        bytes: Vec::from(bytes),
    };
    Ok(Json(services.monitoring.upload(&user, image).await?))
}
