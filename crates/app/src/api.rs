//! The API's server functions grouped by who may call them, named by their
//! types so that a renamed or moved endpoint moves its rule with it. (The top
//! layer: it names functions of every feature.)

use leptos::server_fn::ServerFn;

use crate::{accountability, applications, auth, integration, integrity, monitoring};

/// The paths of these server functions.
macro_rules! paths {
    ($($function:path),* $(,)?) => {
        &[$(<$function as ServerFn>::PATH),*]
    };
}

/// What a hiring platform's server calls with a service key: provisioning,
/// invitations, webhooks, and reading what was recorded. Every other server
/// function is for browsers.
pub const SERVICE_KEY_PATHS: &[&str] = paths![
    integration::ProvisionCandidate,
    integration::ProvisionApplication,
    integration::ListProvisioned,
    integration::IssueCaptureLink,
    integration::IssueInvitation,
    integration::RevokeInvitation,
    integration::webhooks::RegisterWebhook,
    integration::webhooks::ListWebhooks,
    integration::webhooks::DeleteWebhook,
    integration::webhooks::RotateWebhook,
    integration::webhooks::WebhookDeliveries,
    integration::webhooks::RedeliverWebhook,
    applications::ListApplications,
    applications::GetApplication,
    applications::SearchApplications,
    monitoring::GetMonitoringImages,
    monitoring::GetMonitoringImageSignedUrl,
    monitoring::GetMonitoringImageSignedUrls,
    integrity::ListEvents,
    accountability::ApplicationTrail,
];

/// The server functions that take no caller: signing in and out.
pub const ANONYMOUS_PATHS: &[&str] = paths![auth::Login, auth::Logout];

/// The uploads whose JSON carries a base64 image (a larger body limit).
pub const JSON_UPLOAD_PATHS: &[&str] = paths![
    monitoring::UploadMonitoringImage,
    monitoring::UploadCameraImage,
    monitoring::UploadScreenImage,
];

/// Signing many keys at once (a larger body limit).
pub const SIGNED_URLS_PATH: &str = <monitoring::GetMonitoringImageSignedUrls as ServerFn>::PATH;
