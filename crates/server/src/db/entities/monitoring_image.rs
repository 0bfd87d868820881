use sea_orm::entity::prelude::*;

/// One stored snapshot; written only after its object is stored.
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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
