//! An interview's lifecycle: its sessions end (the panel's `end()`, `POST
//! /api/monitoring/session/end`, records when), and stored summaries count
//! their flags (an interview whose flags all have verdicts is `reviewed`).
//! Stored summaries are a cache: they are dropped, and computed again with
//! their flags when next listed.

use sea_orm_migration::{prelude::*, schema::*};

use super::MonitoringSessions;

#[derive(DeriveIden)]
enum IntegritySummaries {
    Table,
    Flags,
}

pub struct SessionEnds;

impl MigrationName for SessionEnds {
    fn name(&self) -> &str {
        "m20261205_000001_session_ends"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SessionEnds {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MonitoringSessions::Table)
                    .add_column(timestamp_with_time_zone_null(MonitoringSessions::EndedAt))
                    .take(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM integrity_summaries")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(IntegritySummaries::Table)
                    .add_column(big_integer(IntegritySummaries::Flags).default(0))
                    .take(),
            )
            .await
    }
}
