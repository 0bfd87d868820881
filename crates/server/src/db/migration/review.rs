//! Review at scale: stored summaries keep which event kinds an interview had,
//! so a search by kind reads them instead of every interview (stored summaries
//! are a cache: they are dropped, and computed again with their kinds when next
//! listed); and what the live view polls for, what was stored, recorded or
//! analysed since a moment, is found by an index, not a scan of every row.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum IntegritySummaries {
    Table,
    Kinds,
}

#[derive(DeriveIden)]
enum MonitoringImages {
    Table,
    StoredAt,
}

#[derive(DeriveIden)]
enum MonitoringEvents {
    Table,
    RecordedAt,
}

#[derive(DeriveIden)]
enum FaceAnalyses {
    Table,
    AnalysedAt,
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
            .await?;
        for (name, table, column) in [
            (
                "monitoring_images_stored",
                MonitoringImages::Table.into_iden(),
                MonitoringImages::StoredAt.into_iden(),
            ),
            (
                "monitoring_events_recorded",
                MonitoringEvents::Table.into_iden(),
                MonitoringEvents::RecordedAt.into_iden(),
            ),
            (
                "face_analyses_analysed",
                FaceAnalyses::Table.into_iden(),
                FaceAnalyses::AnalysedAt.into_iden(),
            ),
        ] {
            manager
                .create_index(Index::create().name(name).table(table).col(column).take())
                .await?;
        }
        Ok(())
    }
}
