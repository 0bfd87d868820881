//! An interview's sessions end: the panel's `end()` (`POST
//! /api/monitoring/session/end`) records when.

use sea_orm_migration::{prelude::*, schema::*};

use super::MonitoringSessions;

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
            .await
    }
}
