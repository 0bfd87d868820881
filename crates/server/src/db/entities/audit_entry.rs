use sea_orm::entity::prelude::*;

/// One entry of the hash-chained audit trail (`seq` 1, 2, 3, … with no holes).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    pub actor_organization: Option<Uuid>,
    pub action: String,
    pub application_id: Option<Uuid>,
    pub target: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
