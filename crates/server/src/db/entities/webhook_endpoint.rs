use sea_orm::entity::prelude::*;

/// Where an organization's webhooks go.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    /// The events sent to it, comma-separated.
    pub events: String,
    /// `whsec_...`: signs every message.
    pub secret: String,
    /// The secret before the last rotation: messages are signed with both until `previous_until`.
    pub previous_secret: Option<String>,
    pub previous_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// Deleted endpoints are kept for their delivery log and sent nothing.
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Entity {
    /// An organization's endpoints that are not deleted.
    pub fn find_live(organization: Uuid) -> Select<Entity> {
        Entity::find()
            .filter(Column::OrganizationId.eq(organization))
            .filter(Column::DeletedAt.is_null())
    }
}
