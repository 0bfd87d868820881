use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    /// An argon2id PHC string; empty for a candidate a platform provisioned,
    /// who signs in through capture links only.
    pub password_hash: String,
    /// `candidate`, `recruiter` or `admin`.
    pub role: String,
    pub organization_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    /// The name a hiring platform gave when it provisioned the candidate.
    pub name: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
