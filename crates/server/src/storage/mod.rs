//! Object storage: one trait, two implementations with the same key layout
//! (`monitoring/{applicationId}/{kind}/{epochMillis}-{uuid}.jpg`).

pub mod file;
pub mod presign;
pub mod s3;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use shared::{ApplicationId, ObjectKey};

use crate::settings::{Settings, StorageSettings};

/// Where the built-in store's signed URLs point (served by interview-monitor).
pub const MEDIA_PREFIX: &str = "/media/";

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object storage is unreachable")]
    Unreachable(#[source] BoxError),
    #[error("object storage refused the request")]
    Refused(#[source] BoxError),
    #[error("the object does not exist")]
    NotFound,
    #[error("the stored object cannot be decrypted (corrupt, or another key)")]
    Corrupt,
    /// The built-in store's disk (or the user's quota) is full: 503, so clients
    /// keep their captures and retry once an operator has made room.
    #[error("the built-in store's disk is full")]
    Full(#[source] std::io::Error),
    #[error("the built-in store failed")]
    Io(#[source] std::io::Error),
    #[error("the storage settings are not usable: {0}")]
    Config(String),
}

impl From<std::io::Error> for StorageError {
    fn from(error: std::io::Error) -> Self {
        use std::io::ErrorKind;
        match error.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => StorageError::Full(error),
            _ => StorageError::Io(error),
        }
    }
}

/// An object as a listing shows it.
#[derive(Debug, Clone)]
pub struct ListedObject {
    pub key: String,
    pub modified: DateTime<Utc>,
}

/// An object's bytes with their SHA-256, computed once: the database records
/// it, and an S3 store checks what arrived against it.
#[derive(Clone)]
pub struct Payload {
    bytes: Bytes,
    sha256: [u8; 32],
}

impl Payload {
    pub fn new(bytes: Bytes) -> Self {
        let sha256 = Sha256::digest(&bytes).into();
        Payload { bytes, sha256 }
    }

    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }

    /// The SHA-256 in lowercase hex, as the database records it.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Stores the JPEG; when this returns Ok the object is durable.
    async fn put(&self, key: &ObjectKey, payload: &Payload) -> Result<(), StorageError>;
    /// The object's bytes (`NotFound` when there is none).
    async fn get(&self, key: &ObjectKey) -> Result<Bytes, StorageError>;
    /// Removes the object; removing a missing object succeeds.
    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError>;
    /// Every object under `monitoring/`.
    async fn list(&self) -> Result<Vec<ListedObject>, StorageError>;
    /// Every object under `monitoring/{application}/`.
    async fn list_application(
        &self,
        application: ApplicationId,
    ) -> Result<Vec<ListedObject>, StorageError> {
        let prefix = format!("monitoring/{application}/");
        Ok(self
            .list()
            .await?
            .into_iter()
            .filter(|object| object.key.starts_with(&prefix))
            .collect())
    }
    /// A URL that serves the object until `expires_at`.
    async fn signed_url(
        &self,
        key: &ObjectKey,
        ttl: Duration,
        expires_at: DateTime<Utc>,
    ) -> Result<String, StorageError>;

    /// URLs for many keys, in order (a store may sign a batch faster than one by one).
    async fn signed_urls(
        &self,
        keys: &[ObjectKey],
        ttl: Duration,
        expires_at: DateTime<Utc>,
    ) -> Result<Vec<String>, StorageError> {
        let mut urls = Vec::with_capacity(keys.len());
        for key in keys {
            urls.push(self.signed_url(key, ttl, expires_at).await?);
        }
        Ok(urls)
    }
}

/// The store the settings ask for, plus the built-in store itself when that is
/// the one (the server serves its signed URLs at `/media/...`).
pub async fn from_settings(
    settings: &Settings,
) -> Result<(Arc<dyn ObjectStore>, Option<Arc<file::FileStore>>), StorageError> {
    match &settings.storage {
        StorageSettings::S3(s3) => {
            let store = s3::S3Store::new(s3);
            match store.check_bucket().await {
                Err(StorageError::Unreachable(error)) => tracing::warn!(
                    error = %crate::telemetry::error_chain(error.as_ref()),
                    "object storage did not answer the bucket check; going on (what needs it waits for it)"
                ),
                checked => checked?,
            }
            Ok((Arc::new(store), None))
        }
        StorageSettings::BuiltIn { key } => {
            let store = Arc::new(file::FileStore::open(&settings.data_dir, key.as_ref())?);
            Ok((store.clone(), Some(store)))
        }
    }
}
