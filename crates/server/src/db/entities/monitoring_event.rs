use sea_orm::entity::prelude::*;

/// Something that happened during an interview: reported by the browser, or found by the server.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "monitoring_events")]
pub struct Model {
    /// The client's `eventId`: the same event sent twice is stored once. Unique
    /// within its application only: another application's candidate may pick
    /// the same id without touching this one.
    #[sea_orm(primary_key, auto_increment = false)]
    pub application_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub session_id: Option<Uuid>,
    pub kind: String,
    pub at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    /// A JSON object (counts, lengths, capture ids; never page content).
    pub detail: Option<String>,
    /// `browser` or `server`.
    pub source: String,
    pub recorded_at: DateTimeUtc,
    pub recorded_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
