use sea_orm::entity::prelude::*;

/// A reviewer's verdict on one flagged event of one application (stored or
/// computed: a capture gap's id is derived from the gap), the latest one kept.
/// Keyed by both: a verdict can only ever touch the event of the application it names.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flag_reviews")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub application_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    /// `ok` or `concern`.
    pub verdict: String,
    pub note: String,
    pub reviewed_by: Uuid,
    pub reviewed_at: DateTimeUtc,
    /// Given before the candidate had seen the flag on their application page.
    pub before_candidate_saw: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
