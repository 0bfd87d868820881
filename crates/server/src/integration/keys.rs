//! Service keys: made once (`apikey create`, printed then and never again), kept
//! as a SHA-256 hash, revocable. A key acts as its organization's integration.

use chrono::Utc;
use sea_orm::DatabaseConnection;
use shared::{CurrentUser, OrganizationId, Role, UserId};

use crate::{
    db::{entities::api_key, integration as repo, PersistenceError},
    encoding::random_token,
    encoding::token_hash,
};

/// What every key starts with, so a leaked one is recognisable (secret scanners),
/// and told apart from a session's bearer token.
pub use shared::integration::SERVICE_KEY_PREFIX as KEY_PREFIX;
/// Longer than any key we make; longer ones are refused unread.
pub const MAX_KEY_CHARS: usize = 128;

/// A new key for the organization; the key itself is returned once, only its hash is kept.
pub async fn create(
    db: &DatabaseConnection,
    organization: OrganizationId,
    name: &str,
) -> Result<(api_key::Model, String), PersistenceError> {
    let key = format!("{KEY_PREFIX}{}", random_token::<32>());
    let model = repo::create_key(db, organization, name, token_hash(&key), Utc::now()).await?;
    Ok((model, key))
}

/// Who a key acts as: its organization's integration (the key's id stands in
/// for a user's in audit entries).
pub fn acting_as(key: &api_key::Model) -> CurrentUser {
    CurrentUser {
        id: UserId(key.id),
        email: format!("service key {}", key.name),
        role: Role::Integration,
        organization_id: Some(OrganizationId(key.organization_id)),
        only_application: None,
    }
}
