//! `use_monitoring_images()`: the reactive store behind the panel, usable by any
//! component (ours or another Leptos app's). Every member of the seed's hook:
//! upload camera/screen, get images, signed URL(s), delete, capture from a video
//! element, is-uploading and upload-error, plus a queue that loses nothing.

use leptos::prelude::*;
use shared::{ApplicationId, DeleteReceipt, ImageKind, ImageList, ObjectKey, SignedUrl};

use super::{
    delete_monitoring_image, get_monitoring_image_signed_url, get_monitoring_image_signed_urls,
    get_monitoring_images,
};
use crate::error::AppError;

/// What the panel shows about uploads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UploadStats {
    pub captured_camera: usize,
    pub captured_screen: usize,
    pub uploaded_camera: usize,
    pub uploaded_screen: usize,
    /// Captures waiting to be uploaded, and how many may wait at most (captures
    /// and events together).
    pub queued: usize,
    /// Events waiting to be sent.
    pub events_queued: usize,
    pub queue_bound: usize,
    /// Captures turned away because the queue was full.
    pub dropped: usize,
    /// Captures (or events) the server refused (4xx), not retried.
    pub refused: usize,
    /// Events the server has stored.
    pub events_sent: usize,
    /// Captures an earlier visit left waiting (found on this page's load), and
    /// how many of them are uploaded by now.
    pub restored: usize,
    pub restored_uploaded: usize,
    /// The session has ended: uploads wait for a new sign-in.
    pub signed_out: bool,
    /// When the last upload succeeded (RFC 3339).
    pub last_success: Option<String>,
    /// How long the last capture took to draw and encode, in milliseconds.
    pub last_encode_ms: Option<f64>,
}

#[derive(Clone, Copy)]
pub struct MonitoringImages {
    uploading: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    stats: RwSignal<UploadStats>,
    #[cfg(feature = "browser")]
    pub(super) worker: super::worker::Worker,
}

/// The store of the nearest `MonitoringImages` in context, made (and provided) if none.
pub fn use_monitoring_images() -> MonitoringImages {
    if let Some(store) = use_context::<MonitoringImages>() {
        return store;
    }
    let store = MonitoringImages::new();
    provide_context(store);
    store
}

impl MonitoringImages {
    fn new() -> Self {
        MonitoringImages {
            uploading: RwSignal::new(false),
            error: RwSignal::new(None),
            stats: RwSignal::new(UploadStats {
                queue_bound: super::queue::QUEUE_BOUND,
                ..UploadStats::default()
            }),
            #[cfg(feature = "browser")]
            worker: super::worker::Worker::new(),
        }
    }

    /// Whether an upload is on its way now.
    pub fn is_uploading(&self) -> Signal<bool> {
        self.uploading.into()
    }

    /// The last upload error in words, cleared by the next success.
    pub fn upload_error(&self) -> Signal<Option<String>> {
        self.error.into()
    }

    pub fn stats(&self) -> Signal<UploadStats> {
        self.stats.into()
    }

    #[cfg(feature = "browser")]
    pub(super) fn set_uploading(&self, value: bool) -> bool {
        self.uploading.try_set(value).is_none()
    }

    #[cfg(feature = "browser")]
    pub(super) fn set_error(&self, value: Option<String>) -> bool {
        self.error.try_set(value).is_none()
    }

    #[cfg(feature = "browser")]
    pub(super) fn update_stats(&self, change: impl FnOnce(&mut UploadStats)) -> bool {
        self.stats.try_update(change).is_some()
    }

    /// `{camera, screen}` of an application, oldest first.
    pub async fn get_images(&self, application: ApplicationId) -> Result<ImageList, AppError> {
        get_monitoring_images(application.to_string(), None, None).await
    }

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

    pub async fn get_image_url(&self, key: &ObjectKey) -> Result<SignedUrl, AppError> {
        let mut signed = get_monitoring_image_signed_url(key.to_string()).await?;
        signed.url = crate::embed::url(&signed.url);
        Ok(signed)
    }

    /// URLs for many keys in one call, in the order given.
    pub async fn get_image_urls(&self, keys: &[ObjectKey]) -> Result<Vec<SignedUrl>, AppError> {
        let mut urls =
            get_monitoring_image_signed_urls(keys.iter().map(ToString::to_string).collect())
                .await?
                .urls;
        // The built-in store's URLs are paths on interview-monitor.
        for signed in &mut urls {
            signed.url = crate::embed::url(&signed.url);
        }
        Ok(urls)
    }

    pub async fn delete_image(
        &self,
        application: ApplicationId,
        kind: ImageKind,
        key: &ObjectKey,
    ) -> Result<DeleteReceipt, AppError> {
        delete_monitoring_image(application.to_string(), kind.to_string(), key.to_string()).await
    }
}

#[cfg(feature = "browser")]
mod browser_members {
    use shared::{ApplicationId, ImageKind, UploadReceipt};
    use web_sys::{Blob, HtmlVideoElement};

    use super::MonitoringImages;
    use crate::{
        error::AppError,
        monitoring::{browser, queue::Attempt, worker::Worker},
    };

    impl MonitoringImages {
        async fn capture(&self, video: &HtmlVideoElement) -> Result<Blob, String> {
            let start = browser::performance_now();
            let blob = browser::capture_frame(video).await?;
            let took = browser::performance_now() - start;
            self.update_stats(|s| s.last_encode_ms = Some(took));
            Ok(blob)
        }

        /// The current camera frame as a JPEG (quality 0.8).
        pub async fn capture_camera(&self, video: &HtmlVideoElement) -> Result<Blob, String> {
            self.capture(video).await
        }

        /// The current screen frame as a JPEG (quality 0.8), at most 1920 px wide.
        pub async fn capture_screen(&self, video: &HtmlVideoElement) -> Result<Blob, String> {
            self.capture(video).await
        }

        async fn upload_now(
            &self,
            application: ApplicationId,
            kind: ImageKind,
            blob: &Blob,
        ) -> Result<UploadReceipt, AppError> {
            self.set_uploading(true);
            let captured_at = shared::monitoring::millis::format(&browser::now());
            let (sent, receipt) =
                browser::upload_blob(application, kind, blob, &captured_at, None).await;
            self.set_uploading(false);
            match (sent.attempt, receipt) {
                (Attempt::Stored, Some(receipt)) => {
                    self.set_error(None);
                    Ok(receipt)
                }
                (Attempt::Status(status, message), _) => {
                    self.set_error(Some(message.clone()));
                    Err(match status {
                        400 => AppError::BadRequest(message),
                        401 => AppError::Unauthenticated(message),
                        403 => AppError::Forbidden(message),
                        404 => AppError::NotFound(message),
                        413 => AppError::PayloadTooLarge(message),
                        415 => AppError::UnsupportedMediaType(message),
                        429 => AppError::TooManyRequests(message),
                        503 => AppError::Unavailable(message),
                        _ => AppError::Internal(message),
                    })
                }
                _ => {
                    let message = "could not reach the server".to_string();
                    self.set_error(Some(message.clone()));
                    Err(AppError::Network(message))
                }
            }
        }

        /// Uploads a camera JPEG now (no queue, no retry).
        pub async fn upload_camera(
            &self,
            application: ApplicationId,
            blob: &Blob,
        ) -> Result<UploadReceipt, AppError> {
            self.upload_now(application, ImageKind::Camera, blob).await
        }

        /// Uploads a screen JPEG now (no queue, no retry).
        pub async fn upload_screen(
            &self,
            application: ApplicationId,
            blob: &Blob,
        ) -> Result<UploadReceipt, AppError> {
            self.upload_now(application, ImageKind::Screen, blob).await
        }

        /// Queues a capture: uploaded in order, with its capture time, retried with
        /// backoff while the network or the server fails, never twice.
        pub fn enqueue(&self, application: ApplicationId, kind: ImageKind, blob: Blob) {
            self.enqueue_as(application, kind, blob, Worker::new_id());
        }

        /// As [`Self::enqueue`], with the capture id chosen already (an event links to it).
        pub fn enqueue_as(
            &self,
            application: ApplicationId,
            kind: ImageKind,
            blob: Blob,
            id: String,
        ) {
            self.update_stats(|s| match kind {
                ImageKind::Camera => s.captured_camera += 1,
                ImageKind::Screen => s.captured_screen += 1,
            });
            self.worker.push(*self, application, kind, blob, id);
        }

        /// Queues an event behind the captures taken before it. `ended` tells its end
        /// from its start (both are kept until sent; the end wins).
        pub fn enqueue_event(
            &self,
            application: ApplicationId,
            session: Option<String>,
            event: &crate::integrity::EventInput,
            ended: bool,
        ) {
            let Ok(json) = serde_json::to_string(event) else {
                return;
            };
            let key = format!(
                "{}:{}",
                event.event_id,
                if ended { "ended" } else { "open" }
            );
            self.worker
                .push_event(*self, application, key, event.at.clone(), json, session);
        }

        /// Cuts a retry's wait short (the browser is back online).
        pub fn wake(&self) {
            self.worker.wake();
        }

        /// Uploads first whatever an earlier visit to this application left waiting.
        pub fn restore(&self, application: ApplicationId) {
            self.worker.restore(*self, application);
        }

        /// Captures not uploaded yet.
        pub fn waiting(&self) -> usize {
            self.worker.waiting()
        }
    }
}
