//! The monitoring service: the server's side of `app::services::Monitoring`.
//! Policy first, then storage, then the database; an image row exists only for an
//! object that is stored.

pub mod binary_upload;
pub mod jpeg;
pub mod reconcile;

use std::{collections::HashMap, sync::Arc, time::Duration};

use app::{
    monitoring::input::{ImagePage, NewImage},
    services::Monitoring,
    AppError,
};
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};
use shared::{CurrentUser, DeleteReceipt, ImageKind, ImageList, ImageRef, ObjectKey, SignedUrl, UploadReceipt, UserId};
use uuid::Uuid;

use crate::{
    db::{applications as application_repo, images as repo},
    encoding::hex,
    error::error_chain,
    policy::{self, Action},
    storage::{ObjectStore, StorageError},
};

pub struct MonitoringService {
    pub db: DatabaseConnection,
    pub store: Arc<dyn ObjectStore>,
    pub max_image_bytes: usize,
    pub signed_url_ttl: Duration,
    /// Uploads one user may make per minute (429 beyond).
    pub uploads_per_minute: u64,
}

impl From<StorageError> for AppError {
    fn from(error: StorageError) -> Self {
        match &error {
            StorageError::Unreachable(_) => {
                tracing::warn!(error = %error_chain(&error), "object storage unreachable");
                AppError::Unavailable("object storage is unreachable; try again shortly".into())
            }
            StorageError::NotFound => AppError::NotFound("no such image".into()),
            _ => {
                tracing::error!(error = %error_chain(&error), "object storage failed");
                AppError::internal()
            }
        }
    }
}

fn image_not_found() -> AppError {
    AppError::NotFound("no such image in this application".into())
}

fn image_refs(rows: Vec<(String, DateTime<Utc>)>) -> Result<Vec<ImageRef>, AppError> {
    rows.into_iter()
        .map(|(key, timestamp)| {
            let s3_key = key.parse::<ObjectKey>().map_err(|e| {
                tracing::error!(error = %e, "a recorded key does not parse");
                AppError::internal()
            })?;
            Ok(ImageRef { s3_key, timestamp })
        })
        .collect()
}

impl MonitoringService {
    async fn throttle_uploads(&self, user: UserId) -> Result<(), AppError> {
        let since = Utc::now() - chrono::Duration::minutes(1);
        if repo::uploads_since(&self.db, user, since).await? >= self.uploads_per_minute {
            return Err(AppError::TooManyRequests(format!(
                "more than {} uploads in a minute; slow down",
                self.uploads_per_minute
            )));
        }
        Ok(())
    }
}

impl MonitoringService {
    async fn earlier_upload(&self, id: Uuid, application: shared::ApplicationId, kind: ImageKind) -> Result<Option<UploadReceipt>, AppError> {
        let Some(row) = repo::find_by_id(&self.db, id).await? else {
            return Ok(None);
        };
        let key: ObjectKey = row.object_key.parse().map_err(|_| AppError::internal())?;
        if key.application_id != application || key.kind != kind {
            return Err(AppError::BadRequest("this captureId was used for another image".into()));
        }
        Ok(Some(UploadReceipt {
            success: true,
            message: format!("{kind} image was already uploaded"),
            s3_key: key,
            timestamp: row.stored_at,
        }))
    }
}

#[async_trait]
impl Monitoring for MonitoringService {
    fn max_image_bytes(&self) -> usize {
        self.max_image_bytes
    }

    #[tracing::instrument(skip_all, fields(application = %image.application_id, kind = %image.kind, bytes = image.bytes.len()))]
    async fn upload(&self, user: &CurrentUser, image: NewImage) -> Result<UploadReceipt, AppError> {
        if image.bytes.len() > self.max_image_bytes {
            return Err(app::monitoring::input::too_large(self.max_image_bytes));
        }
        jpeg::check(&image.bytes).map_err(|e| AppError::UnsupportedMediaType(e.to_string()))?;
        let permitted = policy::authorize(&self.db, user, Action::Upload, image.application_id).await?;
        self.throttle_uploads(user.id).await?;

        // A capture uploaded before (a retry whose answer was lost) is answered, not stored again.
        if let Some(id) = image.capture_id {
            if let Some(receipt) = self.earlier_upload(id, permitted.id(), image.kind).await? {
                return Ok(receipt);
            }
        }
        let captured_at = image.captured_at.unwrap_or_else(Utc::now);
        let id = image.capture_id.unwrap_or_else(Uuid::new_v4);
        let key = ObjectKey::new(permitted.id(), image.kind, captured_at.timestamp_millis(), id);
        let sha256 = hex(&Sha256::digest(&image.bytes));
        let size_bytes = image.bytes.len() as i64;
        self.store.put(&key, Bytes::from(image.bytes)).await?;

        let stored_at = Utc::now();
        let row = repo::NewImageRow { key: &key, captured_at, stored_at, size_bytes, sha256, uploaded_by: user.id };
        if let Err(error) = repo::insert(&self.db, row).await {
            // Nothing half-written: without its row the object must go too.
            if let Err(cleanup) = self.store.delete(&key).await {
                tracing::error!(%key, error = %error_chain(&cleanup), "could not remove an unrecorded object; `storage reconcile` will");
            }
            // Two copies of one retried capture raced: the other one was recorded.
            if let Some(id) = image.capture_id {
                if let Some(receipt) = self.earlier_upload(id, permitted.id(), image.kind).await? {
                    return Ok(receipt);
                }
            }
            return Err(error.into());
        }
        Ok(UploadReceipt {
            success: true,
            message: format!("{} image uploaded", image.kind),
            s3_key: key,
            timestamp: stored_at,
        })
    }

    async fn images(&self, user: &CurrentUser, application: shared::ApplicationId, page: ImagePage) -> Result<ImageList, AppError> {
        let permitted = policy::authorize(&self.db, user, Action::View, application).await?;
        let camera = repo::list(&self.db, permitted.id(), ImageKind::Camera, page.before, page.limit).await?;
        let screen = repo::list(&self.db, permitted.id(), ImageKind::Screen, page.before, page.limit).await?;
        Ok(ImageList { camera: image_refs(camera)?, screen: image_refs(screen)? })
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn delete(&self, user: &CurrentUser, application: shared::ApplicationId, kind: ImageKind, key: ObjectKey) -> Result<DeleteReceipt, AppError> {
        let permitted = policy::authorize(&self.db, user, Action::Delete, application).await?;
        if key.application_id != permitted.id() || key.kind != kind {
            return Err(image_not_found());
        }
        let row = repo::find(&self.db, &key).await?.ok_or_else(image_not_found)?;
        // The object goes first: if storage is down the row stays and the delete can be retried.
        self.store.delete(&key).await?;
        if !repo::delete(&self.db, row.id).await? {
            return Err(image_not_found());
        }
        tracing::info!(user = %user.id, "image deleted");
        Ok(DeleteReceipt { success: true, message: format!("{kind} image deleted") })
    }

    async fn signed_urls(&self, user: &CurrentUser, keys: Vec<ObjectKey>) -> Result<Vec<SignedUrl>, AppError> {
        // One query for the applications of all keys, checked here.
        let mut ids: Vec<_> = keys.iter().map(|key| key.application_id).collect();
        ids.sort();
        ids.dedup();
        let applications: HashMap<Uuid, _> =
            application_repo::applications(&self.db, &ids).await?.into_iter().map(|a| (a.id, a)).collect();
        for id in &ids {
            let application = applications.get(&id.0).cloned().ok_or_else(policy::not_found)?;
            policy::check(user, Action::View, application)?;
        }
        // And one for the keys themselves: only recorded images are signed.
        let texts: Vec<String> = keys.iter().map(ToString::to_string).collect();
        let recorded: std::collections::HashSet<String> = repo::recorded_keys(&self.db, &texts).await?.into_iter().collect();
        if let Some(missing) = texts.iter().find(|key| !recorded.contains(*key)) {
            return Err(AppError::NotFound(format!("no such image: {missing}")));
        }

        let expires_at = Utc::now() + chrono::Duration::from_std(self.signed_url_ttl).unwrap_or(chrono::Duration::hours(1));
        let mut urls = Vec::with_capacity(keys.len());
        for key in keys {
            let url = self.store.signed_url(&key, self.signed_url_ttl, expires_at).await?;
            urls.push(SignedUrl { s3_key: key, url, expires_at });
        }
        Ok(urls)
    }
}
