//! The API's server functions grouped by who may call them, named by their
//! types so that a renamed or moved endpoint moves its rule with it. (The top
//! layer: it names functions of every feature.)

use leptos::server_fn::ServerFn;

use crate::{accountability, applications, integration, integrity, monitoring};

/// What a hiring platform's server calls with a service key: provisioning,
/// invitations, webhooks, and reading what was recorded. Every other server
/// function is for browsers.
pub const SERVICE_KEY_PATHS: &[&str] = &[
    <integration::ProvisionCandidate as ServerFn>::PATH,
    <integration::ProvisionApplication as ServerFn>::PATH,
    <integration::ListProvisioned as ServerFn>::PATH,
    <integration::IssueCaptureLink as ServerFn>::PATH,
    <integration::IssueInvitation as ServerFn>::PATH,
    <integration::RevokeInvitation as ServerFn>::PATH,
    <integration::webhooks::RegisterWebhook as ServerFn>::PATH,
    <integration::webhooks::ListWebhooks as ServerFn>::PATH,
    <integration::webhooks::DeleteWebhook as ServerFn>::PATH,
    <integration::webhooks::RotateWebhook as ServerFn>::PATH,
    <integration::webhooks::WebhookDeliveries as ServerFn>::PATH,
    <integration::webhooks::RedeliverWebhook as ServerFn>::PATH,
    <applications::ListApplications as ServerFn>::PATH,
    <applications::GetApplication as ServerFn>::PATH,
    <monitoring::GetMonitoringImages as ServerFn>::PATH,
    <monitoring::GetMonitoringImageSignedUrl as ServerFn>::PATH,
    <monitoring::GetMonitoringImageSignedUrls as ServerFn>::PATH,
    <integrity::ListEvents as ServerFn>::PATH,
    <accountability::ApplicationTrail as ServerFn>::PATH,
];
