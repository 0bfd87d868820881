//! Monitoring: the monitoring API's server functions (thin: parse, hand to
//! the monitoring service, which asks the access policy, return its answer or
//! error). The candidate's interview page is a wasm of its own (the
//! `candidate-page` crate), with the panel (the `interview-monitor-panel` crate).

pub use ::panel::queue;
#[cfg(feature = "ssr")]
use shared::input::monitoring as input;

use leptos::prelude::*;
use shared::{
    capture::CaptureFields, DeleteReceipt, ImageList, SignedUrl, SignedUrls, UploadReceipt,
};

use crate::error::AppError;

#[cfg(feature = "ssr")]
async fn upload(capture: CaptureFields, image_data: String) -> Result<UploadReceipt, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let monitoring = crate::services::services()?.monitoring;
    let image = shared::capture::NewImage {
        meta: capture.parse()?,
        bytes: input::decode_image_data(&image_data, monitoring.max_image_bytes())?,
    };
    monitoring.upload(&user, image).await
}

/// `POST /api/monitoring/upload` `{applicationId, imageType, imageData}`; `imageData` is
/// base64 JPEG, bare or as a data URL. Optional `capturedAt` (RFC 3339) keeps a queued
/// capture's time; optional `captureId` (a UUID the client picks per capture) makes a
/// retried upload idempotent (the fields of [`CaptureFields`]).
#[server(prefix = "/api", endpoint = "monitoring/upload", input = leptos::server_fn::codec::Json)]
pub async fn upload_monitoring_image(
    #[server(flatten)] capture: CaptureFields,
    #[server(rename = "imageData")] image_data: String,
) -> Result<UploadReceipt, AppError> {
    upload(capture, image_data).await
}

/// `POST /api/monitoring/upload-camera` `{applicationId, imageData}`.
#[server(prefix = "/api", endpoint = "monitoring/upload-camera", input = leptos::server_fn::codec::Json)]
pub async fn upload_camera_image(
    #[server(flatten)] capture: CaptureFields,
    #[server(rename = "imageData")] image_data: String,
) -> Result<UploadReceipt, AppError> {
    let capture = CaptureFields {
        image_type: shared::ImageKind::Camera.as_str().into(),
        ..capture
    };
    upload(capture, image_data).await
}

/// `POST /api/monitoring/upload-screen` `{applicationId, imageData}`.
#[server(prefix = "/api", endpoint = "monitoring/upload-screen", input = leptos::server_fn::codec::Json)]
pub async fn upload_screen_image(
    #[server(flatten)] capture: CaptureFields,
    #[server(rename = "imageData")] image_data: String,
) -> Result<UploadReceipt, AppError> {
    let capture = CaptureFields {
        image_type: shared::ImageKind::Screen.as_str().into(),
        ..capture
    };
    upload(capture, image_data).await
}

/// `POST /api/monitoring/images` `{applicationId}` → `{camera, screen}`, oldest first.
/// Optional paging: `before` (RFC 3339) and `limit` give the `limit` latest images of
/// each kind captured before `before`.
#[server(prefix = "/api", endpoint = "monitoring/images", input = leptos::server_fn::codec::Json)]
pub async fn get_monitoring_images(
    #[server(rename = "applicationId")] application_id: String,
    #[server(default)] before: Option<String>,
    #[server(default)] limit: Option<u32>,
) -> Result<ImageList, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let page = input::ImagePage {
        before: input::time("before", before.as_deref())?,
        limit: input::page_limit(limit)?,
    };
    let application_id = input::application_id(&application_id)?;
    crate::services::services()?
        .monitoring
        .images(&user, application_id, page)
        .await
}

/// `POST /api/monitoring/delete` `{applicationId, imageType, s3Key}`.
#[server(prefix = "/api", endpoint = "monitoring/delete", input = leptos::server_fn::codec::Json)]
pub async fn delete_monitoring_image(
    #[server(rename = "applicationId")] application_id: String,
    #[server(rename = "imageType")] image_type: String,
    #[server(rename = "s3Key")] s3_key: String,
) -> Result<DeleteReceipt, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let application_id = input::application_id(&application_id)?;
    let kind = input::image_kind(&image_type)?;
    let key = input::object_key(&s3_key)?;
    crate::services::services()?
        .monitoring
        .delete(&user, application_id, kind, key)
        .await
}

/// `POST /api/monitoring/signed-url` `{s3Key}`.
#[server(prefix = "/api", endpoint = "monitoring/signed-url", input = leptos::server_fn::codec::Json)]
pub async fn get_monitoring_image_signed_url(
    #[server(rename = "s3Key")] s3_key: String,
) -> Result<SignedUrl, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let key = input::object_key(&s3_key)?;
    let mut urls = crate::services::services()?
        .monitoring
        .signed_urls(&user, vec![key])
        .await?;
    urls.pop().ok_or_else(AppError::internal)
}

/// `POST /api/monitoring/signed-urls` `{s3Keys: [...]}`, answered in the order asked.
#[server(prefix = "/api", endpoint = "monitoring/signed-urls", input = leptos::server_fn::codec::Json)]
pub async fn get_monitoring_image_signed_urls(
    #[server(rename = "s3Keys")] s3_keys: Vec<String>,
) -> Result<SignedUrls, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let keys = input::object_keys(&s3_keys)?;
    let urls = crate::services::services()?
        .monitoring
        .signed_urls(&user, keys)
        .await?;
    Ok(SignedUrls { urls })
}
