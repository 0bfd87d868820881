use sea_orm::entity::prelude::*;

/// The candidate's response to one flag of their application (stored or
/// computed: a face run's or a capture gap's id is derived from it), the
/// latest text kept. Keyed like a verdict, by the application and the event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flag_responses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub application_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    pub text: String,
    pub responded_by: Uuid,
    /// When it was last written.
    pub responded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
