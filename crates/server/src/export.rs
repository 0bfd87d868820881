//! `POST /api/monitoring/export` `{applicationId}`: the evidence of one
//! application as a zip (`images/camera/*.jpg`, `images/screen/*.jpg`,
//! `events.json`, `manifest.json`), streamed. A POST, so every cross-site check
//! of the edge applies: no other page can make a recruiter's browser start one.
//!
//! The manifest is made first, from what was recorded at upload (each image's
//! SHA-256 and size), and the export's audit entry records its digest before
//! the first byte goes out. Then one image at a time is read, checked against
//! its recorded SHA-256 and written; a damaged one stops the export (the zip
//! has no central directory and does not open). The writing is an async task
//! with no blocking thread: a client that stops reading holds nothing but its
//! task, which gives up after [`STALL`]. A user runs at most
//! [`EXPORTS_PER_USER`] exports at once and an instance [`EXPORTS`] (429 beyond).
//!
//! `verify` is the other side: `interview-monitor export verify FILE.zip`.

use std::{
    io::{Read, Write},
    sync::{Arc, Mutex},
    time::Duration,
};

use app::{auth::ssr::SignedIn, services::Services, AppError};
use axum::{
    body::Body,
    extract::{rejection::JsonRejection, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Extension, Json,
};
use bytes::Bytes;
use chrono::{DateTime, Datelike, Timelike, Utc};
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};
use shared::{
    audit::{AuditAction, ExportManifest, ExportedFile},
    ObjectKey,
};
use tokio::sync::mpsc;
use zip::{write::SimpleFileOptions, CompressionMethod, ZipWriter};

use crate::{
    db::{
        audit::{self, Actor, NewEntry},
        images as image_repo,
    },
    monitoring::slots::{Holder, UploadSlot, UploadSlots},
    policy::{self, to},
    storage::ObjectStore,
    telemetry::error_chain,
};

pub const EXPORT_PATH: &str = "/api/monitoring/export";
/// Chunks of the zip in flight between the writer and the connection.
const CHANNEL_CHUNKS: usize = 4;
const CHUNK_BYTES: usize = 64 * 1024;
/// How long a client may stop reading before its export is cut off.
pub const STALL: Duration = Duration::from_secs(30);
/// Exports one instance streams at once.
pub const EXPORTS: usize = 8;
/// Exports one user streams at once.
pub const EXPORTS_PER_USER: usize = 2;

/// The export slots of an instance (per user, and overall).
#[derive(Clone)]
pub struct ExportSlots(pub UploadSlots);

impl Default for ExportSlots {
    fn default() -> Self {
        ExportSlots(UploadSlots::exports(EXPORTS, EXPORTS_PER_USER))
    }
}

/// The zip as it is written, taken out piece by piece to be sent.
#[derive(Clone, Default)]
struct Pending(Arc<Mutex<Vec<u8>>>);

impl Pending {
    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut bytes| std::mem::take(&mut *bytes))
            .unwrap_or_default()
    }
}

impl Write for Pending {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("the export buffer was poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
enum ExportError {
    #[error("writing the zip failed")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the zip failed")]
    Io(#[from] std::io::Error),
    #[error("reading {0} failed")]
    Storage(String, #[source] crate::storage::StorageError),
    #[error("{0} is damaged: its SHA-256 differs from the one recorded at upload")]
    Damaged(String),
    #[error("the client went away")]
    Gone,
    #[error("the client stopped reading for {0:?}")]
    Stalled(Duration),
}

fn zip_time(at: DateTime<Utc>) -> zip::DateTime {
    zip::DateTime::from_date_and_time(
        at.year().clamp(1980, 2107) as u16,
        at.month() as u8,
        at.day() as u8,
        at.hour() as u8,
        at.minute() as u8,
        at.second() as u8,
    )
    .unwrap_or_default()
}

/// One image to put in the zip.
struct Item {
    key: ObjectKey,
    path: String,
    captured_at: DateTime<Utc>,
    sha256: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportRequest {
    application_id: String,
}

pub async fn export(
    State(db): State<DatabaseConnection>,
    State(store): State<Arc<dyn ObjectStore>>,
    State(slots): State<ExportSlots>,
    Extension(services): Extension<Services>,
    SignedIn(user): SignedIn,
    request: Result<Json<ExportRequest>, JsonRejection>,
) -> Result<Response, AppError> {
    let Json(request) = request.map_err(|e| {
        AppError::BadRequest(format!(
            "the body is not `{{applicationId}}`: {}",
            e.body_text()
        ))
    })?;
    let application = shared::input::monitoring::application_id(&request.application_id)?;
    let permitted = policy::authorize::<to::Export>(&db, &user, application).await?;
    let slot = slots.0.acquire_now(Holder::User(user.id))?;
    let events = services.integrity.events(&user, application).await?;
    let events_json = serde_json::to_vec_pretty(&events).map_err(|_| AppError::internal())?;
    let rows = image_repo::all_of(&db, &permitted).await?;

    let now = Utc::now();
    let (_, head) = audit::head(&db).await?;
    let mut manifest = ExportManifest {
        application_id: application,
        exported_at: now,
        audit_head: head,
        files: Vec::with_capacity(rows.len() + 1),
    };
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let key = row.object_key.parse::<ObjectKey>().map_err(|e| {
            tracing::error!(error = %e, "a recorded key does not parse");
            AppError::internal()
        })?;
        let name = key.to_string();
        let file = name.rsplit('/').next().unwrap_or(&name);
        let path = format!("images/{}/{file}", key.kind);
        manifest.files.push(ExportedFile {
            path: path.clone(),
            sha256: row.sha256.clone(),
            size: u64::try_from(row.size_bytes).unwrap_or_default(),
            captured_at: Some(row.captured_at),
        });
        items.push(Item {
            key,
            path,
            captured_at: row.captured_at,
            sha256: row.sha256,
        });
    }
    manifest.files.push(ExportedFile {
        path: "events.json".into(),
        sha256: hex::encode(Sha256::digest(&events_json)),
        size: events_json.len() as u64,
        captured_at: None,
    });
    let manifest_json = serde_json::to_vec_pretty(&manifest).map_err(|_| AppError::internal())?;
    let entry = NewEntry {
        actor: Actor::user(&user),
        action: AuditAction::Export,
        application: Some(application.0),
        target: format!(
            "{}, {}; manifest sha256 {}",
            crate::retention::counted(items.len() as u64, "image"),
            crate::retention::counted(events.events.len() as u64, "event"),
            hex::encode(Sha256::digest(&manifest_json))
        ),
    };
    audit::append_alone(&db, entry, now).await?;

    let (sender, receiver) = mpsc::channel::<Bytes>(CHANNEL_CHUNKS);
    let zip = Zip {
        store,
        sender,
        at: zip_time(now),
    };
    tokio::spawn(async move {
        // Held until the export ends, however it ends.
        let _slot: UploadSlot = slot;
        if let Err(error) = zip.write(items, events_json, manifest_json).await {
            // The body ends early; the client's zip has no central directory and does not open.
            tracing::warn!(%application, error = %error_chain(&error), "an export stopped");
        }
    });
    let stream = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), receiver))
    });
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"evidence-{application}.zip\""
    ))
    .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// Writes one export's zip into its response body.
struct Zip {
    store: Arc<dyn ObjectStore>,
    sender: mpsc::Sender<Bytes>,
    /// The modification time of `events.json` and `manifest.json`.
    at: zip::DateTime,
}

impl Zip {
    async fn write(
        &self,
        items: Vec<Item>,
        events_json: Vec<u8>,
        manifest_json: Vec<u8>,
    ) -> Result<(), ExportError> {
        let pending = Pending::default();
        let mut zip = ZipWriter::new_stream(pending.clone());
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        for item in items {
            let bytes = self
                .store
                .get(&item.key)
                .await
                .map_err(|e| ExportError::Storage(item.key.to_string(), e))?;
            if hex::encode(Sha256::digest(&bytes)) != item.sha256 {
                metrics::counter!("interview_monitor_damaged_images_total").increment(1);
                return Err(ExportError::Damaged(item.key.to_string()));
            }
            zip.start_file(
                item.path.as_str(),
                options.last_modified_time(zip_time(item.captured_at)),
            )?;
            zip.write_all(&bytes)?;
            self.send(pending.take()).await?;
        }
        zip.start_file("events.json", options.last_modified_time(self.at))?;
        zip.write_all(&events_json)?;
        zip.start_file("manifest.json", options.last_modified_time(self.at))?;
        zip.write_all(&manifest_json)?;
        zip.finish()?;
        self.send(pending.take()).await
    }

    /// Sends `bytes` in chunks, each within [`STALL`] of the client's reading.
    async fn send(&self, bytes: Vec<u8>) -> Result<(), ExportError> {
        let bytes = Bytes::from(bytes);
        for start in (0..bytes.len()).step_by(CHUNK_BYTES) {
            let chunk = bytes.slice(start..(start + CHUNK_BYTES).min(bytes.len()));
            match tokio::time::timeout(STALL, self.sender.send(chunk)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Err(ExportError::Gone),
                Err(_) => return Err(ExportError::Stalled(STALL)),
            }
        }
        Ok(())
    }
}

/// What `export verify` found wrong, first problem first.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot open {0}: {1}")]
    Open(String, std::io::Error),
    #[error("not a readable zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("manifest.json is missing or not a manifest: {0}")]
    Manifest(String),
    #[error("{0} is listed in the manifest but not in the zip")]
    Missing(String),
    #[error("{0} differs from the manifest ({1})")]
    Differs(String, String),
    #[error("{0} is in the zip but not in the manifest")]
    Unlisted(String),
}

/// Checks every file of an export against its manifest; on success, what to print.
pub fn verify(path: &std::path::Path) -> Result<String, VerifyError> {
    let file =
        std::fs::File::open(path).map_err(|e| VerifyError::Open(path.display().to_string(), e))?;
    let mut archive = zip::ZipArchive::new(file)?;
    let manifest: ExportManifest = {
        let mut entry = archive
            .by_name("manifest.json")
            .map_err(|e| VerifyError::Manifest(e.to_string()))?;
        let mut text = Vec::new();
        entry
            .read_to_end(&mut text)
            .map_err(|e| VerifyError::Manifest(e.to_string()))?;
        serde_json::from_slice(&text).map_err(|e| VerifyError::Manifest(e.to_string()))?
    };
    for listed in &manifest.files {
        let mut entry = archive
            .by_name(&listed.path)
            .map_err(|_| VerifyError::Missing(listed.path.clone()))?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; CHUNK_BYTES];
        let mut size = 0u64;
        loop {
            let read = entry
                .read(&mut buffer)
                .map_err(|e| VerifyError::Differs(listed.path.clone(), e.to_string()))?;
            if read == 0 {
                break;
            }
            size += read as u64;
            hasher.update(&buffer[..read]);
        }
        if size != listed.size {
            return Err(VerifyError::Differs(
                listed.path.clone(),
                format!("{size} bytes, the manifest says {}", listed.size),
            ));
        }
        if hex::encode(hasher.finalize()) != listed.sha256 {
            return Err(VerifyError::Differs(
                listed.path.clone(),
                "its SHA-256 does not match".into(),
            ));
        }
    }
    let listed: std::collections::HashSet<&str> =
        manifest.files.iter().map(|f| f.path.as_str()).collect();
    if let Some(extra) = archive
        .file_names()
        .find(|name| *name != "manifest.json" && !listed.contains(name))
    {
        return Err(VerifyError::Unlisted(extra.to_string()));
    }
    Ok(format!(
        "intact: {} files match the manifest of application {} exported at {}; audit head {}",
        manifest.files.len(),
        manifest.application_id,
        shared::monitoring::millis::format(&manifest.exported_at),
        manifest.audit_head
    ))
}
