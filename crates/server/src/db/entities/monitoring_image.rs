use sea_orm::entity::prelude::*;

/// One snapshot. Reserved (`pending`) before its object is stored and completed
/// after; only completed rows are images anyone sees.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "monitoring_images")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub application_id: Uuid,
    /// `camera` or `screen`.
    pub kind: String,
    #[sea_orm(unique)]
    pub object_key: String,
    pub captured_at: DateTimeUtc,
    pub stored_at: DateTimeUtc,
    pub size_bytes: i64,
    /// SHA-256 of the JPEG bytes, hex.
    pub sha256: String,
    pub uploaded_by: Uuid,
    /// Reserved by an upload whose object is not stored yet.
    pub pending: bool,
    /// The camera's or the shared screen's name, as the browser gave it.
    pub device_label: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
