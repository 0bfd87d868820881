use sea_orm::entity::prelude::*;

/// A single-use link that signs a candidate in for one application.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "capture_links")]
pub struct Model {
    /// SHA-256 of the link's token, hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub application_id: Uuid,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
