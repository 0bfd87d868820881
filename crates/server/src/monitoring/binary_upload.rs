//! `POST /api/monitoring/upload-binary?applicationId=..&imageType=..[&capturedAt=..][&captureId=..]`
//! with the raw JPEG as the body: a third fewer bytes than base64.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use app::{
    auth::ssr::SignedIn,
    monitoring::input::{self, NewImage},
    services::Services,
    AppError,
};
use axum::{
    body::Body,
    extract::{rejection::QueryRejection, Query, State},
    http::{header, HeaderMap},
    Extension, Json,
};
use shared::{UploadReceipt, UserId};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::edge::body::{body_deadline, read_limited};

/// How many uploads are read and stored at once, overall and per holder: binary
/// uploads count against their user (known from the cookie before the body is
/// read), base64 uploads against their client's address (their body is read
/// before the session is looked up). The rest wait with their bodies unread
/// (which bounds the memory a burst takes); a holder that already has its share
/// is answered 429 at once, so one client that stalls its bodies cannot take
/// every slot from everyone else.
/// How long an upload waits for one of the overall slots before it is answered 503.
const SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Clone)]
pub struct UploadSlots {
    overall: Arc<Semaphore>,
    per_holder: usize,
    held: Arc<Mutex<HashMap<Holder, usize>>>,
}

/// Whose share an upload counts against.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    User(UserId),
    Client(std::net::IpAddr),
}

/// One upload's slot, the user's share counted from the moment it is asked for;
/// gives both back when dropped (also when the request goes away while waiting).
pub struct UploadSlot {
    overall: Option<OwnedSemaphorePermit>,
    holder: Holder,
    held: Arc<Mutex<HashMap<Holder, usize>>>,
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        if self.overall.take().is_some() {
            metrics::gauge!("interview_monitor_upload_slots_in_use").decrement(1.0);
        }
        if let Ok(mut held) = self.held.lock() {
            if let Some(count) = held.get_mut(&self.holder) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    held.remove(&self.holder);
                }
            }
        }
    }
}

impl UploadSlots {
    pub fn new(overall: usize, per_holder: usize) -> Self {
        UploadSlots { overall: Arc::new(Semaphore::new(overall)), per_holder, held: Arc::default() }
    }

    /// Takes one of the holder's slots (429 when it holds all of its share), then
    /// waits for one of the overall slots.
    pub async fn acquire(&self, holder: Holder) -> Result<UploadSlot, AppError> {
        let mut slot = {
            let mut held = self.held.lock().map_err(|_| AppError::internal())?;
            let count = held.entry(holder).or_insert(0);
            if *count >= self.per_holder {
                return Err(AppError::TooManyRequests(format!(
                    "{} of your uploads are already in progress; wait for them to finish",
                    self.per_holder
                )));
            }
            *count += 1;
            UploadSlot { overall: None, holder, held: self.held.clone() }
        };
        // Saturated: after a bounded wait the upload is turned away with 503 and
        // Retry-After, rather than joining a queue that only grows.
        let permit = tokio::time::timeout(SLOT_WAIT, self.overall.clone().acquire_owned()).await;
        let permit = match permit {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(AppError::unavailable()),
            Err(_) => {
                metrics::counter!("interview_monitor_uploads_turned_away_total").increment(1);
                return Err(AppError::Unavailable("the server is busy with other uploads; try again shortly".into()));
            }
        };
        slot.overall = Some(permit);
        metrics::gauge!("interview_monitor_upload_slots_in_use").increment(1.0);
        Ok(slot)
    }
}

pub async fn upload(
    State(slots): State<UploadSlots>,
    Extension(services): Extension<Services>,
    SignedIn(user): SignedIn,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<UploadReceipt>, AppError> {
    let Query(params) = query.map_err(|e| AppError::BadRequest(format!("the query is malformed: {}", e.body_text())))?;
    let param = |name: &str| params.get(name).ok_or_else(|| AppError::BadRequest(format!("the query is missing `{name}`")));
    let application_id = input::application_id(param("applicationId")?)?;
    let kind = input::image_kind(param("imageType")?)?;
    let captured_at = input::captured_at(params.get("capturedAt").map(String::as_str))?;
    let capture_id = input::capture_id(params.get("captureId").map(String::as_str))?;

    let max = services.monitoring.max_image_bytes();
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > max) {
        return Err(input::too_large(max));
    }
    let _slot = slots.acquire(Holder::User(user.id)).await?;
    let (idle, deadline) = body_deadline();
    let bytes = read_limited(body, max, idle, deadline).await?;
    if bytes.is_empty() {
        return Err(AppError::BadRequest("the body is empty: send the JPEG as the request body".into()));
    }
    // Vec::from takes the buffer over without copying when it is not shared.
    let image = NewImage { application_id, kind, bytes: Vec::from(bytes), captured_at, capture_id };
    Ok(Json(services.monitoring.upload(&user, image).await?))
}
