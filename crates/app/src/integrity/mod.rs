//! Integrity signals: consent, monitoring sessions, the events of an interview
//! and reviewers' verdicts, as server functions (thin: parse, hand to the
//! integrity service, which asks the access policy), and the review page's
//! summary and event list.

#[cfg(feature = "ssr")]
use shared::input::integrity as input;
pub mod review;

pub use review::{describe, icon, IntegrityPanel, LevelBadge, Verdicts};

use leptos::prelude::*;
use shared::integrity::{
    ConsentReceipt, ConsentTerms, EventList, EventsAccepted, ResponseRecorded, ReviewRecorded,
    SessionEnded, SessionStarted,
};

use crate::error::AppError;

pub use shared::integrity::EventInput;

/// `POST /api/monitoring/consent/terms` `{applicationId, language?}`: what the
/// consent page states (retention and link lifetime from the server's
/// settings), in which language, and whether the candidate has consented to
/// this text in it.
#[server(prefix = "/api", endpoint = "monitoring/consent/terms", input = leptos::server_fn::codec::Json)]
pub async fn get_consent_terms(
    #[server(rename = "applicationId")] application_id: String,
    #[server(default)] language: Option<String>,
) -> Result<ConsentTerms, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let application = shared::input::monitoring::application_id(&application_id)?;
    let language = match language {
        Some(code) => code.parse().map_err(AppError::BadRequest)?,
        None => browser_language().await,
    };
    crate::services::services()?
        .integrity
        .terms(&user, application, language)
        .await
}

/// The language the browser asks for first (`Accept-Language`), of ours.
#[cfg(feature = "ssr")]
pub(crate) async fn browser_language() -> shared::language::Language {
    let headers: Option<http::HeaderMap> = leptos_axum::extract().await.ok();
    headers
        .as_ref()
        .and_then(|h| h.get(http::header::ACCEPT_LANGUAGE))
        .and_then(|value| value.to_str().ok())
        .map(shared::language::Language::from_accept_language)
        .unwrap_or_default()
}

/// `POST /api/monitoring/texts` `{language}`: the panel's texts in that
/// language (field → text; `{}` for English, the panel's own), for a page
/// to hand to the panel: a browser downloads only the language it shows.
#[server(prefix = "/api", endpoint = "monitoring/texts", input = leptos::server_fn::codec::Json)]
pub async fn get_panel_texts(
    language: String,
) -> Result<std::collections::BTreeMap<String, String>, AppError> {
    let language: shared::language::Language = language.parse().map_err(AppError::BadRequest)?;
    match panel::translation(language) {
        None => Ok(Default::default()),
        Some(json) => serde_json::from_str(json).map_err(|_| AppError::internal()),
    }
}

/// `POST /api/monitoring/consent` `{applicationId, consentVersion, language?}`:
/// the application's candidate consents to monitoring as described by that
/// version of the text in that language (English when not said).
#[server(prefix = "/api", endpoint = "monitoring/consent", input = leptos::server_fn::codec::Json)]
pub async fn record_consent(
    #[server(rename = "applicationId")] application_id: String,
    #[server(rename = "consentVersion")] consent_version: String,
    #[server(default)] language: Option<String>,
) -> Result<ConsentReceipt, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let application = shared::input::monitoring::application_id(&application_id)?;
    let version = input::consent_version(&consent_version)?;
    let language = match language {
        Some(code) => code.parse().map_err(AppError::BadRequest)?,
        None => shared::language::Language::En,
    };
    crate::services::services()?
        .integrity
        .consent(&user, application, version, language)
        .await
}

/// `POST /api/monitoring/session/start` `{applicationId, cameraInterval, screenInterval}`.
#[server(prefix = "/api", endpoint = "monitoring/session/start", input = leptos::server_fn::codec::Json)]
pub async fn start_session(
    #[server(rename = "applicationId")] application_id: String,
    #[server(rename = "cameraInterval")] camera_interval: i64,
    #[server(rename = "screenInterval")] screen_interval: i64,
) -> Result<SessionStarted, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let application = shared::input::monitoring::application_id(&application_id)?;
    let intervals = (
        input::interval("cameraInterval", camera_interval)?,
        input::interval("screenInterval", screen_interval)?,
    );
    let headers: http::HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| AppError::internal())?;
    let user_agent = input::user_agent(
        headers
            .get(http::header::USER_AGENT)
            .and_then(|value| value.to_str().ok()),
    );
    crate::services::services()?
        .integrity
        .start_session(&user, application, intervals, &user_agent)
        .await
}

/// `POST /api/monitoring/session/end` `{applicationId, sessionId}`: the panel's
/// `end()` closes its session (the first end is kept).
#[server(prefix = "/api", endpoint = "monitoring/session/end", input = leptos::server_fn::codec::Json)]
pub async fn end_session(
    #[server(rename = "applicationId")] application_id: String,
    #[server(rename = "sessionId")] session_id: String,
) -> Result<SessionEnded, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let application = shared::input::monitoring::application_id(&application_id)?;
    let session = input::uuid("sessionId", &session_id)?;
    crate::services::services()?
        .integrity
        .end_session(&user, application, session)
        .await
}

/// `POST /api/monitoring/events` `{applicationId, sessionId?, events: [...]}` (at most 500).
#[server(prefix = "/api", endpoint = "monitoring/events", input = leptos::server_fn::codec::Json)]
pub async fn record_events(
    #[server(rename = "applicationId")] application_id: String,
    #[server(rename = "sessionId")]
    #[server(default)]
    session_id: Option<String>,
    events: Vec<EventInput>,
) -> Result<EventsAccepted, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let application = shared::input::monitoring::application_id(&application_id)?;
    let session = session_id
        .as_deref()
        .map(|text| input::uuid("sessionId", text))
        .transpose()?;
    let events = input::events(events)?;
    crate::services::services()?
        .integrity
        .record_events(&user, application, session, events)
        .await
}

/// `POST /api/monitoring/events/list` `{applicationId}` → `{events, summary}`, oldest first.
#[server(prefix = "/api", endpoint = "monitoring/events/list", input = leptos::server_fn::codec::Json)]
pub async fn list_events(
    #[server(rename = "applicationId")] application_id: String,
) -> Result<EventList, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let application = shared::input::monitoring::application_id(&application_id)?;
    crate::services::services()?
        .integrity
        .events(&user, application)
        .await
}

/// `POST /api/monitoring/flags/review` `{applicationId, eventId, verdict, note?}`.
#[server(prefix = "/api", endpoint = "monitoring/flags/review", input = leptos::server_fn::codec::Json)]
pub async fn review_flag(
    #[server(rename = "applicationId")] application_id: String,
    #[server(rename = "eventId")] event_id: String,
    verdict: String,
    #[server(default)] note: Option<String>,
) -> Result<ReviewRecorded, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let application = shared::input::monitoring::application_id(&application_id)?;
    let event = input::uuid("eventId", &event_id)?;
    let verdict = verdict.parse().map_err(AppError::BadRequest)?;
    let note = input::note(note)?;
    crate::services::services()?
        .integrity
        .review_flag(&user, application, event, verdict, note)
        .await
}

/// `POST /api/monitoring/flags/respond` `{applicationId, eventId, response}`:
/// the candidate's own words on a flag about them.
#[server(prefix = "/api", endpoint = "monitoring/flags/respond", input = leptos::server_fn::codec::Json)]
pub async fn respond_to_flag(
    #[server(rename = "applicationId")] application_id: String,
    #[server(rename = "eventId")] event_id: String,
    response: String,
) -> Result<ResponseRecorded, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let application = shared::input::monitoring::application_id(&application_id)?;
    let event = input::uuid("eventId", &event_id)?;
    let text = input::response(&response)?;
    crate::services::services()?
        .integrity
        .respond(&user, application, event, text)
        .await
}
