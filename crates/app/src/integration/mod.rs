//! The provisioning API: a hiring platform (with a service key) or a recruiter
//! (signed in) makes candidates and applications in its organization and issues
//! capture links. Inputs are checked (`shared::input::integration`); the server
//! does the rest.

use leptos::prelude::*;
use shared::integration::{
    CaptureLink, ProvisionedApplication, ProvisionedApplications, ProvisionedCandidate,
};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use shared::input::integration::{email, idempotency_key, interval, text, NewApplication};

mod keys;
pub mod webhooks;
pub use keys::{create_service_key, list_service_keys, revoke_service_key, KeysPage};

/// `POST /api/integration/candidates` `{email, name?}` → `{id, email}`: the
/// candidate with that email, made if there is none.
#[server(prefix = "/api", endpoint = "integration/candidates", input = leptos::server_fn::codec::Json)]
pub async fn provision_candidate(
    email: String,
    #[server(default)] name: Option<String>,
) -> Result<ProvisionedCandidate, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let email = shared::input::integration::email(&email)?;
    let name = name.as_deref().map(|name| text("name", name)).transpose()?;
    crate::services::services()?
        .provisioning
        .candidate(&caller, &email, name.as_deref())
        .await
}

/// `POST /api/integration/applications` `{candidateEmail, title, cameraInterval?,
/// screenInterval?, camera?, screen?, idCheck?}` → the application.
#[server(prefix = "/api", endpoint = "integration/applications", input = leptos::server_fn::codec::Json)]
pub async fn provision_application(
    #[server(rename = "candidateEmail")] candidate_email: String,
    title: String,
    #[server(rename = "cameraInterval")]
    #[server(default)]
    camera_interval: Option<u32>,
    #[server(rename = "screenInterval")]
    #[server(default)]
    screen_interval: Option<u32>,
    #[server(default)] camera: Option<bool>,
    #[server(default)] screen: Option<bool>,
    #[server(rename = "idCheck")]
    #[server(default)]
    id_check: Option<bool>,
) -> Result<ProvisionedApplication, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let capture = shared::CaptureSettings {
        camera: camera.unwrap_or(true),
        screen: screen.unwrap_or(true),
        camera_interval: interval("cameraInterval", camera_interval)?,
        screen_interval: interval("screenInterval", screen_interval)?,
        id_check: id_check.unwrap_or(false),
    };
    if !capture.camera && !capture.screen {
        return Err(AppError::BadRequest(
            "an interview captures the camera, the screen or both".into(),
        ));
    }
    if capture.id_check && !capture.camera {
        return Err(AppError::BadRequest(
            "an ID check needs the camera: the candidate shows the document to it".into(),
        ));
    }
    let new = NewApplication {
        candidate_email: email(&candidate_email)?,
        title: text("title", &title)?,
        capture,
        idempotency_key: crate::auth::ssr::request_header("idempotency-key")
            .await
            .map(|value| idempotency_key(&value))
            .transpose()?,
    };
    crate::services::services()?
        .provisioning
        .application(&caller, new)
        .await
}

/// `POST /api/integration/applications/list` `{state?}` → the organization's
/// applications, newest first, each with its state; only those in `state` when given.
#[server(prefix = "/api", endpoint = "integration/applications/list", input = leptos::server_fn::codec::Json)]
pub async fn list_provisioned(
    #[server(default)] state: Option<String>,
) -> Result<ProvisionedApplications, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let state = shared::input::state_filter(state)?;
    let mut list = crate::services::services()?
        .provisioning
        .applications(&caller)
        .await?;
    if let Some(state) = state {
        list.applications
            .retain(|application| application.state == state);
    }
    Ok(list)
}

/// `POST /api/integration/invitations` `{applicationId, validDays?}` → `{url,
/// token, expiresAt}`: for an email. Opening it opens a fresh session for the
/// application each time, until it expires, is revoked or the interview ends.
#[server(prefix = "/api", endpoint = "integration/invitations", input = leptos::server_fn::codec::Json)]
pub async fn issue_invitation(
    #[server(rename = "applicationId")] application_id: String,
    #[server(rename = "validDays")]
    #[server(default)]
    valid_days: Option<u32>,
) -> Result<CaptureLink, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let application = shared::input::monitoring::application_id(&application_id)?;
    let origin = crate::auth::ssr::request_origin().await;
    crate::services::services()?
        .provisioning
        .invitation(&caller, application, valid_days, origin.as_deref())
        .await
}

/// `POST /api/integration/invitations/revoke` `{token}` → `{success}`.
#[server(prefix = "/api", endpoint = "integration/invitations/revoke", input = leptos::server_fn::codec::Json)]
pub async fn revoke_invitation(token: String) -> Result<shared::integration::KeyRevoked, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    crate::services::services()?
        .provisioning
        .revoke_invitation(&caller, token.trim())
        .await?;
    Ok(shared::integration::KeyRevoked { success: true })
}

/// `POST /api/integration/capture-links` `{applicationId}` → `{url, token, expiresAt}`:
/// single use; opens the interview page signed in as the candidate, for that
/// application only.
#[server(prefix = "/api", endpoint = "integration/capture-links", input = leptos::server_fn::codec::Json)]
pub async fn issue_capture_link(
    #[server(rename = "applicationId")] application_id: String,
) -> Result<CaptureLink, AppError> {
    let crate::auth::ssr::SignedIn(caller) = crate::auth::ssr::signed_in().await?;
    let application = shared::input::monitoring::application_id(&application_id)?;
    let origin = crate::auth::ssr::request_origin().await;
    crate::services::services()?
        .provisioning
        .capture_link(&caller, application, origin.as_deref())
        .await
}
