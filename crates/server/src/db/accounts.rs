//! Organizations, users, sessions and failed sign-ins.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, JoinType, QueryFilter, QuerySelect, Set,
};
use shared::{CurrentUser, OrganizationId, Role, UserId};
use uuid::Uuid;

use super::{
    entities::{organization, session, user},
    PersistenceError,
};

pub async fn create_organization(
    db: &DatabaseConnection,
    slug: &str,
    name: &str,
    retention_days: Option<u32>,
) -> Result<organization::Model, PersistenceError> {
    organization::ActiveModel {
        id: Set(Uuid::new_v4()),
        slug: Set(slug.to_string()),
        name: Set(name.to_string()),
        created_at: Set(Utc::now()),
        retention_days: Set(retention_days.map(|days| days.min(i32::MAX as u32) as i32)),
        response_days: Set(None),
    }
    .insert(db)
    .await
    .map_err(|e| {
        PersistenceError::duplicate_as(e, || format!("an organization with slug `{slug}`"))
    })
}

/// Sets the organization's window for responses to flags; false when there
/// is no such organization.
pub async fn set_response_days(
    db: &DatabaseConnection,
    slug: &str,
    days: Option<u32>,
) -> Result<bool, PersistenceError> {
    let updated = organization::Entity::update_many()
        .col_expr(
            organization::Column::ResponseDays,
            sea_orm::sea_query::Expr::value(days.map(|d| d.min(i32::MAX as u32) as i32)),
        )
        .filter(organization::Column::Slug.eq(slug))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

pub async fn organization_by_slug(
    db: &DatabaseConnection,
    slug: &str,
) -> Result<Option<organization::Model>, PersistenceError> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// Every organization, by name.
pub async fn organizations(
    db: &DatabaseConnection,
) -> Result<Vec<organization::Model>, PersistenceError> {
    use sea_orm::QueryOrder;
    Ok(organization::Entity::find()
        .order_by_asc(organization::Column::Name)
        .all(db)
        .await?)
}

/// The slugs of these organizations, by id.
pub async fn organization_slugs(
    db: &DatabaseConnection,
    ids: Vec<uuid::Uuid>,
) -> Result<std::collections::HashMap<uuid::Uuid, String>, PersistenceError> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.slug))
        .collect())
}

pub async fn create_user(
    db: &DatabaseConnection,
    email: &str,
    password_hash: String,
    role: Role,
    organization_id: Option<OrganizationId>,
) -> Result<user::Model, PersistenceError> {
    user::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.to_string()),
        password_hash: Set(password_hash),
        role: Set(role.as_str().to_string()),
        organization_id: Set(organization_id.map(|id| id.0)),
        created_at: Set(Utc::now()),
        name: Set(None),
    }
    .insert(db)
    .await
    .map_err(|e| PersistenceError::duplicate_as(e, || format!("a user with email `{email}`")))
}

pub async fn user_by_email(
    db: &DatabaseConnection,
    email: &str,
) -> Result<Option<user::Model>, PersistenceError> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?)
}

pub fn current_user(model: &user::Model) -> Result<CurrentUser, PersistenceError> {
    Ok(CurrentUser {
        id: UserId(model.id),
        email: model.email.clone(),
        role: model
            .role
            .parse()
            .map_err(|e: shared::RoleError| PersistenceError::Corrupt(e.to_string()))?,
        organization_id: model.organization_id.map(OrganizationId),
        only_application: None,
    })
}

/// A session; `only_application` limits it to one application (a capture link's).
pub async fn create_session(
    db: &impl ConnectionTrait,
    token_hash: String,
    user_id: UserId,
    expires_at: DateTime<Utc>,
    only_application: Option<Uuid>,
) -> Result<(), PersistenceError> {
    session::ActiveModel {
        token_hash: Set(token_hash),
        user_id: Set(user_id.0),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        application_id: Set(only_application),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A session's user, and the one application the session is limited to, if any.
#[derive(Debug, FromQueryResult)]
pub struct SessionUser {
    #[sea_orm(nested)]
    pub user: user::Model,
    pub only_application: Option<Uuid>,
}

impl SessionUser {
    pub fn current(&self) -> Result<CurrentUser, PersistenceError> {
        let mut current = current_user(&self.user)?;
        current.only_application = self.only_application.map(shared::ApplicationId);
        Ok(current)
    }
}

/// The user of a session that has not expired, in one query (every request asks).
pub async fn session_user(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<SessionUser>, PersistenceError> {
    let of_session = session::Entity::belongs_to(user::Entity)
        .from(session::Column::UserId)
        .to(user::Column::Id)
        .into();
    Ok(user::Entity::find()
        .join_rev(JoinType::InnerJoin, of_session)
        .column_as(session::Column::ApplicationId, "only_application")
        .filter(session::Column::TokenHash.eq(token_hash))
        .filter(session::Column::ExpiresAt.gt(now))
        .into_model::<SessionUser>()
        .one(db)
        .await?)
}

pub async fn delete_session(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<(), PersistenceError> {
    session::Entity::delete_by_id(token_hash.to_string())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete_expired_sessions(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, PersistenceError> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}
