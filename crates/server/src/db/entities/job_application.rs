use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub candidate_id: Uuid,
    pub title: String,
    pub created_at: DateTimeUtc,
    /// Set when an admin erased it: its images, events and sessions are gone.
    pub erased_at: Option<DateTimeUtc>,
    /// Seconds between snapshots, when whoever created it chose (else the panel's default).
    pub camera_interval: Option<i32>,
    pub screen_interval: Option<i32>,
    /// Whether the camera and the screen are captured at all.
    pub camera_enabled: bool,
    pub screen_enabled: bool,
    /// The last lifecycle milestone its webhooks announced (`in_progress`,
    /// `ended`, `analysed`; `erased`): each is announced once.
    pub announced: Option<String>,
    /// When the candidate last listed the events of it (their flags seen).
    pub flags_seen_at: Option<DateTimeUtc>,
    /// The candidate shows an ID document to the camera first (an `id` photo).
    pub id_check: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
