//! Integration: service API keys (stored hashed), single-use capture links,
//! sessions limited to one application (opened by a link), and each
//! application's own capture settings (set when a platform provisions it), and
//! a candidate's name as the platform gave it.

use sea_orm_migration::{prelude::*, schema::*};

use super::{foreign_key, JobApplications, Organizations, Sessions, Users};

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    OrganizationId,
    Name,
    KeyHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum CaptureLinks {
    Table,
    TokenHash,
    ApplicationId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

pub struct Integration;

impl MigrationName for Integration {
    fn name(&self) -> &str {
        "m20261126_000008_integration"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Integration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(pk_uuid(ApiKeys::Id))
                    .col(uuid(ApiKeys::OrganizationId))
                    .col(string_uniq(ApiKeys::Name))
                    .col(string_uniq(ApiKeys::KeyHash))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .foreign_key(&mut foreign_key(
                        (ApiKeys::Table, ApiKeys::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CaptureLinks::Table)
                    .col(string(CaptureLinks::TokenHash).primary_key())
                    .col(uuid(CaptureLinks::ApplicationId))
                    .col(timestamp_with_time_zone(CaptureLinks::CreatedAt))
                    .col(timestamp_with_time_zone(CaptureLinks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(CaptureLinks::UsedAt))
                    .foreign_key(&mut foreign_key(
                        (CaptureLinks::Table, CaptureLinks::ApplicationId),
                        (JobApplications::Table, JobApplications::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("capture_links_application")
                    .table(CaptureLinks::Table)
                    .col(CaptureLinks::ApplicationId)
                    .take(),
            )
            .await?;
        // One column per statement: SQLite alters one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_null(Alias::new("name")))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(uuid_null(Alias::new("application_id")))
                    .take(),
            )
            .await?;
        for column in ["camera_interval", "screen_interval"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(JobApplications::Table)
                        .add_column(integer_null(Alias::new(column)))
                        .take(),
                )
                .await?;
        }
        for column in ["camera_enabled", "screen_enabled"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(JobApplications::Table)
                        .add_column(boolean(Alias::new(column)).default(true))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum IdempotencyKeysTable {
    #[sea_orm(iden = "idempotency_keys")]
    Table,
    OrganizationId,
    Key,
    RequestHash,
    ApplicationId,
    CreatedAt,
}

/// `Idempotency-Key`s of `/api/integration/applications`: one per organization
/// and key, so a retried or repeated request makes one application.
pub struct IdempotencyKeys;

impl MigrationName for IdempotencyKeys {
    fn name(&self) -> &str {
        "m20261126_000009_idempotency_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for IdempotencyKeys {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeysTable::Table)
                    .col(uuid(IdempotencyKeysTable::OrganizationId))
                    .col(string(IdempotencyKeysTable::Key))
                    .col(string(IdempotencyKeysTable::RequestHash))
                    .col(uuid(IdempotencyKeysTable::ApplicationId))
                    .col(timestamp_with_time_zone(IdempotencyKeysTable::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeysTable::OrganizationId)
                            .col(IdempotencyKeysTable::Key),
                    )
                    .foreign_key(&mut foreign_key(
                        (
                            IdempotencyKeysTable::Table,
                            IdempotencyKeysTable::ApplicationId,
                        ),
                        (JobApplications::Table, JobApplications::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idempotency_keys_application")
                    .table(IdempotencyKeysTable::Table)
                    .col(IdempotencyKeysTable::ApplicationId)
                    .take(),
            )
            .await
    }
}
