//! Columns the capture record (`shared::capture::CaptureMeta`) gains, one
//! migration each, in the order they came: a new fact about a capture is
//! added here, so the record's path from the browser to the database stays in
//! the files that hold the record.

use sea_orm_migration::{prelude::*, schema::*};

/// This module's migrations, oldest first (run after every other).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(DeviceLabels)]
}

#[derive(DeriveIden)]
enum MonitoringImages {
    Table,
    DeviceLabel,
}

/// The device a capture came from (`deviceLabel`).
struct DeviceLabels;

impl MigrationName for DeviceLabels {
    fn name(&self) -> &str {
        "m20261205_000002_device_labels"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for DeviceLabels {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MonitoringImages::Table)
                    .add_column(string_null(MonitoringImages::DeviceLabel))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MonitoringImages::Table)
                    .drop_column(MonitoringImages::DeviceLabel)
                    .to_owned(),
            )
            .await
    }
}
