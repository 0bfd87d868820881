//! Slots: how many uploads an instance reads and stores at once, overall and
//! per user; and, as a pool of its own, how many bodies of requests that carry
//! no identity (sign-in, capture-link trades) it reads at once, overall and per
//! client address.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use app::AppError;
use shared::UserId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long an upload waits for one of the overall slots before it is answered 503.
const SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How many requests of one kind are read (and, for uploads, stored) at once,
/// overall and per holder: uploads count against their user, whom the edge
/// knows from the headers before any body is read; requests without identity
/// against their client's address, in a pool of their own. The rest wait with
/// their bodies unread (which bounds the memory a burst takes); a holder that
/// already has its share is answered 429 at once, so one client that stalls its
/// bodies cannot take every slot from everyone else.
#[derive(Clone)]
pub struct UploadSlots {
    overall: Arc<Semaphore>,
    per_holder: usize,
    held: Arc<Mutex<HashMap<Holder, usize>>>,
    /// `uploads` or `anonymous`: the `pool` label of the metrics, and the word
    /// the refusal uses.
    pool: &'static str,
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
    pool: &'static str,
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        if self.overall.take().is_some() {
            metrics::gauge!("interview_monitor_upload_slots_in_use", "pool" => self.pool)
                .decrement(1.0);
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
    /// Slots for uploads, counted per user.
    pub fn new(overall: usize, per_holder: usize) -> Self {
        Self::pool("uploads", overall, per_holder)
    }

    /// Slots for reading the bodies of requests that carry no identity, counted
    /// per client address.
    pub fn anonymous(overall: usize, per_holder: usize) -> Self {
        Self::pool("anonymous", overall, per_holder)
    }

    fn pool(pool: &'static str, overall: usize, per_holder: usize) -> Self {
        UploadSlots {
            overall: Arc::new(Semaphore::new(overall)),
            per_holder,
            held: Arc::default(),
            pool,
        }
    }

    /// Slots for evidence exports, counted per user; taken without waiting.
    pub fn exports(overall: usize, per_holder: usize) -> Self {
        Self::pool("exports", overall, per_holder)
    }

    /// Slots of another kind of long request (`pool` names it in 429s and metrics).
    pub fn named(pool: &'static str, overall: usize, per_holder: usize) -> Self {
        Self::pool(pool, overall, per_holder)
    }

    /// One of the holder's share (429 when it holds all of it), without an
    /// overall slot yet.
    fn share(&self, holder: Holder) -> Result<UploadSlot, AppError> {
        let mut held = self.held.lock().map_err(|_| AppError::internal())?;
        let count = held.entry(holder).or_insert(0);
        if *count >= self.per_holder {
            let what = match self.pool {
                "anonymous" => "requests",
                pool => pool,
            };
            return Err(AppError::TooManyRequests(format!(
                "{} of your {what} are already in progress; wait for them to finish",
                self.per_holder
            )));
        }
        *count += 1;
        Ok(UploadSlot {
            overall: None,
            holder,
            held: self.held.clone(),
            pool: self.pool,
        })
    }

    fn hold(&self, slot: &mut UploadSlot, permit: OwnedSemaphorePermit) {
        slot.overall = Some(permit);
        metrics::gauge!("interview_monitor_upload_slots_in_use", "pool" => self.pool)
            .increment(1.0);
    }

    /// Takes one of the holder's slots and one of the overall slots at once:
    /// 429 when either is taken.
    pub fn acquire_now(&self, holder: Holder) -> Result<UploadSlot, AppError> {
        let mut slot = self.share(holder)?;
        let permit = self.overall.clone().try_acquire_owned().map_err(|_| {
            AppError::TooManyRequests(format!(
                "the server is busy with other {}; try again shortly",
                self.pool
            ))
        })?;
        self.hold(&mut slot, permit);
        Ok(slot)
    }

    /// Takes one of the holder's slots (429 when it holds all of its share), then
    /// waits for one of the overall slots.
    pub async fn acquire(&self, holder: Holder) -> Result<UploadSlot, AppError> {
        let mut slot = self.share(holder)?;
        // Saturated: after a bounded wait the upload is turned away with 503 and
        // Retry-After, rather than joining a queue that only grows.
        let permit = tokio::time::timeout(SLOT_WAIT, self.overall.clone().acquire_owned()).await;
        let permit = match permit {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(AppError::unavailable()),
            Err(_) => {
                metrics::counter!("interview_monitor_uploads_turned_away_total", "pool" => self.pool)
                    .increment(1);
                return Err(AppError::Unavailable(
                    "the server is busy with other requests; try again shortly".into(),
                ));
            }
        };
        self.hold(&mut slot, permit);
        Ok(slot)
    }
}
