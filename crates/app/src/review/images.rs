//! The review pages' images, through the monitoring server functions (the
//! page's own origin and cookie): pages of the list, signed URLs, deletion.

use shared::{ApplicationId, DeleteReceipt, ImageKind, ImageList, ObjectKey, SignedUrl};

use crate::{
    error::AppError,
    monitoring::{
        delete_monitoring_image, get_monitoring_image_signed_url, get_monitoring_image_signed_urls,
        get_monitoring_images,
    },
};

/// The images of the application under review (a handle: it holds nothing).
#[derive(Debug, Clone, Copy)]
pub struct ReviewImages;

impl ReviewImages {
    /// A page of each kind: the `limit` latest images captured before `before`
    /// (the latest of all when `None`), oldest first.
    pub async fn get_images_page(
        &self,
        application: ApplicationId,
        before: Option<chrono::DateTime<chrono::Utc>>,
        limit: u32,
    ) -> Result<ImageList, AppError> {
        let before = before.map(|at| shared::monitoring::millis::format(&at));
        get_monitoring_images(application.to_string(), before, Some(limit)).await
    }

    /// A URL for one image.
    pub async fn get_image_url(&self, key: &ObjectKey) -> Result<SignedUrl, AppError> {
        get_monitoring_image_signed_url(key.to_string()).await
    }

    /// URLs for many keys in one call, in the order given.
    pub async fn get_image_urls(&self, keys: &[ObjectKey]) -> Result<Vec<SignedUrl>, AppError> {
        Ok(
            get_monitoring_image_signed_urls(keys.iter().map(ToString::to_string).collect())
                .await?
                .urls,
        )
    }

    /// Deletes one image.
    pub async fn delete_image(
        &self,
        application: ApplicationId,
        kind: ImageKind,
        key: &ObjectKey,
    ) -> Result<DeleteReceipt, AppError> {
        delete_monitoring_image(application.to_string(), kind.to_string(), key.to_string()).await
    }
}
