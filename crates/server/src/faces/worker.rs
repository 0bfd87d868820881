//! The face analysis worker of one instance: claims jobs (a lease of
//! [`LEASE`]; a worker that dies leaves them to be taken again), reads each
//! image from storage, detects faces on a blocking thread (at most `workers`
//! at once, so analysis falls behind under load rather than slowing uploads),
//! and records the result with the job's removal in one transaction.

use std::{cell::RefCell, sync::Arc, time::Duration};

use chrono::Utc;
use sea_orm::DatabaseConnection;
use shared::ObjectKey;
use tokio::sync::Notify;

use super::detector::FaceDetector;
use crate::{
    db::faces::{self as repo, Claimed, Finding},
    storage::{ObjectStore, StorageError},
    telemetry::error_chain,
};

/// How long a claimed job is this worker's before another may take it.
const LEASE: Duration = Duration::from_secs(120);
/// How long an idle worker waits for a wake-up before looking again (other
/// instances' uploads do not wake this one).
const IDLE_POLL: Duration = Duration::from_secs(2);
/// Storage that could not be read: try that job again after this.
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// A backlog beyond this is logged (and always shown by `/metrics`).
const BACKLOG_WARNING: u64 = 1_000;

thread_local! {
    /// One detector per blocking thread, loaded on first use and kept.
    static DETECTOR: RefCell<Option<FaceDetector>> = const { RefCell::new(None) };
}

/// Detects faces in a JPEG on the current (blocking) thread.
fn detect(jpeg: &[u8]) -> Result<Vec<shared::FaceBox>, super::detector::FaceError> {
    DETECTOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = Some(FaceDetector::new()?);
        }
        match cell.as_mut() {
            Some(detector) => detector.faces_in_jpeg(jpeg),
            None => Err(super::detector::FaceError::Model("no detector".into())),
        }
    })
}

/// Works the job table until the task is aborted (at shutdown).
pub async fn run(
    db: DatabaseConnection,
    store: Arc<dyn ObjectStore>,
    wake: Arc<Notify>,
    workers: usize,
) {
    match repo::enqueue_missing(&db, Utc::now()).await {
        Ok(0) => {}
        Ok(queued) => tracing::info!(queued, "camera images without a face analysis were queued"),
        Err(error) => {
            tracing::warn!(error = %error_chain(&error), "could not queue the images left unanalysed")
        }
    }
    let slots = Arc::new(tokio::sync::Semaphore::new(workers.max(1)));
    let mut last_warning = None::<tokio::time::Instant>;
    loop {
        match repo::backlog(&db).await {
            Ok(waiting) => {
                metrics::gauge!("interview_monitor_face_jobs_waiting").set(waiting as f64);
                let quiet = last_warning
                    .is_some_and(|at: tokio::time::Instant| at.elapsed() < Duration::from_secs(60));
                if waiting > BACKLOG_WARNING && !quiet {
                    tracing::warn!(
                        waiting,
                        "face analysis is behind: uploads go on, analyses come later"
                    );
                    last_warning = Some(tokio::time::Instant::now());
                }
            }
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), "could not count the face jobs")
            }
        }
        let now = Utc::now();
        // Idle, the worker only reads: claiming writes.
        if !repo::claimable(&db, now).await.unwrap_or(false) {
            let _ = tokio::time::timeout(IDLE_POLL, wake.notified()).await;
            continue;
        }
        let until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let jobs = match repo::claim(&db, workers.max(1) as u64 * 2, now, until).await {
            Ok(jobs) => jobs,
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), "could not claim face jobs");
                tokio::time::sleep(IDLE_POLL).await;
                continue;
            }
        };
        if jobs.is_empty() {
            let _ = tokio::time::timeout(IDLE_POLL, wake.notified()).await;
            continue;
        }
        let mut running = Vec::with_capacity(jobs.len());
        for job in jobs {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let (db, store) = (db.clone(), store.clone());
            running.push(tokio::spawn(async move {
                analyse(&db, store.as_ref(), &job).await;
                drop(permit);
            }));
        }
        for task in running {
            let _ = task.await;
        }
    }
}

/// One job: read, detect, record (or let it go to be retried).
async fn analyse(db: &DatabaseConnection, store: &dyn ObjectStore, job: &Claimed) {
    let Ok(key) = job.object_key.parse::<ObjectKey>() else {
        tracing::error!(image = %job.image_id, "a recorded key does not parse; its face job is dropped");
        let _ = repo::drop_job(db, job.image_id).await;
        return;
    };
    let bytes = match store.get(&key).await {
        Ok(bytes) => bytes,
        Err(StorageError::NotFound) => {
            // Deleted since (its row, and so this job, will go too).
            let _ = repo::drop_job(db, job.image_id).await;
            return;
        }
        Err(error) => {
            tracing::warn!(image = %job.image_id, error = %error_chain(&error), "could not read an image to analyse; later");
            let retry_at = Utc::now() + chrono::Duration::from_std(RETRY_AFTER).unwrap_or_default();
            let _ = repo::retry_later(db, job.image_id, retry_at).await;
            return;
        }
    };
    let started = std::time::Instant::now();
    let found = tokio::task::spawn_blocking(move || detect(&bytes)).await;
    metrics::histogram!("interview_monitor_face_analysis_seconds")
        .record(started.elapsed().as_secs_f64());
    let (faces, boxes, outcome) = match found {
        Ok(Ok(faces)) => (
            faces.len() as i32,
            serde_json::to_string(&faces).unwrap_or_else(|_| "[]".into()),
            crate::db::faces::ANALYSED,
        ),
        Ok(Err(super::detector::FaceError::TooSmall(..))) => (0, "[]".to_string(), "too_small"),
        Ok(Err(error)) => {
            tracing::warn!(image = %job.image_id, %error, "an image could not be analysed");
            (0, "[]".to_string(), "unreadable")
        }
        Err(error) => {
            tracing::error!(image = %job.image_id, %error, "face detection failed");
            (0, "[]".to_string(), "unreadable")
        }
    };
    metrics::counter!("interview_monitor_face_analyses_total", "outcome" => outcome).increment(1);
    if let Err(error) = repo::record(
        db,
        job,
        Finding {
            faces,
            boxes: &boxes,
            outcome,
        },
        Utc::now(),
    )
    .await
    {
        // The lease runs out and the job is taken again.
        tracing::warn!(image = %job.image_id, error = %error_chain(&error), "could not record a face analysis");
    }
}
