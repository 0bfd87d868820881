//! Privacy and accountability: the audit trail (who viewed, deleted, erased or
//! exported an application's images), erasure, and the pages that show them.
//! The server functions are thin: parse, then hand to the accountability
//! service, which asks the access policy.

pub mod trail;

pub use trail::{AuditPage, AuditTrailPanel, ErasePanel, RetentionNote};

use leptos::prelude::*;
use shared::audit::{AuditTrail, ErasureReceipt};

use crate::error::AppError;

/// Entries the admin page loads at a time.
pub const PAGE_ENTRIES: u32 = 200;

/// Entries of one application's trail answered at a time, at most.
pub const TRAIL_PAGE_MAX: u32 = 1000;

/// `POST /api/audit/application` `{applicationId, after?, limit?}` → `{entries}`,
/// oldest first: up to `limit` (1 to 1,000, default 1,000) entries after the
/// entry `after`; the next page is asked for with the last entry's `seq`.
#[server(prefix = "/api", endpoint = "audit/application", input = leptos::server_fn::codec::Json)]
pub async fn application_trail(
    #[server(rename = "applicationId")] application_id: String,
    #[server(default)] after: Option<i64>,
    #[server(default)] limit: Option<u32>,
) -> Result<AuditTrail, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let application = shared::input::monitoring::application_id(&application_id)?;
    let limit = limit.unwrap_or(TRAIL_PAGE_MAX);
    if !(1..=TRAIL_PAGE_MAX).contains(&limit) {
        return Err(AppError::BadRequest("limit must be 1 to 1000".into()));
    }
    if after.is_some_and(|after| after < 0) {
        return Err(AppError::BadRequest(
            "after must be an entry number (0 or more)".into(),
        ));
    }
    crate::services::services()?
        .accountability
        .trail(&user, application, after, limit)
        .await
}

/// `POST /api/audit/entries` `{before?, limit?}` → `{entries}`, newest first (admins).
#[server(prefix = "/api", endpoint = "audit/entries", input = leptos::server_fn::codec::Json)]
pub async fn audit_entries(
    #[server(default)] before: Option<i64>,
    #[server(default)] limit: Option<u32>,
) -> Result<AuditTrail, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let limit = limit.unwrap_or(PAGE_ENTRIES);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::BadRequest("limit must be 1 to 1000".into()));
    }
    if before.is_some_and(|before| before < 1) {
        return Err(AppError::BadRequest(
            "before must be an entry number (1 or more)".into(),
        ));
    }
    crate::services::services()?
        .accountability
        .entries(&user, before, limit)
        .await
}

/// `POST /api/applications/erase` `{applicationId}` → `{success, erasedImages, erasedEvents}` (admins).
#[server(prefix = "/api", endpoint = "applications/erase", input = leptos::server_fn::codec::Json)]
pub async fn erase_application(
    #[server(rename = "applicationId")] application_id: String,
) -> Result<ErasureReceipt, AppError> {
    let crate::auth::ssr::SignedIn(user) = crate::auth::ssr::signed_in().await?;
    let application = shared::input::monitoring::application_id(&application_id)?;
    crate::services::services()?
        .accountability
        .erase(&user, application)
        .await
}
