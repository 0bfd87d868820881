//! Privacy and accountability: an organization's own retention period, the mark
//! an erased application keeps, and the hash-chained audit trail (its entries
//! and the one-row head every append updates, which serializes appends).

use sea_orm_migration::{prelude::*, schema::*};

use super::{JobApplications, Organizations};
use crate::db::audit::GENESIS;

#[derive(DeriveIden)]
enum AuditEntries {
    Table,
    Seq,
    At,
    ActorId,
    ActorRole,
    ActorOrganization,
    Action,
    ApplicationId,
    Target,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}

pub struct Accountability;

impl MigrationName for Accountability {
    fn name(&self) -> &str {
        "m20261126_000007_accountability"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Accountability {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(integer_null(Alias::new("retention_days")))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(JobApplications::Table)
                    .add_column(timestamp_with_time_zone_null(Alias::new("erased_at")))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEntries::Table)
                    .col(big_integer(AuditEntries::Seq).primary_key())
                    .col(timestamp_with_time_zone(AuditEntries::At))
                    .col(uuid_null(AuditEntries::ActorId))
                    .col(string(AuditEntries::ActorRole))
                    .col(uuid_null(AuditEntries::ActorOrganization))
                    .col(string(AuditEntries::Action))
                    .col(uuid_null(AuditEntries::ApplicationId))
                    .col(text(AuditEntries::Target))
                    .col(string(AuditEntries::PrevHash))
                    .col(string(AuditEntries::Hash))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_entries_application")
                    .table(AuditEntries::Table)
                    .col(AuditEntries::ApplicationId)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditHead::Table)
                    .col(integer(AuditHead::Id).primary_key())
                    .col(big_integer(AuditHead::Seq))
                    .col(string(AuditHead::Hash))
                    .take(),
            )
            .await?;
        let insert = Query::insert()
            .into_table(AuditHead::Table)
            .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
            .values([1.into(), 0i64.into(), GENESIS.into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .take();
        manager.exec_stmt(insert).await
    }
}
