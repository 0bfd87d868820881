use sea_orm::entity::prelude::*;

/// A camera image waiting to be analysed for faces. Claimed by a worker until
/// `claimed_until` (epoch milliseconds; 0 when unclaimed); a worker that dies
/// leaves the claim to expire, and the job is taken again.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "face_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub image_id: Uuid,
    pub application_id: Uuid,
    pub attempts: i32,
    pub claimed_until: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
