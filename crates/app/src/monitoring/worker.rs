//! The upload queue in the browser: one worker takes captures in order, retries
//! the head with backoff and jitter while uploads fail for network or server
//! reasons, gives up (and says why) on a 4xx, and keeps at most `QUEUE_BOUND`.

use leptos::{prelude::*, task::spawn_local};
use shared::{ApplicationId, ImageKind};
use web_sys::Blob;

use super::{
    browser,
    queue::{backoff_ms, next, BoundedQueue, Next, QUEUE_BOUND},
    store::MonitoringImages,
};

#[derive(Clone)]
struct Pending {
    application: ApplicationId,
    kind: ImageKind,
    blob: Blob,
    captured_at: String,
    capture_id: Option<String>,
    attempts: u32,
}

#[derive(Clone, Copy)]
pub struct Worker {
    queue: StoredValue<BoundedQueue<Pending>, LocalStorage>,
    running: StoredValue<bool>,
    woken: StoredValue<bool>,
}

impl Worker {
    pub fn new() -> Self {
        Worker {
            queue: StoredValue::new_local(BoundedQueue::new(QUEUE_BOUND)),
            running: StoredValue::new(false),
            woken: StoredValue::new(false),
        }
    }

    pub fn wake(&self) {
        self.woken.try_set_value(true);
    }

    fn publish(&self, store: MonitoringImages) -> bool {
        let Some((queued, dropped)) = self.queue.try_with_value(|q| (q.len(), q.dropped())) else { return false };
        store.update_stats(|s| {
            s.queued = queued;
            s.dropped = dropped;
        })
    }

    pub fn push(&self, store: MonitoringImages, application: ApplicationId, kind: ImageKind, blob: Blob) {
        let pending = Pending {
            application,
            kind,
            blob,
            captured_at: shared::monitoring::millis::format(&browser::now()),
            capture_id: browser::random_uuid(),
            attempts: 0,
        };
        let kept = self.queue.try_update_value(|q| q.push(pending)).unwrap_or(false);
        if !kept {
            store.set_error(Some(format!("{QUEUE_BOUND} captures are waiting to upload; newer ones are dropped until they go through")));
        }
        self.publish(store);
        if self.running.try_get_value() == Some(false) {
            self.running.set_value(true);
            let worker = *self;
            spawn_local(async move { worker.run(store).await });
        }
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

    async fn run(self, store: MonitoringImages) {
        loop {
            let Some(Some(head)) = self.queue.try_with_value(|q| q.front().cloned()) else { break };
            if !store.set_uploading(true) {
                break;
            }
            let (attempt, _) =
                browser::upload_blob(head.application, head.kind, &head.blob, &head.captured_at, head.capture_id.as_deref()).await;
            match next(&attempt) {
                Next::Advance => {
                    self.queue.try_update_value(|q| q.pop_front());
                    let at = shared::monitoring::millis::format(&browser::now());
                    store.set_error(None);
                    store.update_stats(|s| {
                        match head.kind {
                            ImageKind::Camera => s.uploaded_camera += 1,
                            ImageKind::Screen => s.uploaded_screen += 1,
                        }
                        s.last_success = Some(at);
                    });
                }
                Next::GiveUp(message) => {
                    self.queue.try_update_value(|q| q.pop_front());
                    store.set_error(Some(format!("a {} capture was refused: {message}", head.kind)));
                    store.update_stats(|s| s.refused += 1);
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
