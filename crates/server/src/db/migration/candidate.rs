//! The candidate's side: a response to each flag raised about them; when the
//! candidate last saw their flags (a verdict given before that is marked); an
//! organization's window for responses after the interview; consent's
//! language; whether an application asks for an ID photo.

use sea_orm_migration::{prelude::*, schema::*};

use super::{foreign_key, FlagReviews, JobApplications, Organizations};

#[derive(DeriveIden)]
enum FlagResponses {
    Table,
    ApplicationId,
    EventId,
    Text,
    RespondedBy,
    RespondedAt,
}

#[derive(DeriveIden)]
enum Added {
    /// `flag_reviews`: the verdict came before the candidate had seen the flag.
    BeforeCandidateSaw,
    /// `job_applications`: when the candidate last listed their events.
    FlagsSeenAt,
    /// `organizations`: days after the interview that responses stay open.
    ResponseDays,
    /// `job_applications`: the candidate shows an ID document first.
    IdCheck,
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    ApplicationId,
    UserId,
    ConsentVersion,
    Language,
}

/// Consent records the language of the text agreed to: one consent per
/// application, candidate, text version and language (English before).
pub struct ConsentLanguage;

impl MigrationName for ConsentLanguage {
    fn name(&self) -> &str {
        "m20261206_000002_consent_language"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ConsentLanguage {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Consents::Table)
                    .add_column(string(Consents::Language).default("en"))
                    .take(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("consents_application_user_version")
                    .table(Consents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("consents_application_user_version_language")
                    .table(Consents::Table)
                    .col(Consents::ApplicationId)
                    .col(Consents::UserId)
                    .col(Consents::ConsentVersion)
                    .col(Consents::Language)
                    .unique()
                    .take(),
            )
            .await
    }
}

pub struct FlagResponsesMigration;

impl MigrationName for FlagResponsesMigration {
    fn name(&self) -> &str {
        "m20261206_000001_flag_responses"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for FlagResponsesMigration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FlagResponses::Table)
                    .col(uuid(FlagResponses::ApplicationId))
                    .col(uuid(FlagResponses::EventId))
                    .col(text(FlagResponses::Text))
                    .col(uuid(FlagResponses::RespondedBy))
                    .col(timestamp_with_time_zone(FlagResponses::RespondedAt))
                    .primary_key(
                        Index::create()
                            .col(FlagResponses::ApplicationId)
                            .col(FlagResponses::EventId),
                    )
                    .foreign_key(&mut foreign_key(
                        (FlagResponses::Table, FlagResponses::ApplicationId),
                        (JobApplications::Table, JobApplications::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(FlagReviews::Table)
                    .add_column(boolean(Added::BeforeCandidateSaw).default(false))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(JobApplications::Table)
                    .add_column(timestamp_with_time_zone_null(Added::FlagsSeenAt))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(integer_null(Added::ResponseDays))
                    .take(),
            )
            .await
    }
}

/// An application may ask for an ID photo before monitoring starts (none did before).
pub struct IdCheck;

impl MigrationName for IdCheck {
    fn name(&self) -> &str {
        "m20261206_000003_id_check"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for IdCheck {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(JobApplications::Table)
                    .add_column(boolean(Added::IdCheck).default(false))
                    .take(),
            )
            .await
    }
}
