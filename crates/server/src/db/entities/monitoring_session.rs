use sea_orm::entity::prelude::*;

/// One start of the monitoring panel: the intervals it used, the browser it
/// ran in, and when it was ended.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "monitoring_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub application_id: Uuid,
    pub user_id: Uuid,
    pub started_at: DateTimeUtc,
    pub camera_interval: i32,
    pub screen_interval: i32,
    pub user_agent: String,
    /// When the panel ended it (`session/end`); `None` while open.
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
