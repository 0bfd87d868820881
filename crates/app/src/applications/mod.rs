//! Lists of job applications: a candidate's own, a recruiter's organization's, all for an admin.
// `search_applications` takes its endpoint's nine JSON fields as arguments; the
// browser half the `#[server]` macro makes of it does not carry an `allow` put
// on the function, so it is here.
#![allow(clippy::too_many_arguments)]

mod invite;
mod list;

use leptos::prelude::*;
use shared::search::ApplicationPage;
use shared::ApplicationSummary;

use crate::error::AppError;

pub use list::{ApplicationTable, ApplicationsPage};

/// `POST /api/applications/get` `{applicationId}`: one application, if the caller may see it
/// (403 when not, 404 when there is none).
#[server(prefix = "/api", endpoint = "applications/get", input = leptos::server_fn::codec::Json)]
pub async fn get_application(
    #[server(rename = "applicationId")] application_id: String,
) -> Result<ApplicationSummary, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let id = shared::input::monitoring::application_id(&application_id)?;
    crate::services::services()?
        .applications
        .get(&user, id)
        .await
}

/// `POST /api/applications/texts` `{language?}`: the words of a candidate's
/// application page in `language` (else the browser's `Accept-Language`),
/// English text → translation (none for English).
#[server(prefix = "/api", endpoint = "applications/texts", input = leptos::server_fn::codec::Json)]
pub async fn get_page_texts(
    #[server(default)] language: Option<String>,
) -> Result<shared::language::Translation, AppError> {
    let crate::auth::ssr::SignedIn(_) = crate::auth::ssr::signed_in().await?;
    let language = match language {
        Some(code) => code.parse().map_err(AppError::BadRequest)?,
        None => crate::integrity::browser_language().await,
    };
    let texts = match crate::ui::words::translation(language) {
        None => Default::default(),
        Some(json) => serde_json::from_str(json).map_err(|_| AppError::internal())?,
    };
    Ok(shared::language::Translation { language, texts })
}

/// `POST /api/applications` `{state?}`: the applications the caller may see,
/// newest first; only those in `state` when given.
#[server(prefix = "/api", endpoint = "applications", input = leptos::server_fn::codec::Json)]
pub async fn list_applications(
    #[server(default)] state: Option<String>,
) -> Result<Vec<ApplicationSummary>, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let state = shared::input::state_filter(state)?;
    let mut applications = crate::services::services()?
        .applications
        .visible_to(&user)
        .await?;
    if let Some(state) = state {
        applications.retain(|application| application.state == state);
    }
    Ok(applications)
}

/// `POST /api/applications/search` `{state?, level?, eventKind?, unreviewed?,
/// from?, to?, organizationId?, before?, limit?}`: a page of the applications a
/// recruiter (own organization) or admin may see that pass every filter given,
/// newest first, and `next` while more may follow.
#[server(prefix = "/api", endpoint = "applications/search", input = leptos::server_fn::codec::Json)]
pub async fn search_applications(
    #[server(default)] state: Option<String>,
    #[server(default)] level: Option<String>,
    #[server(default)]
    #[server(rename = "eventKind")]
    event_kind: Option<String>,
    #[server(default)] unreviewed: Option<bool>,
    #[server(default)] from: Option<String>,
    #[server(default)] to: Option<String>,
    #[server(default)]
    #[server(rename = "organizationId")]
    organization_id: Option<String>,
    #[server(default)] before: Option<String>,
    #[server(default)] limit: Option<u32>,
) -> Result<ApplicationPage, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let filter = shared::input::search::filter(shared::search::SearchQuery {
        state,
        level,
        event_kind,
        unreviewed,
        from,
        to,
        organization_id,
        before,
        limit,
    })?;
    crate::services::services()?
        .applications
        .search(&user, &filter)
        .await
}

/// `POST /api/organizations` `{}`: every organization, by name (admins: what a
/// search may be narrowed to).
#[server(prefix = "/api", endpoint = "organizations", input = leptos::server_fn::codec::Json)]
pub async fn list_organizations() -> Result<shared::search::Organizations, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    crate::services::services()?
        .applications
        .organizations(&user)
        .await
}
