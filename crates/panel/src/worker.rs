//! The upload queue in the browser: one worker takes captures and events in
//! order (consecutive events go in one call), retries
//! the head with backoff and jitter while uploads fail for network or server
//! reasons, waits for a new session when it has ended (renewed at once where
//! the host gave a `fetch_token`), gives up (and
//! says why) on other 4xx, and keeps at most `QUEUE_BOUND` captures or
//! `QUEUE_BYTES`. Every capture is in IndexedDB before it is queued and leaves
//! it only when the server has stored it (or refused it for good), so a reload,
//! a closed tab or a crash loses nothing: the next visit uploads it first.

use leptos::{prelude::*, task::spawn_local};
use shared::{capture::CaptureMeta, ApplicationId, ImageKind};
use web_sys::Blob;

use crate::{
    error::PanelError,
    events::PanelEvent,
    media,
    persist::{self, StoredItem},
    queue::{
        backoff_ms, next, restore_order, retry_wait_ms, BoundedQueue, Next, QUEUE_BOUND,
        QUEUE_BYTES,
    },
    status::Status,
    transport,
};

/// How long after the panel starts what an earlier visit left is read.
const RESTORE_AFTER_MS: u32 = 1_500;
/// How long reading a kept capture's bytes may take before its record is
/// asked for again, and how many times the records are read at most.
const RESTORE_READ_MS: u32 = 3_000;
const RESTORE_READS: u32 = 5;

/// What an earlier visit left for `application`, each capture's JPEG read
/// into memory. Just after a reload, Chromium can hand out a blob from
/// IndexedDB that never becomes readable: a fetch with it as its body stays
/// unsent for good, however often it is tried. So each blob is read here
/// within [`RESTORE_READ_MS`], and if one is not, the records are asked for
/// again (new blobs), up to [`RESTORE_READS`] times; after that they are
/// handed over as they are (the uploads' own timeout and retries apply).
async fn readable_kept(application: ApplicationId) -> Option<Vec<persist::StoredCapture>> {
    for _ in 1..RESTORE_READS {
        let mut kept = persist::kept_for(application).await.ok()?;
        if in_memory(&mut kept).await {
            return Some(kept);
        }
        gloo_timers::future::TimeoutFuture::new(500).await;
    }
    persist::kept_for(application).await.ok()
}

/// Replaces every capture's blob by a copy of its bytes in memory: whether
/// each was read in time.
async fn in_memory(kept: &mut [persist::StoredCapture]) -> bool {
    for capture in kept {
        let StoredItem::Capture { blob, .. } = &mut capture.item else {
            continue;
        };
        let read = wasm_bindgen_futures::JsFuture::from(blob.array_buffer());
        let Some(Ok(bytes)) = transport::within(RESTORE_READ_MS, read).await else {
            return false;
        };
        match Blob::new_with_buffer_source_sequence(&js_sys::Array::of1(&bytes)) {
            Ok(copy) => *blob = copy,
            Err(_) => return false,
        }
    }
    true
}

/// How often a queue waiting for a new sign-in tries again.
const SIGNED_OUT_RETRY_MS: u32 = 3000;

/// Events one call carries at most (the server's limit).
const EVENTS_PER_CALL: usize = shared::integrity::MAX_EVENTS_PER_CALL;

#[derive(Clone)]
struct Pending {
    /// IndexedDB's key: a capture's id (the server's idempotency key too), or an
    /// event's id with its state.
    id: String,
    application: ApplicationId,
    captured_at: String,
    item: StoredItem,
    attempts: u32,
    /// Found in IndexedDB from an earlier visit.
    restored: bool,
}

impl Pending {
    fn from_kept(kept: persist::StoredCapture) -> Self {
        Pending {
            id: kept.id,
            application: kept.application,
            captured_at: kept.captured_at,
            item: kept.item,
            attempts: 0,
            restored: true,
        }
    }

    fn to_kept(&self) -> persist::StoredCapture {
        persist::StoredCapture {
            id: self.id.clone(),
            application: self.application,
            captured_at: self.captured_at.clone(),
            item: self.item.clone(),
        }
    }

    fn size(&self) -> usize {
        match &self.item {
            StoredItem::Capture { blob, .. } => blob.size() as usize,
            StoredItem::Event { json, .. } => json.len(),
        }
    }

    /// The event's id (before the `:state` of its key), for events.
    fn event_id(&self) -> Option<&str> {
        matches!(self.item, StoredItem::Event { .. })
            .then(|| self.id.split(':').next().unwrap_or(&self.id))
    }
}

/// The events at the head of the queue that go in one call: consecutive, of one
/// session, at most [`EVENTS_PER_CALL`]; an event's end replaces its start.
fn event_batch(queue: &BoundedQueue<Pending>) -> (usize, Option<String>, Vec<String>) {
    let mut taken = 0;
    let mut session = None;
    let mut bodies: Vec<(String, String)> = Vec::new();
    for pending in queue.iter() {
        let StoredItem::Event { json, session: of } = &pending.item else {
            break;
        };
        if taken > 0 && *of != session {
            break;
        }
        let id = pending.event_id().unwrap_or_default().to_string();
        let full = bodies.len() == EVENTS_PER_CALL;
        match bodies.iter_mut().find(|(known, _)| *known == id) {
            // An event's end replaces its start, whichever was queued first.
            Some(body) => {
                if pending.id.ends_with(":ended") {
                    body.1 = json.clone();
                }
            }
            None if full => break,
            None => bodies.push((id, json.clone())),
        }
        session = of.clone();
        taken += 1;
    }
    let events = bodies.into_iter().map(|(_, json)| json).collect();
    (taken, session, events)
}

/// The upload queue of one panel.
#[derive(Clone, Copy)]
pub(crate) struct Worker {
    queue: StoredValue<BoundedQueue<Pending>, LocalStorage>,
    running: StoredValue<bool>,
    woken: StoredValue<bool>,
    /// Items on their way into IndexedDB, not yet in the queue.
    writing: StoredValue<usize>,
    /// Applications whose earlier visits' items were queued already (once each).
    restored: StoredValue<Vec<ApplicationId>>,
}

impl Worker {
    pub fn new() -> Self {
        Worker {
            queue: crate::local::browser_local(BoundedQueue::new(QUEUE_BOUND, QUEUE_BYTES)),
            running: StoredValue::new(false),
            woken: StoredValue::new(false),
            writing: StoredValue::new(0),
            restored: StoredValue::new(Vec::new()),
        }
    }

    pub fn wake(&self) {
        self.woken.try_set_value(true);
    }

    /// Captures and events waiting, those still being written to IndexedDB
    /// included (what leaving the page would leave behind for the next visit).
    pub fn waiting(&self) -> usize {
        self.queue.try_with_value(BoundedQueue::len).unwrap_or(0)
            + self.writing.try_get_value().unwrap_or(0)
    }

    fn publish(&self, status: Status) -> bool {
        // Captures and events are counted apart: the panel's "waiting" is captures.
        let Some((queued, events, dropped)) = self.queue.try_with_value(|q| {
            let events = q
                .iter()
                .filter(|p| matches!(p.item, StoredItem::Event { .. }))
                .count();
            (q.len() - events, events, q.dropped())
        }) else {
            return false;
        };
        status.update_stats(|s| {
            s.queued = queued;
            s.events_queued = events;
            s.dropped = dropped;
        })
    }

    /// Queues `pending` in memory (unless it is there already) and starts the worker.
    fn admit(&self, status: Status, pending: Pending) {
        let size = pending.size();
        let id = pending.id.clone();
        let known = self
            .queue
            .try_with_value(|q| q.iter().any(|p| p.id == id))
            .unwrap_or(true);
        if known {
            return;
        }
        let kept = self
            .queue
            .try_update_value(|q| q.push(pending.clone(), size))
            .unwrap_or(false);
        if !kept {
            spawn_local(async move {
                let _ = persist::forget(&id).await;
            });
            status.set_error(Some(status.text(
                |t| &t.queue_full,
                &[
                    ("bound", &QUEUE_BOUND.to_string()),
                    ("megabytes", &(QUEUE_BYTES / (1024 * 1024)).to_string()),
                ],
            )));
        }
        self.publish(status);
        if self.running.try_get_value() == Some(false) {
            self.running.set_value(true);
            let worker = *self;
            spawn_local(async move { worker.run(status).await });
        }
    }

    /// Queues a capture under its capture id (which the panel always sets).
    pub fn push(&self, status: Status, meta: CaptureMeta, blob: Blob) {
        let id = meta.id_text();
        status.emit(PanelEvent::CaptureQueued {
            kind: meta.kind,
            capture_id: id.clone(),
        });
        let pending = Pending {
            id,
            application: meta.application_id,
            captured_at: meta
                .captured_at
                .map(|at| shared::monitoring::millis::format(&at))
                .unwrap_or_default(),
            item: StoredItem::Capture {
                kind: meta.kind,
                query: transport::capture_query(&meta),
                blob,
            },
            attempts: 0,
            restored: false,
        };
        self.keep_and_admit(status, pending);
    }

    /// Queues an event (its JSON body) under `key` (`{eventId}:{state}`).
    pub fn push_event(
        &self,
        status: Status,
        application: ApplicationId,
        key: String,
        at: String,
        json: String,
        session: Option<String>,
    ) {
        let pending = Pending {
            id: key,
            application,
            captured_at: at,
            item: StoredItem::Event { json, session },
            attempts: 0,
            restored: false,
        };
        self.keep_and_admit(status, pending);
    }

    fn keep_and_admit(&self, status: Status, pending: Pending) {
        let worker = *self;
        self.writing.try_update_value(|n| *n += 1);
        // Into IndexedDB first: from then on a reload or a crash cannot lose it.
        // (IndexedDB finishes writes in the order they were asked, so captures
        // stay in order.) Without IndexedDB (a private window) it waits in memory.
        spawn_local(async move {
            if let Err(error) = persist::keep(&pending.to_kept()).await {
                status.set_error(Some(
                    status.text(|t| &t.not_kept, &[("error", &media::describe(&error))]),
                ));
            }
            worker.admit(status, pending);
            worker
                .writing
                .try_update_value(|n| *n = n.saturating_sub(1));
        });
    }

    /// Queues what an earlier visit left for `application`, in the order it was
    /// taken, once per worker (called as the interview page mounts, before its
    /// consent step, and again as the panel mounts: the second call does nothing).
    pub fn restore(&self, status: Status, application: ApplicationId) {
        let first = self
            .restored
            .try_update_value(|done| {
                let first = !done.contains(&application);
                if first {
                    done.push(application);
                }
                first
            })
            .unwrap_or(false);
        if !first {
            return;
        }
        let worker = *self;
        spawn_local(async move {
            // Not in the first moments after a reload: when the client-rendered
            // interview page read what the previous one left within ~200 ms of
            // loading, a CI run saw its blobs never sent (read into memory
            // now, above); the server-rendered page, which read it after
            // hydration, about a second later, never did. (Another run found
            // two captures fewer on the server than uploaded + restored, cause
            // unknown; the test now counts by capture id and reports a capture
            // acknowledged yet still kept.)
            gloo_timers::future::TimeoutFuture::new(RESTORE_AFTER_MS).await;
            let Some(mut kept) = readable_kept(application).await else {
                return;
            };
            if kept.is_empty() {
                return;
            }
            restore_order(&mut kept, |capture| {
                (capture.captured_at.as_str(), capture.id.as_str())
            });
            let captures = kept
                .iter()
                .filter(|k| matches!(k.item, StoredItem::Capture { .. }))
                .count();
            status.update_stats(|s| s.restored += captures);
            for capture in kept {
                worker.admit(status, Pending::from_kept(capture));
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

    /// Takes the first `count` items off the queue and out of IndexedDB.
    fn finish_head(&self, count: usize) {
        let done: Vec<String> = self
            .queue
            .try_update_value(|q| {
                (0..count)
                    .filter_map(|_| q.pop_front())
                    .map(|p| p.id)
                    .collect()
            })
            .unwrap_or_default();
        spawn_local(async move {
            for id in done {
                let _ = persist::forget(&id).await;
            }
        });
    }

    /// Waits until the queue is empty or `timeout_ms` has passed (waking any
    /// retry's wait first); the captures and events still waiting.
    pub async fn flush(&self, timeout_ms: u32) -> usize {
        // Once: a retry waiting for its backoff (or a Retry-After) goes now, the
        // ones after it keep their waits.
        self.wake();
        let mut waited = 0;
        while self.waiting() > 0 && waited < timeout_ms {
            gloo_timers::future::TimeoutFuture::new(100).await;
            waited += 100;
        }
        self.waiting()
    }

    async fn run(self, status: Status) {
        loop {
            let Some(Some(head)) = self.queue.try_with_value(|q| q.front().cloned()) else {
                break;
            };
            if !status.set_uploading(true) {
                break;
            }
            let connection = status.connection();
            let (sent, count) = match &head.item {
                StoredItem::Capture { query, blob, .. } => {
                    let (sent, _) = transport::upload_blob(&connection, query, blob).await;
                    (sent, 1)
                }
                StoredItem::Event { .. } => {
                    let Some((count, session, events)) = self.queue.try_with_value(event_batch)
                    else {
                        break;
                    };
                    let sent = transport::send_events(
                        &connection,
                        head.application,
                        session.as_deref(),
                        &events,
                    )
                    .await;
                    (sent, count)
                }
            };
            if sent.renewed {
                status.emit(PanelEvent::SessionRenewed);
            }
            match next(&sent.attempt) {
                Next::Advance => {
                    self.finish_head(count);
                    let at = shared::monitoring::millis::format(&transport::now(&connection));
                    status.set_error(None);
                    status.update_stats(|s| {
                        match &head.item {
                            StoredItem::Capture { kind, .. } => match kind {
                                ImageKind::Camera => s.uploaded_camera += 1,
                                ImageKind::Screen => s.uploaded_screen += 1,
                                ImageKind::Id => s.uploaded_id += 1,
                            },
                            StoredItem::Event { .. } => s.events_sent += count,
                        }
                        if head.restored && matches!(head.item, StoredItem::Capture { .. }) {
                            s.restored_uploaded += 1;
                        }
                        s.signed_out = false;
                        s.last_success = Some(at);
                    });
                    if let StoredItem::Capture { kind, .. } = &head.item {
                        status.emit(PanelEvent::CaptureStored {
                            kind: *kind,
                            capture_id: head.id.clone(),
                            captured_at: head.captured_at.clone(),
                        });
                    }
                }
                Next::GiveUp(refusal) => {
                    self.finish_head(count);
                    let message = refusal.message;
                    let text = match &head.item {
                        StoredItem::Capture { kind, .. } => status.text(
                            |t| &t.capture_refused,
                            &[("kind", kind.as_str()), ("error", &message)],
                        ),
                        StoredItem::Event { .. } => status.text(
                            |t| &t.events_refused,
                            &[("count", &count.to_string()), ("error", &message)],
                        ),
                    };
                    status.set_error(Some(text.clone()));
                    status.update_stats(|s| s.refused += count);
                    // The server's own kind (consent_required, conflict...), in the panel's words.
                    status.emit(PanelEvent::Error(PanelError::new(refusal.kind, text)));
                }
                Next::WaitForSignIn => {
                    // Nothing is dropped: captures go on queueing until a new session comes.
                    status.set_uploading(false);
                    let was_signed_out = status
                        .stats()
                        .try_with_untracked(|s| s.signed_out)
                        .unwrap_or(true);
                    status.update_stats(|s| s.signed_out = true);
                    status.set_error(Some(status.text(|t| &t.upload_session_ended, &[])));
                    if !was_signed_out {
                        status.emit(PanelEvent::SessionExpired);
                    }
                    self.publish(status);
                    self.pause(SIGNED_OUT_RETRY_MS).await;
                }
                Next::Retry => {
                    let attempts = head.attempts;
                    self.queue.try_update_value(|q| {
                        if let Some(front) = q.front_mut() {
                            front.attempts += 1;
                        }
                    });
                    let wait = retry_wait_ms(
                        backoff_ms(attempts, media::random_unit()),
                        sent.retry_after_ms,
                    );
                    status.set_uploading(false);
                    status.set_error(Some(status.text(
                        |t| &t.retrying,
                        &[("seconds", &format!("{:.0}", f64::from(wait) / 1000.0))],
                    )));
                    self.publish(status);
                    status.emit(PanelEvent::Retrying {
                        wait_ms: wait,
                        waiting: self.waiting(),
                    });
                    self.pause(wait).await;
                }
            }
            if !self.publish(status) {
                break;
            }
        }
        status.set_uploading(false);
        self.running.try_set_value(false);
    }
}
