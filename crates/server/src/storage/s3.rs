//! Any S3-compatible store through aws-sdk-s3: SSE AES256, `image/jpeg`, presigned
//! GETs, timeouts, and the SDK's standard retry with backoff on transient errors.
//! Given several gateways of one cluster (AWS_ENDPOINT_URL_S3 with commas), a
//! request that finds its gateway unreachable goes to the next one, which then
//! serves until it fails in turn; signed URLs name the gateway in use.

use std::{
    future::Future,
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use async_trait::async_trait;
use aws_sdk_s3::{
    config::{
        http::HttpResponse, retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion,
        Credentials, Region,
    },
    error::SdkError,
    operation::head_bucket::HeadBucketError,
    presigning::PresigningConfig,
    primitives::ByteStream,
    types::ServerSideEncryption,
    Client,
};
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use shared::ObjectKey;

use super::{presign::Presigner, ListedObject, ObjectStore, Payload, StorageError};
use crate::settings::S3Settings;

/// One S3 endpoint: its client and its URL signer.
struct Gateway {
    client: Client,
    /// Signs URLs without the SDK's per-request machinery (static credentials only).
    presigner: Option<Presigner>,
}

pub struct S3Store {
    gateways: Vec<Gateway>,
    /// The gateway requests go to first: the last one that answered.
    current: AtomicUsize,
    bucket: String,
}

impl S3Store {
    pub fn new(settings: &S3Settings) -> Self {
        let endpoints: Vec<Option<&str>> = if settings.endpoints.is_empty() {
            vec![None]
        } else {
            settings
                .endpoints
                .iter()
                .map(|e| Some(e.as_str()))
                .collect()
        };
        let gateways = endpoints
            .into_iter()
            .map(|endpoint| gateway(settings, endpoint))
            .collect();
        S3Store {
            gateways,
            current: AtomicUsize::new(0),
            bucket: settings.bucket.clone(),
        }
    }

    /// The client of the gateway in use.
    pub fn client(&self) -> &Client {
        &self.gateways[self.current.load(Ordering::Relaxed) % self.gateways.len()].client
    }

    /// Runs `operation` on the gateway in use; when that one is unreachable, on
    /// each other in turn, and the first that answers becomes the one in use.
    async fn on_any<T, F, Fut>(&self, operation: F) -> Result<T, StorageError>
    where
        F: Fn(&Client) -> Fut,
        Fut: Future<Output = Result<T, StorageError>>,
    {
        let first = self.current.load(Ordering::Relaxed) % self.gateways.len();
        let mut last_error = None;
        for offset in 0..self.gateways.len() {
            let index = (first + offset) % self.gateways.len();
            match operation(&self.gateways[index].client).await {
                Err(StorageError::Unreachable(error)) => {
                    if self.gateways.len() > 1 {
                        tracing::warn!(gateway = index, error = %crate::telemetry::error_chain(error.as_ref()), "an S3 gateway is unreachable; trying the next");
                    }
                    last_error = Some(StorageError::Unreachable(error));
                }
                result => {
                    if offset > 0 {
                        self.current.store(index, Ordering::Relaxed);
                        metrics::counter!("interview_monitor_storage_failovers_total").increment(1);
                    }
                    return result;
                }
            }
        }
        Err(last_error
            .unwrap_or_else(|| StorageError::Config("no S3 endpoint is configured".into())))
    }
}

fn gateway(settings: &S3Settings, endpoint: Option<&str>) -> Gateway {
    // With other gateways to turn to, give up on a dead one sooner.
    let attempts = if settings.endpoints.len() > 1 { 1 } else { 3 };
    let mut config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .retry_config(RetryConfig::standard().with_max_attempts(attempts))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(10))
                .operation_timeout(Duration::from_secs(25))
                .build(),
        );
    if let (Some(id), Some(secret)) = (&settings.access_key_id, &settings.secret_access_key) {
        config = config.credentials_provider(Credentials::new(
            id,
            secret.expose(),
            None,
            None,
            "interview-monitor settings",
        ));
    }
    if let Some(endpoint) = endpoint {
        config = config.endpoint_url(endpoint).force_path_style(true);
    }
    let presigner = match (&settings.access_key_id, &settings.secret_access_key) {
        (Some(id), Some(secret)) => Some(Presigner::new(
            endpoint,
            &settings.bucket,
            &settings.region,
            id,
            secret.expose(),
        )),
        _ => None,
    };
    Gateway {
        client: Client::from_conf(config.build()),
        presigner,
    }
}

/// Unreachable (503) for network failures, timeouts and 5xx; refused otherwise.
fn classify<E, R>(error: SdkError<E, R>) -> StorageError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let unreachable = match &error {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
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

/// How long the bucket check at start may take in all, whatever the gateways
/// and the SDK's retries: a store that does not answer holds nothing up longer.
const BUCKET_CHECK: Duration = Duration::from_secs(3);

impl S3Store {
    /// Asks the store for the bucket (`HeadBucket`) before the server starts:
    /// a bucket that does not exist, a name the store refuses or credentials
    /// that may not use it would otherwise fail every upload. A store that does
    /// not answer within [`BUCKET_CHECK`] is no reason not to start (it may
    /// come back; uploads then get 503 until it does): that is `Unreachable`,
    /// for the caller to log.
    pub async fn check_bucket(&self) -> Result<(), StorageError> {
        let asked = self.on_any(|client| {
            let request = client.head_bucket().bucket(&self.bucket);
            async move { request.send().await.map(|_| ()).map_err(classify) }
        });
        let answer = tokio::time::timeout(BUCKET_CHECK, asked)
            .await
            .unwrap_or_else(|elapsed| Err(StorageError::Unreachable(Box::new(elapsed))));
        match answer {
            Err(StorageError::Refused(error)) => {
                let status = error
                    .downcast_ref::<SdkError<HeadBucketError, HttpResponse>>()
                    .and_then(|error| error.raw_response())
                    .map(|response| response.status().as_u16());
                let why = match status {
                    Some(404) => "the store has no bucket of that name".to_string(),
                    Some(403) => "these credentials may not use it".to_string(),
                    Some(400) => "the store does not take that name".to_string(),
                    Some(301) => "the bucket is in another region than AWS_REGION".to_string(),
                    _ => format!(
                        "the store refused it: {}",
                        crate::telemetry::error_chain(error.as_ref())
                    ),
                };
                Err(StorageError::Config(format!(
                    "AWS_S3_BUCKET_NAME={:?}: {why} ({})",
                    self.bucket,
                    status.map_or("no status".to_string(), |s| format!("HTTP {s}"))
                )))
            }
            other => other,
        }
    }

    async fn list_prefix(&self, prefix: &str) -> Result<Vec<ListedObject>, StorageError> {
        self.on_any(|client| {
            let mut pages = client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .into_paginator()
                .send();
            async move {
                let mut objects = Vec::new();
                while let Some(page) = pages.next().await {
                    let page = page.map_err(classify)?;
                    for object in page.contents() {
                        let Some(key) = object.key() else { continue };
                        let modified = object
                            .last_modified()
                            .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
                            .unwrap_or_else(Utc::now);
                        objects.push(ListedObject {
                            key: key.to_string(),
                            modified,
                        });
                    }
                }
                Ok(objects)
            }
        })
        .await
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn put(&self, key: &ObjectKey, payload: &Payload) -> Result<(), StorageError> {
        // One checksum, computed once (by the caller, who records it too): the
        // SHA-256 goes as `x-amz-checksum-sha256`, a signed header, and the store
        // refuses a body that does not match it (400 BadDigest). So the payload
        // itself goes unsigned (`UNSIGNED-PAYLOAD`): signing it would hash the
        // bytes again here and, in stores that check it, there too. With the
        // checksum set, the SDK adds none of its own (no aws-chunked CRC trailer).
        let checksum = base64::engine::general_purpose::STANDARD.encode(payload.sha256());
        let key = key.to_string();
        self.on_any(|client| {
            let request = client
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                .content_type("image/jpeg")
                .server_side_encryption(ServerSideEncryption::Aes256)
                .checksum_sha256(&checksum)
                .body(ByteStream::from(payload.bytes().clone()))
                .customize()
                .disable_payload_signing();
            async move { request.send().await.map(|_| ()).map_err(classify) }
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn get(&self, key: &ObjectKey) -> Result<Bytes, StorageError> {
        let key = key.to_string();
        self.on_any(|client| {
            let request = client.get_object().bucket(&self.bucket).key(&key);
            async move {
                let object = request.send().await.map_err(|error| {
                    if error.as_service_error().is_some_and(|e| e.is_no_such_key()) {
                        StorageError::NotFound
                    } else {
                        classify(error)
                    }
                })?;
                let body = object
                    .body
                    .collect()
                    .await
                    .map_err(|e| StorageError::Unreachable(Box::new(e)))?;
                Ok(body.into_bytes())
            }
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        let key = key.to_string();
        self.on_any(|client| {
            let request = client.delete_object().bucket(&self.bucket).key(&key);
            async move { request.send().await.map(|_| ()).map_err(classify) }
        })
        .await
    }

    async fn list(&self) -> Result<Vec<ListedObject>, StorageError> {
        self.list_prefix("monitoring/").await
    }

    async fn list_application(
        &self,
        application: shared::ApplicationId,
    ) -> Result<Vec<ListedObject>, StorageError> {
        self.list_prefix(&format!("monitoring/{application}/"))
            .await
    }

    async fn signed_url(
        &self,
        key: &ObjectKey,
        ttl: Duration,
        expires_at: DateTime<Utc>,
    ) -> Result<String, StorageError> {
        let mut urls = self
            .signed_urls(std::slice::from_ref(key), ttl, expires_at)
            .await?;
        urls.pop()
            .ok_or_else(|| StorageError::Config("no URL was signed".into()))
    }

    async fn signed_urls(
        &self,
        keys: &[ObjectKey],
        ttl: Duration,
        expires_at: DateTime<Utc>,
    ) -> Result<Vec<String>, StorageError> {
        let gateway = &self.gateways[self.current.load(Ordering::Relaxed) % self.gateways.len()];
        match &gateway.presigner {
            Some(presigner) => {
                let signed_at = expires_at - chrono::Duration::from_std(ttl).unwrap_or_default();
                let texts: Vec<String> = keys.iter().map(ToString::to_string).collect();
                Ok(presigner
                    .urls(texts.iter().map(String::as_str), signed_at, ttl.as_secs())
                    .collect())
            }
            None => {
                let mut urls = Vec::with_capacity(keys.len());
                for key in keys {
                    urls.push(self.sdk_signed_url(key, ttl, None).await?);
                }
                Ok(urls)
            }
        }
    }
}

impl S3Store {
    /// The SDK's presigned URL (for credentials it resolves itself, and to test ours against).
    pub async fn sdk_signed_url(
        &self,
        key: &ObjectKey,
        ttl: Duration,
        start: Option<std::time::SystemTime>,
    ) -> Result<String, StorageError> {
        let mut presigning = PresigningConfig::builder().expires_in(ttl);
        if let Some(start) = start {
            presigning = presigning.start_time(start);
        }
        let presigning = presigning
            .build()
            .map_err(|e| StorageError::Config(e.to_string()))?;
        let request = self
            .client()
            .get_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .presigned(presigning)
            .await
            .map_err(classify)?;
        Ok(request.uri().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Secret;

    fn store(endpoint: Option<&str>) -> S3Store {
        S3Store::new(&S3Settings {
            bucket: "interview-images".into(),
            region: "eu-central-1".into(),
            endpoints: endpoint.map(str::to_string).into_iter().collect(),
            access_key_id: Some("AKIDEXAMPLE".into()),
            secret_access_key: Some(Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")),
        })
    }

    /// Ours and the SDK's, at the same instant, for path-style and virtual-hosted buckets.
    #[tokio::test]
    async fn our_presigned_urls_are_the_sdks_byte_for_byte() {
        let key: ObjectKey =
            "monitoring/6f1c2a3b-0000-4000-8000-00000000abcd/camera/1764063000123-0b7e0000-1111-4222-8333-444455556666.jpg".parse().unwrap();
        for endpoint in [
            Some("http://127.0.0.1:8333"),
            Some("https://s3.example.com"),
            None,
        ] {
            let store = store(endpoint);
            for (seconds, ttl) in [
                (1_795_000_000, 3600),
                (1_795_086_399, 60),
                (1_795_086_400, 604_800),
            ] {
                let start = std::time::UNIX_EPOCH + Duration::from_secs(seconds);
                let expected = store
                    .sdk_signed_url(&key, Duration::from_secs(ttl), Some(start))
                    .await
                    .unwrap();
                let signed_at = DateTime::from_timestamp(seconds as i64, 0).unwrap();
                let ours: Vec<String> = store.gateways[0]
                    .presigner
                    .as_ref()
                    .unwrap()
                    .urls([key.to_string().as_str()], signed_at, ttl)
                    .collect();
                assert_eq!(
                    ours[0], expected,
                    "endpoint {endpoint:?}, at {seconds}, ttl {ttl}"
                );
                assert!(
                    expected.contains("X-Amz-Signature=") && expected.contains(&key.to_string()),
                    "{expected}"
                );
            }
        }
    }
}
