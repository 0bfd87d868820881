//! The monitoring service: the server's side of `app::services::Monitoring`.
//! An upload's size and JPEG markers are checked first (no database work for
//! bytes that cannot be an image), then the policy, then a reservation row,
//! then storage, then the row completed: only completed rows are images anyone
//! can list or sign, so an image is seen only once its object is stored.

pub mod allowance;
pub mod binary_upload;
pub mod jpeg;
pub mod reconcile;
pub mod slots;

use std::{collections::HashMap, sync::Arc, time::Duration};

use app::{services::Monitoring, AppError};
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use shared::{
    audit::AuditAction,
    capture::NewImage,
    input::monitoring::{self as input, ImagePage},
    CurrentUser, DeleteReceipt, ImageKind, ImageList, ImageRef, ObjectKey, SignedUrl,
    UploadReceipt, UserId,
};
use uuid::Uuid;

use crate::{
    db::{
        applications as application_repo, audit, counters, faces as faces_repo, images as repo,
        PersistenceError,
    },
    policy::{self, to, Permitted},
    storage::{ObjectStore, Payload},
    telemetry::error_chain,
};

pub struct MonitoringService {
    pub db: DatabaseConnection,
    pub store: Arc<dyn ObjectStore>,
    pub max_image_bytes: usize,
    pub signed_url_ttl: Duration,
    /// Uploads one user may make per minute (429 beyond).
    pub uploads: allowance::UploadAllowance,
    /// Distinct images one user may have signed per minute (429 beyond): a
    /// reviewer paging or replaying a long interview stays far below it, a
    /// script filling the audit trail does not.
    pub views_per_minute: u64,
    /// Camera images are queued for face analysis (FACE_DETECTION), and the
    /// workers woken.
    pub face_analysis: Option<Arc<tokio::sync::Notify>>,
}

fn image_not_found() -> AppError {
    AppError::NotFound("no such image in this application".into())
}

/// Camera images with the faces their analysis found.
fn with_faces(
    mut images: Vec<ImageRef>,
    analyses: &HashMap<Uuid, faces_repo::Analysis>,
) -> Vec<ImageRef> {
    for image in &mut images {
        if let Some(analysis) = analyses.get(&image.s3_key.id).filter(|a| a.readable) {
            image.faces = Some(analysis.faces);
            image.face_boxes = analysis.boxes.clone();
        }
    }
    images
}

/// Times one step of an upload into `interview_monitor_upload_step_seconds{step}`,
/// so `/metrics` shows where uploads spend their time.
async fn step<T>(name: &'static str, work: impl std::future::Future<Output = T>) -> T {
    let started = std::time::Instant::now();
    let result = work.await;
    metrics::histogram!("interview_monitor_upload_step_seconds", "step" => name)
        .record(started.elapsed().as_secs_f64());
    result
}

/// How long a repeated upload waits for the first copy of its capture to be stored.
const SETTLE_WAIT: Duration = Duration::from_secs(30);
/// A reservation older than this was abandoned (its upload crashed or lost the
/// database after storing): a repeated upload finishes it.
const ABANDONED_AFTER: Duration = Duration::from_secs(60);

/// A capture time the server accepts: not before the application existed (no
/// backdating), not ahead of the server's clock by more than the skew allowance.
/// A capture that waited days in a browser's queue is fine.
pub fn check_capture_time(
    captured_at: DateTime<Utc>,
    application_created: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    check_time("capturedAt", captured_at, application_created, now)
}

/// The rule of [`check_capture_time`] for any time a client reports (`field` names it).
pub fn check_time(
    field: &str,
    captured_at: DateTime<Utc>,
    application_created: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let text = shared::monitoring::millis::format(&captured_at);
    if captured_at > now + chrono::Duration::seconds(input::CLOCK_SKEW_SECS) {
        return Err(AppError::BadRequest(format!(
            "{field} {text} is in the future"
        )));
    }
    // Millisecond keys: the creation time is compared at the same precision.
    if captured_at.timestamp_millis() < application_created.timestamp_millis() {
        return Err(AppError::BadRequest(format!(
            "{field} {text} is before the application was created ({})",
            shared::monitoring::millis::format(&application_created)
        )));
    }
    Ok(())
}

/// How this request came to store a capture.
enum Claim {
    /// It reserved the row itself.
    Reserved(repo::Reservation),
    /// It finishes a reservation another request abandoned (same bytes).
    TakenOver(repo::Reservation),
}

impl Claim {
    fn reservation(&self) -> &repo::Reservation {
        match self {
            Claim::Reserved(reservation) | Claim::TakenOver(reservation) => reservation,
        }
    }
}

/// What became of a reservation attempt for a capture that was reserved already.
enum Earlier {
    /// Stored: answer with its receipt.
    Stored(UploadReceipt),
    /// Its reservation was given up: reserve again.
    Released,
    /// Abandoned after its object may have been put under this key: this
    /// request finishes it.
    Abandoned(ObjectKey, repo::Reservation),
}

impl MonitoringService {
    /// Counts this upload (already reserved) against the user's per-minute limit.
    async fn throttle_uploads(&self, user: UserId, now: DateTime<Utc>) -> Result<(), AppError> {
        if !self.uploads.take(&self.db, user, now).await? {
            return Err(AppError::TooManyRequests(format!(
                "more than {} uploads in a minute; slow down",
                self.uploads.per_minute()
            )));
        }
        Ok(())
    }

    /// Waits for the other upload of this capture id to settle. It is the same
    /// capture when it has the same application, kind and bytes, and, when the
    /// client said when it was taken (`client_time`), the same time; a copy sent
    /// without `capturedAt` was keyed by its arrival, so its key is not compared.
    async fn earlier_upload(
        &self,
        permitted: &Permitted<to::Capture>,
        key: &ObjectKey,
        sha256: &str,
        client_time: bool,
    ) -> Result<Earlier, AppError> {
        let started = tokio::time::Instant::now();
        let text = key.to_string();
        loop {
            let Some(row) = repo::find_capture(&self.db, permitted, key.id).await? else {
                return Ok(Earlier::Released);
            };
            let same = row.application_id == key.application_id.0
                && row.kind == key.kind.as_str()
                && row.sha256 == sha256
                && (!client_time || row.object_key == text);
            if !same {
                return Err(AppError::Conflict(
                    "this captureId was used for another image".into(),
                ));
            }
            let recorded = row.object_key.parse::<ObjectKey>().map_err(|e| {
                tracing::error!(error = %e, "a recorded key does not parse");
                AppError::internal()
            })?;
            if !row.pending {
                return Ok(Earlier::Stored(UploadReceipt {
                    success: true,
                    message: format!("{} image was already uploaded", key.kind),
                    s3_key: recorded,
                    timestamp: row.stored_at,
                }));
            }
            let abandoned = Utc::now() - row.stored_at
                > chrono::Duration::from_std(ABANDONED_AFTER).unwrap_or_default();
            if let (true, Some(reservation)) = (abandoned, repo::take_over(permitted, &row)) {
                return Ok(Earlier::Abandoned(recorded, reservation));
            }
            if started.elapsed() > SETTLE_WAIT {
                return Err(AppError::Unavailable(
                    "an earlier copy of this capture is still being stored; try again".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Gives up a reservation after a failure; a failure to do so is left to reconcile.
    async fn release(&self, reservation: &repo::Reservation) {
        if let Err(error) = repo::release(&self.db, reservation).await {
            tracing::warn!(id = %reservation.id(), error = %error_chain(&error), "could not release a reservation; `storage reconcile` will");
        }
    }

    /// An upload that was counted but not stored does not count.
    async fn uncount(&self, user: UserId) {
        self.uploads.give_back(user, Utc::now()).await;
    }
}

impl MonitoringService {
    /// Checks, reserves, stores and records one image (see the module's comment).
    async fn store_image(
        &self,
        user: &CurrentUser,
        image: NewImage,
    ) -> Result<UploadReceipt, AppError> {
        if image.bytes.len() > self.max_image_bytes {
            return Err(input::too_large(self.max_image_bytes).into());
        }
        jpeg::check(&image.bytes).map_err(|e| match e {
            jpeg::JpegError::NotJpeg(_) => AppError::UnsupportedMediaType(e.to_string()),
            jpeg::JpegError::TooManyPixels { .. } => AppError::BadRequest(e.to_string()),
        })?;
        let permitted = step(
            "check",
            policy::authorize::<to::Capture>(&self.db, user, image.meta.application_id),
        )
        .await?;
        if image.meta.kind == ImageKind::Id && !permitted.asks_for_id() {
            return Err(AppError::Conflict(
                "this application has no ID check: it takes no ID photos".into(),
            ));
        }
        let now = Utc::now();
        let captured_at = image.meta.captured_at.unwrap_or(now);
        check_capture_time(captured_at, permitted.created_at(), now)?;
        let id = image.meta.capture_id.unwrap_or_else(Uuid::new_v4);
        let mut key = ObjectKey::new(
            permitted.id(),
            image.meta.kind,
            captured_at.timestamp_millis(),
            id,
        )
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
        let size_bytes = image.bytes.len() as i64;
        // Hashed once: the row records it and the store checks the bytes against it.
        let payload = Payload::new(Bytes::from(image.bytes));
        let sha256 = payload.sha256_hex();

        // Reserve the capture first: of many copies sent at once exactly one stores
        // it, the others wait for it and answer with its receipt.
        let mut claim = None;
        for _ in 0..3 {
            let row = repo::NewImageRow {
                meta: &image.meta,
                key: &key,
                captured_at,
                stored_at: now,
                size_bytes,
                sha256: sha256.clone(),
                uploaded_by: user.id,
            };
            match step("reserve", repo::reserve(&self.db, &permitted, row)).await {
                Ok(reservation) => {
                    claim = Some(Claim::Reserved(reservation));
                    break;
                }
                Err(PersistenceError::Duplicate(_)) => {
                    match self
                        .earlier_upload(&permitted, &key, &sha256, image.meta.captured_at.is_some())
                        .await?
                    {
                        Earlier::Stored(receipt) => return Ok(receipt),
                        Earlier::Released => continue,
                        Earlier::Abandoned(recorded, reservation) => {
                            key = recorded;
                            claim = Some(Claim::TakenOver(reservation));
                            break;
                        }
                    }
                }
                Err(error) => return Err(error.into()),
            }
        }
        let claim = claim.ok_or_else(|| {
            AppError::Unavailable("other copies of this capture keep failing; try again".into())
        })?;
        // A taken-over reservation was counted by the request that made it; should this
        // put fail too, it stays for the sweep.
        if let Claim::Reserved(reservation) = &claim {
            if let Err(error) = step("throttle", self.throttle_uploads(user.id, now)).await {
                self.release(reservation).await;
                return Err(error);
            }
        }
        if let Err(error) = step("store", self.store.put(&key, &payload)).await {
            if let Claim::Reserved(reservation) = &claim {
                self.release(reservation).await;
                self.uncount(user.id).await;
            }
            return Err(error.into());
        }
        let stored_at = Utc::now();
        // Should this fail, the object is stored and the row stays reserved: a retry
        // of the capture, or reconcile, completes it.
        if !step(
            "complete",
            repo::complete(&self.db, claim.reservation(), stored_at),
        )
        .await?
        {
            // The row went while the object was stored: the application was erased
            // or its images purged. Nothing records the object, so it goes too.
            if let Err(error) = self.store.delete(&key).await {
                tracing::warn!(error = %error_chain(&error), "could not remove an object whose record was removed; the sweep will");
            }
            self.uncount(user.id).await;
            return Err(AppError::Conflict(
                "this application's images were erased or purged while this one was stored; it was not kept".into(),
            ));
        }
        if let (ImageKind::Camera, Some(workers)) = (image.meta.kind, &self.face_analysis) {
            // Off the upload path: a failure here is caught up by the workers' sweep.
            match faces_repo::enqueue(&self.db, key.id, permitted.id().0, stored_at).await {
                Ok(()) => workers.notify_one(),
                Err(error) => {
                    tracing::warn!(error = %error_chain(&error), "could not queue a face analysis; the next sweep will")
                }
            }
        }
        Ok(UploadReceipt {
            success: true,
            message: format!("{} image uploaded", image.meta.kind),
            s3_key: key,
            timestamp: stored_at,
        })
    }
}

#[async_trait]
impl Monitoring for MonitoringService {
    fn max_image_bytes(&self) -> usize {
        self.max_image_bytes
    }

    #[tracing::instrument(skip_all, fields(application = %image.meta.application_id, kind = %image.meta.kind, bytes = image.bytes.len()))]
    async fn upload(&self, user: &CurrentUser, image: NewImage) -> Result<UploadReceipt, AppError> {
        let (kind, bytes, started) = (
            image.meta.kind.as_str(),
            image.bytes.len() as u64,
            std::time::Instant::now(),
        );
        let result = self.store_image(user, image).await;
        let outcome = match &result {
            Ok(_) => "stored",
            Err(error) => error.kind(),
        };
        metrics::counter!("interview_monitor_uploads_total", "kind" => kind, "outcome" => outcome)
            .increment(1);
        if result.is_ok() {
            metrics::counter!("interview_monitor_upload_bytes_total", "kind" => kind)
                .increment(bytes);
            metrics::histogram!("interview_monitor_upload_seconds")
                .record(started.elapsed().as_secs_f64());
        }
        result
    }

    async fn images(
        &self,
        user: &CurrentUser,
        application: shared::ApplicationId,
        page: ImagePage,
    ) -> Result<ImageList, AppError> {
        let permitted = policy::authorize::<to::View>(&self.db, user, application).await?;
        let camera = repo::list(
            &self.db,
            &permitted,
            ImageKind::Camera,
            page.before,
            page.limit,
        )
        .await?;
        let screen = repo::list(
            &self.db,
            &permitted,
            ImageKind::Screen,
            page.before,
            page.limit,
        )
        .await?;
        let id = repo::list(&self.db, &permitted, ImageKind::Id, page.before, page.limit).await?;
        let analyses = faces_repo::analyses(&self.db, &[permitted.id().0]).await?;
        Ok(ImageList {
            camera: with_faces(camera, &analyses),
            screen,
            id,
        })
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn delete(
        &self,
        user: &CurrentUser,
        application: shared::ApplicationId,
        kind: ImageKind,
        key: ObjectKey,
    ) -> Result<DeleteReceipt, AppError> {
        let permitted = policy::authorize::<to::Delete>(&self.db, user, application).await?;
        if key.application_id != permitted.id() || key.kind != kind {
            return Err(image_not_found());
        }
        let row = repo::find(&self.db, &permitted.to_view(), &key)
            .await?
            .ok_or_else(image_not_found)?;
        // The row and its audit entry go first, in one transaction: nothing is
        // deleted without its entry. Should the object's delete then fail, the
        // object no row records is the tombstone the storage sweep finishes.
        let txn = self.db.begin().await.map_err(PersistenceError::from)?;
        if !repo::delete(&txn, &permitted, row.id).await? {
            return Err(image_not_found());
        }
        let entry = audit::NewEntry {
            actor: audit::Actor::user(user),
            action: AuditAction::Delete,
            application: Some(permitted.id().0),
            target: key.to_string(),
        };
        audit::append(&txn, entry, Utc::now()).await?;
        txn.commit().await.map_err(PersistenceError::from)?;
        if let Err(error) = self.store.delete(&key).await {
            tracing::warn!(error = %error_chain(&error), "an image's record is deleted but its object is not yet; the storage sweep will remove it");
        }
        tracing::info!(user = %user.id, "image deleted");
        Ok(DeleteReceipt {
            success: true,
            message: format!("{kind} image deleted"),
        })
    }

    async fn signed_urls(
        &self,
        user: &CurrentUser,
        keys: Vec<ObjectKey>,
    ) -> Result<Vec<SignedUrl>, AppError> {
        let started = std::time::Instant::now();
        let urls = self.sign(user, keys).await?;
        metrics::histogram!("interview_monitor_signing_seconds")
            .record(started.elapsed().as_secs_f64());
        metrics::counter!("interview_monitor_signed_urls_total").increment(urls.len() as u64);
        Ok(urls)
    }
}

impl MonitoringService {
    /// Checks every key's application with the policy, then signs them in the
    /// order asked. A key asked for more than once is signed, counted and
    /// recorded once, and answered at every place it was asked.
    async fn sign(
        &self,
        user: &CurrentUser,
        keys: Vec<ObjectKey>,
    ) -> Result<Vec<SignedUrl>, AppError> {
        let mut seen = std::collections::HashSet::new();
        let distinct: Vec<ObjectKey> = keys
            .iter()
            .filter(|key| seen.insert(*key))
            .cloned()
            .collect();
        // One query for the applications of all keys, each checked by the policy.
        let mut ids: Vec<_> = distinct.iter().map(|key| key.application_id).collect();
        ids.sort();
        ids.dedup();
        let loaded = application_repo::applications(&self.db, &ids).await?;
        let permitted = policy::check_all::<to::View>(user, &ids, loaded)?;
        // And one for the keys themselves: only stored images are signed.
        let texts: Vec<String> = distinct.iter().map(ToString::to_string).collect();
        let recorded: std::collections::HashSet<String> =
            repo::recorded_keys(&self.db, &permitted, &texts)
                .await?
                .into_iter()
                .collect();
        if let Some(missing) = texts.iter().find(|key| !recorded.contains(*key)) {
            return Err(AppError::NotFound(format!("no such image: {missing}")));
        }
        let now = Utc::now();
        let subject = format!("views:{}", user.id);
        let (viewed, _) =
            counters::take_many(&self.db, &subject, now, 60, distinct.len() as u64).await?;
        if viewed > self.views_per_minute {
            return Err(AppError::TooManyRequests(format!(
                "more than {} images signed in a minute; slow down",
                self.views_per_minute
            )));
        }

        let expires_at = now
            + chrono::Duration::from_std(self.signed_url_ttl).unwrap_or(chrono::Duration::hours(1));
        let urls = self
            .store
            .signed_urls(&distinct, self.signed_url_ttl, expires_at)
            .await?;
        // Recorded before anyone gets a URL: one entry per application, with its keys.
        let txn = self.db.begin().await.map_err(PersistenceError::from)?;
        for id in &ids {
            let target = texts
                .iter()
                .zip(&distinct)
                .filter(|(_, key)| key.application_id == *id)
                .map(|(text, _)| text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let entry = audit::NewEntry {
                actor: audit::Actor::user(user),
                action: AuditAction::View,
                application: Some(id.0),
                target,
            };
            audit::append(&txn, entry, now).await?;
        }
        txn.commit().await.map_err(PersistenceError::from)?;
        let signed: HashMap<&ObjectKey, String> = distinct.iter().zip(urls).collect();
        keys.iter()
            .map(|s3_key| {
                let url = signed.get(s3_key).cloned().ok_or_else(AppError::internal)?;
                Ok(SignedUrl {
                    s3_key: s3_key.clone(),
                    url,
                    expires_at,
                })
            })
            .collect()
    }
}
