use sea_orm::entity::prelude::*;

/// What face detection found on one camera image.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "face_analyses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub image_id: Uuid,
    pub application_id: Uuid,
    /// Faces found (0 when the image could not be analysed).
    pub faces: i32,
    /// JSON: `[{x, y, w, h, score}]`, fractions of the image.
    pub boxes: String,
    /// `analysed`; `unreadable` (the JPEG could not be decoded) or `too_small`
    /// (smaller than the smallest face looked for): not counted as no face.
    pub outcome: String,
    pub analysed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
