//! The upload queue in the browser: one worker takes captures in order, retries
//! the head with backoff and jitter while uploads fail for network or server
//! reasons, waits for a new sign-in when the session has ended, gives up (and
//! says why) on other 4xx, and keeps at most `QUEUE_BOUND` captures or
//! `QUEUE_BYTES`. Every capture is in IndexedDB before it is queued and leaves
//! it only when the server has stored it (or refused it for good), so a reload,
//! a closed tab or a crash loses nothing: the next visit uploads it first.

use leptos::{prelude::*, task::spawn_local};
use shared::{ApplicationId, ImageKind};
use web_sys::Blob;

use super::{
    browser, persist,
    queue::{backoff_ms, next, restore_order, BoundedQueue, Next, QUEUE_BOUND, QUEUE_BYTES},
    store::MonitoringImages,
};

/// How often a queue waiting for a new sign-in tries again.
const SIGNED_OUT_RETRY_MS: u32 = 3000;

#[derive(Clone)]
struct Pending {
    /// The capture id: IndexedDB's key and the server's idempotency key.
    id: String,
    application: ApplicationId,
    kind: ImageKind,
    blob: Blob,
    captured_at: String,
    attempts: u32,
    /// Found in IndexedDB from an earlier visit.
    restored: bool,
}

impl Pending {
    fn from_kept(kept: persist::StoredCapture) -> Self {
        Pending {
            id: kept.id,
            application: kept.application,
            kind: kept.kind,
            blob: kept.blob,
            captured_at: kept.captured_at,
            attempts: 0,
            restored: true,
        }
    }

    fn to_kept(&self) -> persist::StoredCapture {
        persist::StoredCapture {
            id: self.id.clone(),
            application: self.application,
            kind: self.kind,
            captured_at: self.captured_at.clone(),
            blob: self.blob.clone(),
        }
    }
}

#[derive(Clone, Copy)]
pub struct Worker {
    queue: StoredValue<BoundedQueue<Pending>, LocalStorage>,
    running: StoredValue<bool>,
    woken: StoredValue<bool>,
}

/// A capture id when the browser cannot make one (`crypto.randomUUID` needs a secure context).
fn fallback_id() -> String {
    let part = || format!("{:08x}", (browser::random_unit() * f64::from(u32::MAX)) as u32);
    let (a, b, c, d) = (part(), part(), part(), part());
    format!("{a}-{}-4{}-8{}-{}{}", &b[..4], &b[5..], &c[5..], &c[..4], d)
}

impl Worker {
    pub fn new() -> Self {
        Worker {
            queue: StoredValue::new_local(BoundedQueue::new(QUEUE_BOUND, QUEUE_BYTES)),
            running: StoredValue::new(false),
            woken: StoredValue::new(false),
        }
    }

    pub fn wake(&self) {
        self.woken.try_set_value(true);
    }

    /// Captures waiting (what leaving the page would leave behind for the next visit).
    pub fn waiting(&self) -> usize {
        self.queue.try_with_value(BoundedQueue::len).unwrap_or(0)
    }

    fn publish(&self, store: MonitoringImages) -> bool {
        let Some((queued, dropped)) = self.queue.try_with_value(|q| (q.len(), q.dropped())) else { return false };
        store.update_stats(|s| {
            s.queued = queued;
            s.dropped = dropped;
        })
    }

    /// Queues `pending` in memory (unless it is there already) and starts the worker.
    fn admit(&self, store: MonitoringImages, pending: Pending) {
        let size = pending.blob.size() as usize;
        let id = pending.id.clone();
        let known = self.queue.try_with_value(|q| q.iter().any(|p| p.id == id)).unwrap_or(true);
        if known {
            return;
        }
        let kept = self.queue.try_update_value(|q| q.push(pending.clone(), size)).unwrap_or(false);
        if !kept {
            spawn_local(async move {
                let _ = persist::forget(&id).await;
            });
            store.set_error(Some(format!(
                "{QUEUE_BOUND} captures or {} MB are waiting to upload; newer ones are dropped until they go through",
                QUEUE_BYTES / (1024 * 1024)
            )));
        }
        self.publish(store);
        if self.running.try_get_value() == Some(false) {
            self.running.set_value(true);
            let worker = *self;
            spawn_local(async move { worker.run(store).await });
        }
    }

    pub fn push(&self, store: MonitoringImages, application: ApplicationId, kind: ImageKind, blob: Blob) {
        let pending = Pending {
            id: browser::random_uuid().unwrap_or_else(fallback_id),
            application,
            kind,
            blob,
            captured_at: shared::monitoring::millis::format(&browser::now()),
            attempts: 0,
            restored: false,
        };
        let worker = *self;
        // Into IndexedDB first: from then on a reload or a crash cannot lose it.
        // (IndexedDB finishes writes in the order they were asked, so captures
        // stay in order.) Without IndexedDB (a private window) it waits in memory.
        spawn_local(async move {
            if let Err(error) = persist::keep(&pending.to_kept()).await {
                store.set_error(Some(format!(
                    "captures cannot be kept across a reload in this browser ({}); keep this page open",
                    browser::describe(&error)
                )));
            }
            worker.admit(store, pending);
        });
    }

    /// Queues, ahead of anything new, what an earlier visit left for `application`.
    pub fn restore(&self, store: MonitoringImages, application: ApplicationId) {
        let worker = *self;
        spawn_local(async move {
            let Ok(mut kept) = persist::kept_for(application).await else { return };
            if kept.is_empty() {
                return;
            }
            restore_order(&mut kept, |capture| (capture.captured_at.as_str(), capture.id.as_str()));
            store.update_stats(|s| s.restored += kept.len());
            for capture in kept {
                worker.admit(store, Pending::from_kept(capture));
            }
        });
    }

    /// Waits `ms`, or less if woken.
    async fn pause(&self, ms: u32) {
        let mut left = ms;
        while left > 0 {
            if self.woken.try_get_value() != Some(false) {
                break;
            }
            let step = left.min(200);
            gloo_timers::future::TimeoutFuture::new(step).await;
            left -= step;
        }
        self.woken.try_set_value(false);
    }

    /// Takes the head off the queue and out of IndexedDB.
    fn finish_head(&self, head: &Pending) {
        self.queue.try_update_value(|q| q.pop_front());
        let id = head.id.clone();
        spawn_local(async move {
            let _ = persist::forget(&id).await;
        });
    }

    async fn run(self, store: MonitoringImages) {
        loop {
            let Some(Some(head)) = self.queue.try_with_value(|q| q.front().cloned()) else { break };
            if !store.set_uploading(true) {
                break;
            }
            let (attempt, _) = browser::upload_blob(head.application, head.kind, &head.blob, &head.captured_at, Some(&head.id)).await;
            match next(&attempt) {
                Next::Advance => {
                    self.finish_head(&head);
                    let at = shared::monitoring::millis::format(&browser::now());
                    store.set_error(None);
                    store.update_stats(|s| {
                        match head.kind {
                            ImageKind::Camera => s.uploaded_camera += 1,
                            ImageKind::Screen => s.uploaded_screen += 1,
                        }
                        if head.restored {
                            s.restored_uploaded += 1;
                        }
                        s.signed_out = false;
                        s.last_success = Some(at);
                    });
                }
                Next::GiveUp(message) => {
                    self.finish_head(&head);
                    store.set_error(Some(format!("a {} capture was refused: {message}", head.kind)));
                    store.update_stats(|s| s.refused += 1);
                }
                Next::WaitForSignIn => {
                    // Nothing is dropped: captures go on queueing until the candidate signs in again.
                    store.set_uploading(false);
                    store.update_stats(|s| s.signed_out = true);
                    store.set_error(Some("your session has ended: sign in again to go on uploading; every capture is kept".into()));
                    self.publish(store);
                    self.pause(SIGNED_OUT_RETRY_MS).await;
                }
                Next::Retry => {
                    let attempts = head.attempts;
                    self.queue.try_update_value(|q| {
                        if let Some(front) = q.front_mut() {
                            front.attempts += 1;
                        }
                    });
                    let wait = backoff_ms(attempts, browser::random_unit());
                    store.set_uploading(false);
                    store.set_error(Some(format!(
                        "uploads are failing (offline, or the server is unavailable); retrying in {:.0} s",
                        f64::from(wait) / 1000.0
                    )));
                    self.publish(store);
                    self.pause(wait).await;
                }
            }
            if !self.publish(store) {
                break;
            }
        }
        store.set_uploading(false);
        self.running.try_set_value(false);
    }
}
