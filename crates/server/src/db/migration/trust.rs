//! Tenancy in the key: an event's id is the client's choice, so it is unique
//! within its application only, and a verdict names the application and the
//! event it is about. Both tables are rebuilt with `(application_id, id)` as
//! their primary key (SQLite cannot change a primary key in place); their rows
//! are kept.

use sea_orm_migration::{prelude::*, schema::*};

use super::{foreign_key, FlagReviews, JobApplications, MonitoringEvents};

pub struct Tenancy;

impl MigrationName for Tenancy {
    fn name(&self) -> &str {
        "m20261204_000010_scoped_event_ids"
    }
}

/// The table a rebuild writes into before it takes the old one's name.
fn rebuilt(table: &str) -> Alias {
    Alias::new(format!("{table}_scoped"))
}

#[async_trait::async_trait]
impl MigrationTrait for Tenancy {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let to_application = |table: Alias, column: DynIden| {
            foreign_key(
                (table, column),
                (JobApplications::Table, JobApplications::Id),
                ForeignKeyAction::Restrict,
            )
        };
        let events = rebuilt("monitoring_events");
        manager
            .create_table(
                Table::create()
                    .table(events.clone())
                    .col(uuid(MonitoringEvents::Id))
                    .col(uuid(MonitoringEvents::ApplicationId))
                    .col(uuid_null(MonitoringEvents::SessionId))
                    .col(string(MonitoringEvents::Kind))
                    .col(timestamp_with_time_zone(MonitoringEvents::At))
                    .col(timestamp_with_time_zone_null(MonitoringEvents::EndedAt))
                    .col(text_null(MonitoringEvents::Detail))
                    .col(string(MonitoringEvents::Source))
                    .col(timestamp_with_time_zone(MonitoringEvents::RecordedAt))
                    .col(uuid_null(MonitoringEvents::RecordedBy))
                    .primary_key(
                        Index::create()
                            .col(MonitoringEvents::ApplicationId)
                            .col(MonitoringEvents::Id),
                    )
                    .foreign_key(&mut to_application(
                        events.clone(),
                        MonitoringEvents::ApplicationId.into_iden(),
                    ))
                    .take(),
            )
            .await?;
        copy_and_swap(
            manager,
            "monitoring_events",
            "id, application_id, session_id, kind, at, ended_at, detail, source, recorded_at, recorded_by",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("monitoring_events_application_time")
                    .table(MonitoringEvents::Table)
                    .col(MonitoringEvents::ApplicationId)
                    .col(MonitoringEvents::At)
                    .take(),
            )
            .await?;

        let reviews = rebuilt("flag_reviews");
        manager
            .create_table(
                Table::create()
                    .table(reviews.clone())
                    .col(uuid(FlagReviews::EventId))
                    .col(uuid(FlagReviews::ApplicationId))
                    .col(string(FlagReviews::Verdict))
                    .col(text(FlagReviews::Note))
                    .col(uuid(FlagReviews::ReviewedBy))
                    .col(timestamp_with_time_zone(FlagReviews::ReviewedAt))
                    .primary_key(
                        Index::create()
                            .col(FlagReviews::ApplicationId)
                            .col(FlagReviews::EventId),
                    )
                    .foreign_key(&mut to_application(
                        reviews.clone(),
                        FlagReviews::ApplicationId.into_iden(),
                    ))
                    .take(),
            )
            .await?;
        copy_and_swap(
            manager,
            "flag_reviews",
            "event_id, application_id, verdict, note, reviewed_by, reviewed_at",
        )
        .await
    }
}

/// Copies every row of `table` into its rebuilt table, drops the old one and
/// gives the new one its name (in the migration's transaction on PostgreSQL).
async fn copy_and_swap(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: &str,
) -> Result<(), DbErr> {
    let new = rebuilt(table);
    let new_name = format!("{table}_scoped");
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "INSERT INTO {new_name} ({columns}) SELECT {columns} FROM {table}"
        ))
        .await?;
    manager
        .drop_table(Table::drop().table(Alias::new(table)).take())
        .await?;
    manager
        .rename_table(Table::rename().table(new, Alias::new(table)).take())
        .await
}

#[derive(DeriveIden)]
enum Checkpoints {
    #[sea_orm(iden = "audit_checkpoints")]
    Table,
    Seq,
    Hash,
    Mac,
    KeyId,
    SignedAt,
}

/// Signed checkpoints of the audit chain's head.
pub struct AuditCheckpoints;

impl MigrationName for AuditCheckpoints {
    fn name(&self) -> &str {
        "m20261204_000011_audit_checkpoints"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AuditCheckpoints {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Checkpoints::Table)
                    .col(big_integer(Checkpoints::Seq).primary_key())
                    .col(string(Checkpoints::Hash))
                    .col(string(Checkpoints::Mac))
                    .col(string(Checkpoints::KeyId))
                    .col(timestamp_with_time_zone(Checkpoints::SignedAt))
                    .take(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum IntegritySummaries {
    Table,
    ApplicationId,
    Stamp,
    Level,
    UnreviewedFlags,
    ComputedAt,
}

/// Stored integrity summaries for the applications lists.
pub struct StoredSummaries;

impl MigrationName for StoredSummaries {
    fn name(&self) -> &str {
        "m20261204_000012_integrity_summaries"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for StoredSummaries {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IntegritySummaries::Table)
                    .col(pk_uuid(IntegritySummaries::ApplicationId))
                    .col(text(IntegritySummaries::Stamp))
                    .col(string(IntegritySummaries::Level))
                    .col(big_integer(IntegritySummaries::UnreviewedFlags))
                    .col(timestamp_with_time_zone(IntegritySummaries::ComputedAt))
                    .take(),
            )
            .await
    }
}
