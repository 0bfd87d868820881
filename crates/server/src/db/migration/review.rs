//! Review at scale: stored summaries keep which event kinds an interview had,
//! so a search by kind reads them instead of every interview. Stored summaries
//! are a cache: they are dropped, and computed again with their kinds when next
//! listed.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum IntegritySummaries {
    Table,
    Kinds,
}

pub struct SummaryKinds;

impl MigrationName for SummaryKinds {
    fn name(&self) -> &str {
        "m20261205_000003_summary_kinds"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SummaryKinds {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM integrity_summaries")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(IntegritySummaries::Table)
                    .add_column(big_integer(IntegritySummaries::Kinds).default(0))
                    .take(),
            )
            .await
    }
}
