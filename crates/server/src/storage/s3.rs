//! Any S3-compatible store through aws-sdk-s3: SSE AES256, `image/jpeg`, presigned
//! GETs, timeouts, and the SDK's standard retry with backoff on transient errors.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::{
    config::{retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion, Credentials, Region},
    error::SdkError,
    presigning::PresigningConfig,
    primitives::ByteStream,
    types::ServerSideEncryption,
    Client,
};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use shared::ObjectKey;

use super::{ListedObject, ObjectStore, StorageError};
use crate::settings::S3Settings;

pub struct S3Store {
    client: Client,
    bucket: String,
}

impl S3Store {
    pub fn new(settings: &S3Settings) -> Self {
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(Duration::from_secs(10))
                    .operation_timeout(Duration::from_secs(25))
                    .build(),
            );
        if let (Some(id), Some(secret)) = (&settings.access_key_id, &settings.secret_access_key) {
            config = config.credentials_provider(Credentials::new(id, secret.expose(), None, None, "interview-monitor settings"));
        }
        if let Some(endpoint) = &settings.endpoint {
            config = config.endpoint_url(endpoint).force_path_style(true);
        }
        S3Store { client: Client::from_conf(config.build()), bucket: settings.bucket.clone() }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Unreachable (503) for network failures, timeouts and 5xx; refused otherwise.
fn classify<E, R>(error: SdkError<E, R>) -> StorageError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let unreachable = match &error {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(service) => {
            let status = format!("{:?}", service.raw());
            status.contains("status: 5") || status.contains("StatusCode(5")
        }
        _ => false,
    };
    if unreachable {
        StorageError::Unreachable(Box::new(error))
    } else {
        StorageError::Refused(Box::new(error))
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn put(&self, key: &ObjectKey, bytes: Bytes) -> Result<(), StorageError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .content_type("image/jpeg")
            .server_side_encryption(ServerSideEncryption::Aes256)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        self.client.delete_object().bucket(&self.bucket).key(key.to_string()).send().await.map_err(classify)?;
        Ok(())
    }

    async fn list(&self) -> Result<Vec<ListedObject>, StorageError> {
        let mut objects = Vec::new();
        let mut pages = self.client.list_objects_v2().bucket(&self.bucket).prefix("monitoring/").into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(classify)?;
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                let modified = object
                    .last_modified()
                    .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
                    .unwrap_or_else(Utc::now);
                objects.push(ListedObject { key: key.to_string(), modified });
            }
        }
        Ok(objects)
    }

    async fn signed_url(&self, key: &ObjectKey, ttl: Duration, _expires_at: DateTime<Utc>) -> Result<String, StorageError> {
        let presigning = PresigningConfig::expires_in(ttl).map_err(|e| StorageError::Config(e.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .presigned(presigning)
            .await
            .map_err(classify)?;
        Ok(request.uri().to_string())
    }
}
