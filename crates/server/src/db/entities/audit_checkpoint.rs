use sea_orm::entity::prelude::*;

/// The audit chain's head at one moment, signed with the audit key (HMAC-SHA256
/// over `seq` and `hash`), which is kept outside the database: whoever can
/// write to the database alone cannot rewrite the entries up to a checkpoint
/// without `audit verify` finding it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_checkpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// The hash of entry `seq`.
    pub hash: String,
    /// Hex HMAC-SHA256 of `seq` and `hash` under the audit key.
    pub mac: String,
    /// Which key signed it: the first 8 bytes of the key's SHA-256, in hex.
    pub key_id: String,
    pub signed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
