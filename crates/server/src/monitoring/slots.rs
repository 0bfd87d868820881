//! Upload slots: how many uploads an instance reads and stores at once, overall
//! and per holder (a user, or a client address for base64 uploads).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use app::AppError;
use shared::UserId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long an upload waits for one of the overall slots before it is answered 503.
const SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How many uploads are read and stored at once, overall and per holder: binary
/// uploads count against their user (known from the cookie before the body is
/// read), base64 uploads against their client's address (their body is read
/// before the session is looked up). The rest wait with their bodies unread
/// (which bounds the memory a burst takes); a holder that already has its share
/// is answered 429 at once, so one client that stalls its bodies cannot take
/// every slot from everyone else.
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

/// One upload's slot, its holder's share counted from the moment it is asked for;
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
        UploadSlots {
            overall: Arc::new(Semaphore::new(overall)),
            per_holder,
            held: Arc::default(),
        }
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
            UploadSlot {
                overall: None,
                holder,
                held: self.held.clone(),
            }
        };
        // Saturated: after a bounded wait the upload is turned away with 503 and
        // Retry-After, rather than joining a queue that only grows.
        let permit = tokio::time::timeout(SLOT_WAIT, self.overall.clone().acquire_owned()).await;
        let permit = match permit {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(AppError::unavailable()),
            Err(_) => {
                metrics::counter!("interview_monitor_uploads_turned_away_total").increment(1);
                return Err(AppError::Unavailable(
                    "the server is busy with other uploads; try again shortly".into(),
                ));
            }
        };
        slot.overall = Some(permit);
        metrics::gauge!("interview_monitor_upload_slots_in_use").increment(1.0);
        Ok(slot)
    }
}
