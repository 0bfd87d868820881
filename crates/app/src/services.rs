//! What the server functions need from the server, as traits. `server` implements
//! them (it depends on this crate, so this crate cannot call into it) and hands
//! them in as one [`Services`] value through Leptos context and request extensions.

use std::{net::IpAddr, sync::Arc, time::Duration};

use async_trait::async_trait;
use shared::{
    audit::{AuditTrail, ErasureReceipt},
    integrity::{
        ConsentReceipt, ConsentTerms, EventList, EventsAccepted, ReviewRecorded, SessionEnded,
        SessionStarted, Verdict,
    },
    ApplicationId, ApplicationSummary, CurrentUser, DeleteReceipt, ImageKind, ImageList, ObjectKey,
    SignedUrl, UploadReceipt,
};

use shared::capture::NewImage;
use shared::input::{integration::NewApplication, integrity::NewEvent, monitoring::ImagePage};
use shared::search::{ApplicationFilter, ApplicationPage, Organizations};

use crate::error::AppError;

/// Who is calling, as the server's edge worked it out: the client's address and
/// whether it reached us over HTTPS (forwarded headers believed only from
/// trusted proxies). The server puts one into every request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientInfo {
    pub address: IpAddr,
    pub https: bool,
}

/// A session just opened by a successful sign-in.
pub struct NewSession {
    pub user: CurrentUser,
    /// The secret that goes into the session cookie; only its hash is stored.
    pub token: String,
    pub lifetime: Duration,
}

#[async_trait]
pub trait Accounts: Send + Sync {
    /// Checks the credentials (throttled per email and per client address) and opens a
    /// session; `replaces` (the caller's current session, if any) ends, so a session
    /// id is never carried across a sign-in.
    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: Option<IpAddr>,
        replaces: Option<&str>,
    ) -> Result<NewSession, AppError>;
    /// Ends the session server-side; unknown tokens are ignored.
    async fn sign_out(&self, token: &str) -> Result<(), AppError>;
    /// The user of a live session, or `None` when it is unknown or expired.
    async fn session_user(&self, token: &str) -> Result<Option<CurrentUser>, AppError>;
    /// The organization's integration a service key acts as, or `None` when the
    /// key is unknown or revoked; records its use (`path`).
    async fn key_user(&self, key: &str, path: &str) -> Result<Option<CurrentUser>, AppError>;
}

/// Provisioning for hiring platforms (service keys) and recruiters: candidates,
/// applications and capture links, in the caller's organization only.
#[async_trait]
pub trait Provisioning: Send + Sync {
    /// The candidate with this (normalized) email, made if there is none.
    async fn candidate(
        &self,
        caller: &CurrentUser,
        email: &str,
        name: Option<&str>,
    ) -> Result<shared::integration::ProvisionedCandidate, AppError>;
    /// A new application of a known candidate in the caller's organization.
    async fn application(
        &self,
        caller: &CurrentUser,
        new: NewApplication,
    ) -> Result<shared::integration::ProvisionedApplication, AppError>;
    /// The caller's organization's applications, newest first, each with its state.
    async fn applications(
        &self,
        caller: &CurrentUser,
    ) -> Result<shared::integration::ProvisionedApplications, AppError>;
    /// A single-use link that signs the application's candidate in for it;
    /// `origin` is the request's own (used when PUBLIC_URL is not set).
    async fn capture_link(
        &self,
        caller: &CurrentUser,
        application: ApplicationId,
        origin: Option<&str>,
    ) -> Result<shared::integration::CaptureLink, AppError>;
    /// An invitation: valid for `valid_days` (else the server's default),
    /// it opens a fresh session for the application each time until it is
    /// revoked or the interview ends.
    async fn invitation(
        &self,
        caller: &CurrentUser,
        application: ApplicationId,
        valid_days: Option<u32>,
        origin: Option<&str>,
    ) -> Result<shared::integration::CaptureLink, AppError>;
    /// Revokes an invitation of the caller's organization.
    async fn revoke_invitation(&self, caller: &CurrentUser, token: &str) -> Result<(), AppError>;
    /// Every service key (admins).
    async fn keys(
        &self,
        caller: &CurrentUser,
    ) -> Result<shared::integration::ServiceKeys, AppError>;
    /// A new key for the organization with this slug (admins); shown once.
    async fn create_key(
        &self,
        caller: &CurrentUser,
        organization: &str,
        name: &str,
    ) -> Result<shared::integration::NewServiceKey, AppError>;
    /// Revokes the key with this name (admins).
    async fn revoke_key(&self, caller: &CurrentUser, name: &str) -> Result<(), AppError>;
}

/// Webhook endpoints of an organization: its service key, or an admin (who
/// names the organization, by slug, when registering).
#[async_trait]
pub trait Webhooks: Send + Sync {
    /// Registers an endpoint for `events` (every event when empty); its secret is shown once.
    async fn register(
        &self,
        caller: &CurrentUser,
        url: &str,
        events: Vec<shared::webhooks::WebhookEvent>,
        organization: Option<&str>,
    ) -> Result<shared::webhooks::NewWebhook, AppError>;
    /// The caller's organization's endpoints (an admin's: every organization's).
    async fn list(&self, caller: &CurrentUser) -> Result<shared::webhooks::WebhookList, AppError>;
    async fn delete(&self, caller: &CurrentUser, id: uuid::Uuid) -> Result<(), AppError>;
    /// A new secret; the old one keeps signing beside it for a day.
    async fn rotate(
        &self,
        caller: &CurrentUser,
        id: uuid::Uuid,
    ) -> Result<shared::webhooks::NewWebhook, AppError>;
    /// The endpoint's latest deliveries.
    async fn deliveries(
        &self,
        caller: &CurrentUser,
        id: uuid::Uuid,
    ) -> Result<shared::webhooks::Deliveries, AppError>;
    /// Sends a message to the endpoint again.
    async fn redeliver(
        &self,
        caller: &CurrentUser,
        id: uuid::Uuid,
        message: &str,
    ) -> Result<(), AppError>;
}

#[async_trait]
pub trait Applications: Send + Sync {
    /// The applications this user may see: own (candidate), own organization's (recruiter), all (admin).
    async fn visible_to(&self, user: &CurrentUser) -> Result<Vec<ApplicationSummary>, AppError>;
    /// One application the user may see (403 when not allowed, 404 when unknown).
    async fn get(
        &self,
        user: &CurrentUser,
        id: ApplicationId,
    ) -> Result<ApplicationSummary, AppError>;
    /// A page of the applications a recruiter (own organization) or admin
    /// may see that pass `filter`, newest first.
    async fn search(
        &self,
        user: &CurrentUser,
        filter: &ApplicationFilter,
    ) -> Result<ApplicationPage, AppError>;
    /// Every organization (admins: what their search may be narrowed to).
    async fn organizations(&self, user: &CurrentUser) -> Result<Organizations, AppError>;
}

/// Monitoring images. Every method checks the access policy before it reads or
/// changes anything stored (checks of the input alone may come before it).
#[async_trait]
pub trait Monitoring: Send + Sync {
    /// The largest image accepted, in bytes after decoding.
    fn max_image_bytes(&self) -> usize;
    /// Checks the bytes are a JPEG, stores the object, then records it.
    async fn upload(&self, user: &CurrentUser, image: NewImage) -> Result<UploadReceipt, AppError>;
    async fn images(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        page: ImagePage,
    ) -> Result<ImageList, AppError>;
    async fn delete(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        kind: ImageKind,
        key: ObjectKey,
    ) -> Result<DeleteReceipt, AppError>;
    /// URLs for `keys`, in the order given.
    async fn signed_urls(
        &self,
        user: &CurrentUser,
        keys: Vec<ObjectKey>,
    ) -> Result<Vec<SignedUrl>, AppError>;
}

/// Consent, sessions, events and verdicts. Every method checks the access policy before it reads or
/// changes anything stored (checks of the input alone may come before it).
#[async_trait]
pub trait Integrity: Send + Sync {
    /// What the consent page states (retention, link lifetime) and whether this candidate consented.
    async fn terms(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        language: shared::language::Language,
    ) -> Result<ConsentTerms, AppError>;
    /// Records the application's candidate's consent to the text `version` in `language`.
    async fn consent(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        version: &str,
        language: shared::language::Language,
    ) -> Result<ConsentReceipt, AppError>;
    /// Records the start of a panel: its intervals (seconds) and the browser.
    async fn start_session(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        intervals: (u32, u32),
        user_agent: &str,
    ) -> Result<SessionStarted, AppError>;
    /// Ends a session of the application (the panel's `end()`); ending it again
    /// answers the first end.
    async fn end_session(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        session: uuid::Uuid,
    ) -> Result<SessionEnded, AppError>;
    /// Stores events, each id once (409 when an id was used for another event).
    async fn record_events(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        session: Option<uuid::Uuid>,
        events: Vec<NewEvent>,
    ) -> Result<EventsAccepted, AppError>;
    /// The timeline's events (the server's gaps among them) and the summary.
    async fn events(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
    ) -> Result<EventList, AppError>;
    /// A reviewer's verdict on one flagged event.
    async fn review_flag(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        event: uuid::Uuid,
        verdict: Verdict,
        note: String,
    ) -> Result<ReviewRecorded, AppError>;
    /// The candidate's response to one flag of their application (one per
    /// flag; a new text replaces the last until a verdict follows it).
    async fn respond(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        event: uuid::Uuid,
        text: String,
    ) -> Result<shared::integrity::ResponseRecorded, AppError>;
}

/// The audit trail and erasure. Every method checks the access policy before it reads or
/// changes anything stored (checks of the input alone may come before it).
#[async_trait]
pub trait Accountability: Send + Sync {
    /// The audit entries of one application, oldest first: for its candidate,
    /// recruiters of its organization and admins.
    async fn trail(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
        after: Option<i64>,
        limit: u32,
    ) -> Result<AuditTrail, AppError>;
    /// Every entry, newest first, `limit` before the entry `before` (admins).
    async fn entries(
        &self,
        user: &CurrentUser,
        before: Option<i64>,
        limit: u32,
    ) -> Result<AuditTrail, AppError>;
    /// Removes every image, event and session of the application (admins); the
    /// application row stays, marked erased, with an audit entry.
    async fn erase(
        &self,
        user: &CurrentUser,
        application: ApplicationId,
    ) -> Result<ErasureReceipt, AppError>;
}

#[derive(Clone)]
pub struct Services {
    pub accounts: Arc<dyn Accounts>,
    pub applications: Arc<dyn Applications>,
    pub monitoring: Arc<dyn Monitoring>,
    pub integrity: Arc<dyn Integrity>,
    pub accountability: Arc<dyn Accountability>,
    pub provisioning: Arc<dyn Provisioning>,
    pub webhooks: Arc<dyn Webhooks>,
}

/// The services of the current request, from Leptos context (the server
/// provides them, with the request, to every page, server function and the
/// not-found page from one closure in its router).
///
/// Without them there are two cases. The request is still there: a route the
/// server did not give them to, a fault of ours, logged and counted
/// (`interview_monitor_services_missing_total`; the pages test walks every
/// route for it). The request is gone too: a resource of a render Leptos
/// discarded on the server (a branch replaced, an answer already sent) is
/// finishing, and nobody will read its result; that is counted apart
/// (`interview_monitor_discarded_server_calls_total`) and refused quietly.
pub fn services() -> Result<Services, AppError> {
    use leptos::prelude::use_context;
    if let Some(services) = use_context::<Services>() {
        return Ok(services);
    }
    if use_context::<axum::http::request::Parts>().is_none() {
        tracing::debug!("a server function of a discarded render ran after its request");
        metrics::counter!("interview_monitor_discarded_server_calls_total").increment(1);
        return Err(AppError::unavailable());
    }
    tracing::error!("Services were not provided to the Leptos context");
    metrics::counter!("interview_monitor_services_missing_total").increment(1);
    Err(AppError::internal())
}
