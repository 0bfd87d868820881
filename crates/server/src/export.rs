//! `GET /api/monitoring/export?applicationId=...`: the evidence of one
//! application as a zip (`images/camera/*.jpg`, `images/screen/*.jpg`,
//! `events.json`, `manifest.json`), streamed: one image at a time is read,
//! checked against the SHA-256 recorded at upload and written, and the body
//! goes out through a small bounded channel, so memory stays flat however many
//! images there are. The export is an audit entry, written before the first byte.
//!
//! `verify` is the other side: `interview-monitor export verify FILE.zip`.

use std::{
    collections::HashMap,
    io::{BufWriter, Read, Write},
    sync::Arc,
};

use app::{auth::ssr::SignedIn, services::Services, AppError};
use axum::{
    body::Body,
    extract::{rejection::QueryRejection, Query, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    Extension,
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
    encoding::hex,
    error::error_chain,
    policy::{self, Action},
    storage::ObjectStore,
};

pub const EXPORT_PATH: &str = "/api/monitoring/export";
/// Chunks of the zip in flight between the writer and the connection.
const CHANNEL_CHUNKS: usize = 4;
const CHUNK_BYTES: usize = 64 * 1024;

/// Writes into the response body; fails once the client is gone, which stops the export.
struct ChannelWriter(mpsc::Sender<Bytes>);

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Bytes::copy_from_slice(buf))
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
            })?;
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
    #[error("the manifest cannot be written")]
    Json(#[from] serde_json::Error),
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
    captured_at: DateTime<Utc>,
    sha256: String,
}

pub async fn export(
    State(db): State<DatabaseConnection>,
    State(store): State<Arc<dyn ObjectStore>>,
    Extension(services): Extension<Services>,
    SignedIn(user): SignedIn,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    // A download started by another site's link is refused: it would put an
    // export the user never asked for into the audit trail.
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Err(AppError::Forbidden(
            "cross-site requests are not accepted".into(),
        ));
    }
    let Query(params) = query
        .map_err(|e| AppError::BadRequest(format!("the query is malformed: {}", e.body_text())))?;
    let id = params
        .get("applicationId")
        .ok_or_else(|| AppError::BadRequest("the query is missing `applicationId`".into()))?;
    let application = app::monitoring::input::application_id(id)?;
    let permitted = policy::authorize(&db, &user, Action::Export, application).await?;
    let events = services.integrity.events(&user, application).await?;
    let rows = image_repo::all_of(&db, &permitted).await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let key = row.object_key.parse::<ObjectKey>().map_err(|e| {
                tracing::error!(error = %e, "a recorded key does not parse");
                AppError::internal()
            })?;
            Ok(Item {
                key,
                captured_at: row.captured_at,
                sha256: row.sha256,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;

    let now = Utc::now();
    let entry = NewEntry {
        actor: Actor::user(&user),
        action: AuditAction::Export,
        application: Some(application.0),
        target: format!(
            "{}, {}",
            crate::retention::counted(items.len() as u64, "image"),
            crate::retention::counted(events.events.len() as u64, "event")
        ),
    };
    let head = audit::append_alone(&db, entry, now).await?.hash;
    let events_json = serde_json::to_vec_pretty(&events).map_err(|_| AppError::internal())?;

    let (sender, receiver) = mpsc::channel::<Bytes>(CHANNEL_CHUNKS);
    let runtime = tokio::runtime::Handle::current();
    let manifest_base = ExportManifest {
        application_id: application,
        exported_at: now,
        audit_head: head,
        files: Vec::new(),
    };
    tokio::task::spawn_blocking(move || {
        if let Err(error) = write_zip(
            &runtime,
            store.as_ref(),
            sender,
            items,
            events_json,
            manifest_base,
        ) {
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

fn write_zip(
    runtime: &tokio::runtime::Handle,
    store: &dyn ObjectStore,
    sender: mpsc::Sender<Bytes>,
    items: Vec<Item>,
    events_json: Vec<u8>,
    mut manifest: ExportManifest,
) -> Result<(), ExportError> {
    let mut zip =
        ZipWriter::new_stream(BufWriter::with_capacity(CHUNK_BYTES, ChannelWriter(sender)));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for item in items {
        let bytes = runtime
            .block_on(store.get(&item.key))
            .map_err(|e| ExportError::Storage(item.key.to_string(), e))?;
        let sha256 = hex(&Sha256::digest(&bytes));
        if sha256 != item.sha256 {
            metrics::counter!("interview_monitor_damaged_images_total").increment(1);
            return Err(ExportError::Damaged(item.key.to_string()));
        }
        let name = item.key.to_string();
        let file = name.rsplit('/').next().unwrap_or(&name);
        let path = format!("images/{}/{file}", item.key.kind);
        zip.start_file(
            path.as_str(),
            options.last_modified_time(zip_time(item.captured_at)),
        )?;
        zip.write_all(&bytes)?;
        manifest.files.push(ExportedFile {
            path,
            sha256,
            size: bytes.len() as u64,
            captured_at: Some(item.captured_at),
        });
    }
    let at = zip_time(manifest.exported_at);
    zip.start_file("events.json", options.last_modified_time(at))?;
    zip.write_all(&events_json)?;
    manifest.files.push(ExportedFile {
        path: "events.json".into(),
        sha256: hex(&Sha256::digest(&events_json)),
        size: events_json.len() as u64,
        captured_at: None,
    });
    zip.start_file("manifest.json", options.last_modified_time(at))?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest)?)?;
    let mut writer = zip.finish()?.into_inner();
    writer.flush()?;
    Ok(())
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
        if hex(&hasher.finalize()) != listed.sha256 {
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
