//! `use_monitoring_images()`: the store behind the panel, usable by any
//! component of the host: the upload state as signals, captures queued so
//! that none is lost, and the application's images listed, signed or deleted
//! through the panel's [`Connection`].

use leptos::prelude::*;
use shared::{
    capture::CaptureMeta, ApplicationId, DeleteReceipt, ImageKind, ImageList, ObjectKey, SignedUrl,
    SignedUrls, UploadReceipt,
};
use web_sys::{Blob, HtmlCanvasElement, HtmlVideoElement};

use crate::{
    connection::Connection,
    error::PanelError,
    events::PanelEvent,
    media,
    queue::Attempt,
    status::{Status, UploadStats},
    texts::Texts,
    transport,
    worker::Worker,
};

/// The panel's store: its upload state and queue, and the application's images.
#[derive(Clone, Copy)]
pub struct MonitoringImages {
    pub(crate) status: Status,
    pub(crate) worker: Worker,
    canvas: StoredValue<Option<HtmlCanvasElement>, LocalStorage>,
}

/// The nearest `MonitoringImages` in context, made (and provided) if there is
/// none; a new one talks through the [`Connection`] in context, else the page's
/// own origin.
pub fn use_monitoring_images() -> MonitoringImages {
    if let Some(store) = use_context::<MonitoringImages>() {
        return store;
    }
    let connection = use_context::<Connection>().unwrap_or_else(Connection::same_origin);
    let texts = use_context::<Texts>().unwrap_or_default();
    let store = MonitoringImages::new(connection, texts);
    provide_context(store);
    store
}

impl MonitoringImages {
    /// A store of its own (not in context) talking through `connection`.
    pub fn new(connection: Connection, texts: Texts) -> Self {
        MonitoringImages {
            status: Status::new(connection, texts),
            worker: Worker::new(),
            canvas: crate::local::browser_local(None),
        }
    }

    /// The connection it talks through.
    pub fn connection(&self) -> Connection {
        self.status.connection()
    }

    /// Whether an upload is on its way now.
    pub fn is_uploading(&self) -> Signal<bool> {
        self.status.uploading()
    }

    /// The last upload error in words, cleared by the next success.
    pub fn upload_error(&self) -> Signal<Option<String>> {
        self.status.error()
    }

    /// Counts of what was taken, stored, waiting, refused.
    pub fn stats(&self) -> Signal<UploadStats> {
        self.status.stats()
    }

    /// `{camera, screen}` of an application, oldest first.
    pub async fn get_images(&self, application: ApplicationId) -> Result<ImageList, PanelError> {
        self.get_images_page(application, None, None).await
    }

    /// A page of each kind: the `limit` latest images captured before `before`
    /// (the latest of all when `None`), oldest first.
    pub async fn get_images_page(
        &self,
        application: ApplicationId,
        before: Option<chrono::DateTime<chrono::Utc>>,
        limit: Option<u32>,
    ) -> Result<ImageList, PanelError> {
        let body = serde_json::json!({
            "applicationId": application,
            "before": before.map(|at| shared::monitoring::millis::format(&at)),
            "limit": limit,
        });
        transport::post_json(&self.connection(), "/api/monitoring/images", &body).await
    }

    /// A URL for one image, valid for an hour.
    pub async fn get_image_url(&self, key: &ObjectKey) -> Result<SignedUrl, PanelError> {
        let connection = self.connection();
        let body = serde_json::json!({ "s3Key": key });
        let mut signed: SignedUrl =
            transport::post_json(&connection, "/api/monitoring/signed-url", &body).await?;
        signed.url = connection.url(&signed.url);
        Ok(signed)
    }

    /// URLs for many keys in one call, in the order given.
    pub async fn get_image_urls(&self, keys: &[ObjectKey]) -> Result<Vec<SignedUrl>, PanelError> {
        let connection = self.connection();
        let body = serde_json::json!({ "s3Keys": keys });
        let signed: SignedUrls =
            transport::post_json(&connection, "/api/monitoring/signed-urls", &body).await?;
        // The built-in store's URLs are paths on interview-monitor.
        Ok(signed
            .urls
            .into_iter()
            .map(|mut s| {
                s.url = connection.url(&s.url);
                s
            })
            .collect())
    }

    /// Deletes an image (recruiters of its organization and admins; never candidates).
    pub async fn delete_image(
        &self,
        application: ApplicationId,
        kind: ImageKind,
        key: &ObjectKey,
    ) -> Result<DeleteReceipt, PanelError> {
        let body = serde_json::json!({
            "applicationId": application,
            "imageType": kind,
            "s3Key": key,
        });
        transport::post_json(&self.connection(), "/api/monitoring/delete", &body).await
    }

    /// The current frame of a camera or screen `video` as a JPEG (quality 0.8,
    /// at most 1920 px wide).
    pub async fn capture(&self, video: &HtmlVideoElement) -> Result<Blob, String> {
        let canvas = match self.canvas.try_get_value().flatten() {
            Some(canvas) => canvas,
            None => {
                let canvas = media::new_canvas()?;
                self.canvas.try_set_value(Some(canvas.clone()));
                canvas
            }
        };
        let start = media::performance_now();
        let blob = media::capture_frame(video, &canvas).await?;
        let took = media::performance_now() - start;
        self.status.update_stats(|s| s.last_encode_ms = Some(took));
        Ok(blob)
    }

    /// Uploads a JPEG now: no queue, no retry (see [`Self::enqueue`] for that).
    pub async fn upload_now(
        &self,
        application: ApplicationId,
        kind: ImageKind,
        blob: &Blob,
    ) -> Result<UploadReceipt, PanelError> {
        let connection = self.connection();
        self.status.set_uploading(true);
        let meta = CaptureMeta {
            captured_at: Some(transport::now(&connection)),
            ..CaptureMeta::new(application, kind)
        };
        let query = transport::capture_query(&meta);
        let (sent, receipt) = transport::upload_blob(&connection, &query, blob).await;
        self.status.set_uploading(false);
        let result = match (sent.attempt, receipt) {
            (Attempt::Stored, Some(receipt)) => Ok(receipt),
            (Attempt::Status(_, error), _) => Err(error),
            _ => Err(PanelError::network()),
        };
        self.status
            .set_error(result.as_ref().err().map(|e| e.message.clone()));
        result
    }

    /// Queues a capture: uploaded in order, with its capture time, retried with
    /// backoff while the network or the server fails, never twice, kept in
    /// IndexedDB until stored. Its capture id.
    pub fn enqueue(&self, application: ApplicationId, kind: ImageKind, blob: Blob) -> String {
        let meta = self.new_capture(application, kind);
        let id = meta.id_text();
        self.enqueue_capture(meta, blob);
        id
    }

    /// A capture's record now: a new capture id, the server's time.
    pub fn new_capture(&self, application: ApplicationId, kind: ImageKind) -> CaptureMeta {
        CaptureMeta {
            captured_at: Some(transport::now(&self.connection())),
            capture_id: Some(media::new_id()),
            ..CaptureMeta::new(application, kind)
        }
    }

    /// As [`Self::enqueue`], with the record made already (an event links to its id).
    pub fn enqueue_capture(&self, meta: CaptureMeta, blob: Blob) {
        self.status.update_stats(|s| match meta.kind {
            ImageKind::Camera => s.captured_camera += 1,
            ImageKind::Screen => s.captured_screen += 1,
            ImageKind::Id => s.captured_id += 1,
        });
        self.worker.push(self.status, meta, blob);
    }

    /// Queues an event behind the captures taken before it. `ended` tells its end
    /// from its start (both are kept until sent; the end wins).
    pub fn enqueue_event(
        &self,
        application: ApplicationId,
        session: Option<String>,
        event: &shared::integrity::EventInput,
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
        self.worker.push_event(
            self.status,
            application,
            key,
            event.at.clone(),
            json,
            session,
        );
    }

    /// Cuts a retry's wait short (the browser is back online).
    pub fn wake(&self) {
        self.worker.wake();
    }

    /// Uploads first whatever an earlier visit to this application left waiting.
    pub fn restore(&self, application: ApplicationId) {
        self.worker.restore(self.status, application);
    }

    /// Captures and events not sent yet.
    pub fn waiting(&self) -> usize {
        self.worker.waiting()
    }

    /// Waits until everything queued is sent or `timeout_ms` has passed; what
    /// is still waiting (kept in IndexedDB for the next visit).
    pub async fn flush(&self, timeout_ms: u32) -> usize {
        self.worker.flush(timeout_ms).await
    }

    pub(crate) fn emit(&self, event: PanelEvent) {
        self.status.emit(event);
    }
}
