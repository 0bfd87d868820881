//! Webhooks: endpoints per organization, the outbox of messages (written in
//! the transaction of what they announce) and each message's delivery to each
//! endpoint; the lifecycle milestone an application last announced; and
//! invitations (long-lived, revocable capture links).

use sea_orm_migration::{prelude::*, schema::*};

use super::{foreign_key, JobApplications, Organizations};

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    OrganizationId,
    Url,
    Events,
    Secret,
    PreviousSecret,
    PreviousUntil,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum WebhookMessages {
    Table,
    Id,
    OrganizationId,
    ApplicationId,
    Event,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    MessageId,
    EndpointId,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum CaptureLinks {
    Table,
    Invitation,
    RevokedAt,
}

pub struct Webhooks;

impl MigrationName for Webhooks {
    fn name(&self) -> &str {
        "m20261205_000002_webhooks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Webhooks {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(pk_uuid(WebhookEndpoints::Id))
                    .col(uuid(WebhookEndpoints::OrganizationId))
                    .col(text(WebhookEndpoints::Url))
                    .col(string(WebhookEndpoints::Events))
                    .col(string(WebhookEndpoints::Secret))
                    .col(string_null(WebhookEndpoints::PreviousSecret))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::PreviousUntil,
                    ))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::DeletedAt))
                    .foreign_key(&mut foreign_key(
                        (WebhookEndpoints::Table, WebhookEndpoints::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_endpoints_organization")
                    .table(WebhookEndpoints::Table)
                    .col(WebhookEndpoints::OrganizationId)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookMessages::Table)
                    .col(string(WebhookMessages::Id).primary_key())
                    .col(uuid(WebhookMessages::OrganizationId))
                    .col(uuid(WebhookMessages::ApplicationId))
                    .col(string(WebhookMessages::Event))
                    .col(text(WebhookMessages::Payload))
                    .col(timestamp_with_time_zone(WebhookMessages::CreatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_messages_application")
                    .table(WebhookMessages::Table)
                    .col(WebhookMessages::ApplicationId)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(string(WebhookDeliveries::MessageId))
                    .col(uuid(WebhookDeliveries::EndpointId))
                    .col(string(WebhookDeliveries::Status))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    // Epoch milliseconds; 0 when no instance holds it.
                    .col(big_integer(WebhookDeliveries::LeaseUntil).default(0))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .primary_key(
                        Index::create()
                            .col(WebhookDeliveries::MessageId)
                            .col(WebhookDeliveries::EndpointId),
                    )
                    .foreign_key(&mut foreign_key(
                        (WebhookDeliveries::Table, WebhookDeliveries::MessageId),
                        (WebhookMessages::Table, WebhookMessages::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        (WebhookDeliveries::Table, WebhookDeliveries::EndpointId),
                        (WebhookEndpoints::Table, WebhookEndpoints::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_endpoint")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(JobApplications::Table)
                    .add_column(string_null(Alias::new("announced")))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CaptureLinks::Table)
                    .add_column(boolean(CaptureLinks::Invitation).default(false))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CaptureLinks::Table)
                    .add_column(timestamp_with_time_zone_null(CaptureLinks::RevokedAt))
                    .take(),
            )
            .await
    }
}
