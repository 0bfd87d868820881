//! Service keys, capture links and provisioned candidates.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, Set,
};
use shared::{OrganizationId, Role};
use uuid::Uuid;

use super::{
    entities::{api_key, capture_link, idempotency_key, organization, user},
    PersistenceError,
};

pub async fn create_key(
    db: &DatabaseConnection,
    organization: OrganizationId,
    name: &str,
    key_hash: String,
    now: DateTime<Utc>,
) -> Result<api_key::Model, PersistenceError> {
    api_key::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(organization.0),
        name: Set(name.to_string()),
        key_hash: Set(key_hash),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await
    .map_err(|e| PersistenceError::duplicate_as(e, || format!("a key named `{name}`")))
}

/// The key with this hash, unless it was revoked.
pub async fn live_key(
    db: &DatabaseConnection,
    key_hash: &str,
) -> Result<Option<api_key::Model>, PersistenceError> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(key_hash))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

/// How often a key's last use is written.
const USE_RECORDED_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// Whether a key last recorded as used at `last_used` should be recorded again at `now`.
pub fn use_is_stale(last_used: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used.is_none_or(|at| at < now - USE_RECORDED_EVERY)
}

/// Records that the key was used at `now`, at most once a minute per key (a
/// write per request would make every integration call a write); the condition
/// is in the statement too, so instances racing to record write once.
pub async fn touch_key(
    db: &DatabaseConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(api_key::Column::LastUsedAt.is_null())
                .add(api_key::Column::LastUsedAt.lt(now - USE_RECORDED_EVERY)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes the key named `name`; whether there was a live one.
pub async fn revoke_key(
    db: &DatabaseConnection,
    name: &str,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let result = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(now))
        .filter(api_key::Column::Name.eq(name))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Every key with its organization's slug, oldest first.
pub async fn keys(
    db: &DatabaseConnection,
) -> Result<Vec<(api_key::Model, String)>, PersistenceError> {
    let slugs: std::collections::HashMap<Uuid, String> = organization::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|org| (org.id, org.slug))
        .collect();
    Ok(api_key::Entity::find()
        .order_by_asc(api_key::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|key| {
            let slug = slugs.get(&key.organization_id).cloned().unwrap_or_default();
            (key, slug)
        })
        .collect())
}

/// A candidate who signs in through capture links only (no password).
pub async fn create_candidate(
    db: &DatabaseConnection,
    email: &str,
    name: Option<&str>,
) -> Result<user::Model, PersistenceError> {
    user::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.to_string()),
        password_hash: Set(String::new()),
        role: Set(Role::Candidate.as_str().to_string()),
        organization_id: Set(None),
        created_at: Set(Utc::now()),
        name: Set(name.map(str::to_string)),
    }
    .insert(db)
    .await
    .map_err(|e| PersistenceError::duplicate_as(e, || format!("a user with email `{email}`")))
}

/// The application an `Idempotency-Key` of this organization made, and the
/// fingerprint of the request that made it.
pub async fn idempotent_application(
    db: &DatabaseConnection,
    organization: OrganizationId,
    key: &str,
) -> Result<Option<idempotency_key::Model>, PersistenceError> {
    Ok(
        idempotency_key::Entity::find_by_id((organization.0, key.to_string()))
            .one(db)
            .await?,
    )
}

/// Remembers which application a key made, in the transaction that made it:
/// `Duplicate` when another request with the key got there first.
pub async fn remember_idempotency_in(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    key: &str,
    request_hash: &str,
    application: Uuid,
) -> Result<(), PersistenceError> {
    idempotency_key::ActiveModel {
        organization_id: Set(organization.0),
        key: Set(key.to_string()),
        request_hash: Set(request_hash.to_string()),
        application_id: Set(application),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map(|_| ())
    .map_err(|e| PersistenceError::duplicate_as(e, || "a request with this Idempotency-Key".into()))
}

/// A capture link or an invitation (`invitation`), in the caller's
/// transaction (with its audit entry).
pub async fn create_link_in(
    db: &impl ConnectionTrait,
    token_hash: String,
    application: Uuid,
    invitation: bool,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    capture_link::ActiveModel {
        token_hash: Set(token_hash),
        application_id: Set(application),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        invitation: Set(invitation),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The application a link opens, if it still opens it: a capture link is used
/// up by this (one conditional update, so of any number of requests at once
/// exactly one gets the application); an invitation opens one each time until
/// it expires, is revoked or its interview ends.
pub async fn redeem_link(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, PersistenceError> {
    let Some(link) = capture_link::Entity::find_by_id(token_hash.to_string())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if !usable(&link, now) {
        return Ok(None);
    }
    if link.invitation {
        return Ok(Some(link.application_id));
    }
    let used = capture_link::Entity::update_many()
        .col_expr(capture_link::Column::UsedAt, Expr::value(now))
        .filter(capture_link::Column::TokenHash.eq(token_hash))
        .filter(capture_link::Column::UsedAt.is_null())
        .filter(capture_link::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok((used.rows_affected == 1).then_some(link.application_id))
}

fn usable(link: &capture_link::Model, now: DateTime<Utc>) -> bool {
    link.used_at.is_none() && link.revoked_at.is_none() && link.expires_at > now
}

/// Whether the link exists and still opens its interview (what its page shows before it is used).
pub async fn link_usable(
    db: &DatabaseConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    Ok(capture_link::Entity::find_by_id(token_hash.to_string())
        .one(db)
        .await?
        .is_some_and(|link| usable(&link, now)))
}

/// Revokes the invitation with this hash if it is one of `organization`'s
/// applications': whether there was such an invitation.
pub async fn revoke_invitation(
    db: &DatabaseConnection,
    token_hash: &str,
    organization: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let Some(link) = capture_link::Entity::find_by_id(token_hash.to_string())
        .filter(capture_link::Column::Invitation.eq(true))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    if let Some(organization) = organization {
        let owner = crate::db::entities::job_application::Entity::find_by_id(link.application_id)
            .one(db)
            .await?
            .map(|application| application.organization_id);
        if owner != Some(organization) {
            return Ok(false);
        }
    }
    capture_link::Entity::update_many()
        .col_expr(capture_link::Column::RevokedAt, Expr::value(now))
        .filter(capture_link::Column::TokenHash.eq(token_hash))
        .filter(capture_link::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(true)
}

/// Uses up the application's invitations: its interview ended.
pub async fn use_up_invitations(
    db: &impl ConnectionTrait,
    application: Uuid,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    capture_link::Entity::update_many()
        .col_expr(capture_link::Column::UsedAt, Expr::value(now))
        .filter(capture_link::Column::ApplicationId.eq(application))
        .filter(capture_link::Column::Invitation.eq(true))
        .filter(capture_link::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keys_use_is_recorded_at_most_once_a_minute() {
        let now = Utc::now();
        assert!(use_is_stale(None, now));
        assert!(!use_is_stale(
            Some(now - chrono::Duration::seconds(30)),
            now
        ));
        assert!(!use_is_stale(
            Some(now - chrono::Duration::seconds(60)),
            now
        ));
        assert!(use_is_stale(Some(now - chrono::Duration::seconds(61)), now));
    }
}
