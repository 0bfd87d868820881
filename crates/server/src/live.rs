//! `GET /api/monitoring/live` (`text/event-stream`): the running interviews of
//! the caller's organization (all of them for an admin) as they happen. At
//! first the latest `frame` of each kind of every interview in progress, then
//! a `frame` `{applicationId, kind, s3Key, capturedAt}` for each image stored
//! and a `flag` `{applicationId, eventId, kind}` for each flag recorded.
//!
//! Every instance polls the shared database ([`POLL`]), so a viewer on one
//! instance sees what was uploaded through another, and no instance keeps
//! state another would disagree on. Each poll looks back [`LOOKBACK`] before
//! the last one (a row committed late, or stamped by an instance whose clock
//! is a little behind, is still found) and sends only what it has not sent.
//! The stream carries keys, never URLs: the page signs what it shows (each
//! signing an audit entry). A user watches on at most [`STREAMS_PER_USER`]
//! streams at once, an instance serves [`STREAMS`] (429 beyond).

use std::{collections::HashMap, convert::Infallible, sync::Arc, time::Duration};

use app::{auth::ssr::SignedIn, services::Services, AppError};
use axum::{
    extract::State,
    response::sse::{Event, KeepAlive, Sse},
    Extension,
};
use chrono::{DateTime, Utc};
use futures::Stream;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use shared::{
    integrity::EventKind, lifecycle::InterviewState, search::ApplicationFilter, ImageKind,
    ObjectKey, OrganizationId,
};
use tokio::sync::watch;
use uuid::Uuid;

use crate::{
    db::live::{self as repo, Flag, Frame},
    monitoring::slots::{Holder, UploadSlot, UploadSlots},
    policy,
    telemetry::error_chain,
};

pub use shared::monitoring::LIVE_PATH;
/// How often a stream reads what is new.
pub const POLL: Duration = Duration::from_secs(1);
/// How far back each poll looks before the last one.
pub const LOOKBACK: chrono::Duration = chrono::Duration::seconds(10);
/// Live streams one instance serves at once.
pub const STREAMS: usize = 64;
/// Live streams one user holds at once.
pub const STREAMS_PER_USER: usize = 4;

/// The streams open now, and the signal that ends them all at shutdown (a
/// stream never ends by itself: without it, shutdown would wait for every
/// viewer's grace period).
#[derive(Clone)]
pub struct LiveSlots {
    slots: UploadSlots,
    closing: Arc<watch::Sender<bool>>,
}

impl Default for LiveSlots {
    fn default() -> Self {
        LiveSlots {
            slots: UploadSlots::named("live views", STREAMS, STREAMS_PER_USER),
            closing: Arc::new(watch::channel(false).0),
        }
    }
}

impl LiveSlots {
    /// Ends every stream (each ends its response at its next wake).
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FrameData {
    application_id: Uuid,
    kind: ImageKind,
    s3_key: String,
    #[serde(with = "shared::monitoring::millis")]
    captured_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FlagData {
    application_id: Uuid,
    event_id: Uuid,
    kind: EventKind,
}

pub async fn live(
    State(db): State<DatabaseConnection>,
    State(slots): State<LiveSlots>,
    Extension(services): Extension<Services>,
    SignedIn(user): SignedIn,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let organization = policy::live_scope(&user)?;
    let slot = slots.slots.acquire_now(Holder::User(user.id))?;
    let closing = slots.closing.subscribe();
    if *closing.borrow() {
        return Err(AppError::Unavailable("the server is shutting down".into()));
    }
    let now = Utc::now();
    // The interviews in progress now, with their latest frames.
    let running = services
        .applications
        .search(
            &user,
            &ApplicationFilter {
                state: Some(InterviewState::InProgress),
                limit: shared::search::MAX_LIMIT,
                ..ApplicationFilter::default()
            },
        )
        .await?;
    let ids: Vec<Uuid> = running.applications.iter().map(|a| a.id.0).collect();
    let first = repo::latest_frames(&db, &ids).await?;
    let mut feed = Feed {
        db,
        organization,
        _slot: slot,
        since: now,
        sent_frames: HashMap::new(),
        sent_flags: HashMap::new(),
        ready: Vec::new(),
        closing,
    };
    for frame in first {
        feed.frame(frame);
    }
    let stream = futures::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// One viewer's stream.
struct Feed {
    db: DatabaseConnection,
    /// `None`: every organization (an admin).
    organization: Option<OrganizationId>,
    /// Held while the stream is open.
    _slot: UploadSlot,
    /// When the last poll began.
    since: DateTime<Utc>,
    /// What was sent and when it was stored or recorded (forgotten once it is
    /// older than a poll looks back).
    sent_frames: HashMap<Uuid, DateTime<Utc>>,
    sent_flags: HashMap<(Uuid, Uuid, EventKind), DateTime<Utc>>,
    /// Events to send, oldest last.
    ready: Vec<Event>,
    /// Becomes `true` when the server shuts down.
    closing: watch::Receiver<bool>,
}

impl Feed {
    /// The next event; `None` when the server shuts down.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if *self.closing.borrow() {
                return None;
            }
            if let Some(event) = self.ready.pop() {
                return Some(event);
            }
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                _ = self.closing.changed() => return None,
            }
            if let Err(error) = self.poll().await {
                tracing::warn!(error = %error_chain(&error), "a live view could not read what is new; trying again");
            }
        }
    }

    async fn poll(&mut self) -> Result<(), crate::db::PersistenceError> {
        let started = Utc::now();
        let from = self.since - LOOKBACK;
        let frames = repo::frames(&self.db, self.organization, from).await?;
        let flags = repo::flags(&self.db, self.organization, from).await?;
        let mut batch = Vec::new();
        for frame in frames {
            if let Some(event) = self.frame_event(frame) {
                batch.push(event);
            }
        }
        for flag in flags {
            if let Some(event) = self.flag_event(flag) {
                batch.push(event);
            }
        }
        // `ready` is taken from its end.
        batch.reverse();
        batch.append(&mut self.ready);
        self.ready = batch;
        self.since = started;
        let horizon = started - LOOKBACK - LOOKBACK;
        self.sent_frames.retain(|_, at| *at > horizon);
        self.sent_flags.retain(|_, at| *at > horizon);
        Ok(())
    }

    fn frame(&mut self, frame: Frame) {
        if let Some(event) = self.frame_event(frame) {
            self.ready.insert(0, event);
        }
    }

    fn frame_event(&mut self, frame: Frame) -> Option<Event> {
        if self.sent_frames.insert(frame.id, frame.stored_at).is_some() {
            return None;
        }
        let key = frame.object_key.parse::<ObjectKey>().ok()?;
        Event::default()
            .event("frame")
            .json_data(FrameData {
                application_id: frame.application,
                kind: key.kind,
                s3_key: frame.object_key,
                captured_at: frame.captured_at,
            })
            .ok()
    }

    fn flag_event(&mut self, flag: Flag) -> Option<Event> {
        let id = (flag.application, flag.id, flag.kind);
        if self.sent_flags.insert(id, flag.recorded_at).is_some() {
            return None;
        }
        Event::default()
            .event("flag")
            .json_data(FlagData {
                application_id: flag.application,
                event_id: flag.id,
                kind: flag.kind,
            })
            .ok()
    }
}
