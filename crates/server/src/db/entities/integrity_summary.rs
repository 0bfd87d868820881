use sea_orm::entity::prelude::*;

/// An application's integrity summary as lists show it, stored with the stamp
/// of what it was computed from: a list recomputes only those whose stamp moved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "integrity_summaries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub application_id: Uuid,
    /// Counts and latest times of the application's images, events (and how
    /// many ended), sessions, verdicts and face analyses.
    pub stamp: String,
    /// `none`, `some` or `major`.
    pub level: String,
    /// Flags raised, and of them those without a verdict.
    pub flags: i64,
    pub unreviewed_flags: i64,
    /// The event kinds the interview had, one bit each (`Listed::kinds`).
    pub kinds: i64,
    pub computed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
