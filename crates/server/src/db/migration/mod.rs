//! The schema, as sea-orm-migration migrations run at every start.

mod accountability;
mod candidate;
mod captures;
mod integration;
mod lifecycle;
mod review;
mod trust;
mod webhooks;

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all: Vec<Box<dyn MigrationTrait>> = vec![
            Box::new(CreateTables),
            Box::new(CaptureReservations),
            Box::new(RateCounters),
            Box::new(IntegritySignals),
            Box::new(FacePresence),
            Box::new(Leases),
            Box::new(accountability::Accountability),
            Box::new(integration::Integration),
            Box::new(integration::IdempotencyKeys),
            Box::new(trust::Tenancy),
            Box::new(trust::AuditCheckpoints),
            Box::new(trust::StoredSummaries),
            Box::new(lifecycle::SessionEnds),
            Box::new(webhooks::Webhooks),
        ];
        all.extend(captures::migrations());
        all.push(Box::new(review::SummaryKinds));
        all.push(Box::new(candidate::FlagResponsesMigration));
        all.push(Box::new(candidate::ConsentLanguage));
        all.push(Box::new(candidate::IdCheck));
        all
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    Role,
    OrganizationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
    UserId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    Subject,
    FailedAt,
}

#[derive(DeriveIden)]
enum JobApplications {
    Table,
    Id,
    OrganizationId,
    CandidateId,
    Title,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MonitoringImages {
    Table,
    Id,
    ApplicationId,
    Kind,
    ObjectKey,
    CapturedAt,
    StoredAt,
    SizeBytes,
    Sha256,
    UploadedBy,
    Pending,
}

struct CreateTables;

impl MigrationName for CreateTables {
    fn name(&self) -> &str {
        "m20261125_000001_create_tables"
    }
}

fn foreign_key(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(pk_uuid(Organizations::Id))
                    .col(string_uniq(Organizations::Slug))
                    .col(string(Organizations::Name))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(string_uniq(Users::Email))
                    .col(string(Users::PasswordHash))
                    .col(string(Users::Role))
                    .col(uuid_null(Users::OrganizationId))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        (Users::Table, Users::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string(Sessions::TokenHash).primary_key())
                    .col(uuid(Sessions::UserId))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .foreign_key(&mut foreign_key(
                        (Sessions::Table, Sessions::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sessions_expires_at")
                    .table(Sessions::Table)
                    .col(Sessions::ExpiresAt)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .col(pk_uuid(LoginFailures::Id))
                    .col(string(LoginFailures::Subject))
                    .col(timestamp_with_time_zone(LoginFailures::FailedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("login_failures_subject_time")
                    .table(LoginFailures::Table)
                    .col(LoginFailures::Subject)
                    .col(LoginFailures::FailedAt)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobApplications::Table)
                    .col(pk_uuid(JobApplications::Id))
                    .col(uuid(JobApplications::OrganizationId))
                    .col(uuid(JobApplications::CandidateId))
                    .col(string(JobApplications::Title))
                    .col(timestamp_with_time_zone(JobApplications::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        (JobApplications::Table, JobApplications::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut foreign_key(
                        (JobApplications::Table, JobApplications::CandidateId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("job_applications_org")
                    .table(JobApplications::Table)
                    .col(JobApplications::OrganizationId)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("job_applications_candidate")
                    .table(JobApplications::Table)
                    .col(JobApplications::CandidateId)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MonitoringImages::Table)
                    .col(pk_uuid(MonitoringImages::Id))
                    .col(uuid(MonitoringImages::ApplicationId))
                    .col(string(MonitoringImages::Kind))
                    .col(string_uniq(MonitoringImages::ObjectKey))
                    .col(timestamp_with_time_zone(MonitoringImages::CapturedAt))
                    .col(timestamp_with_time_zone(MonitoringImages::StoredAt))
                    .col(big_integer(MonitoringImages::SizeBytes))
                    .col(string(MonitoringImages::Sha256))
                    .col(uuid(MonitoringImages::UploadedBy))
                    .foreign_key(&mut foreign_key(
                        (MonitoringImages::Table, MonitoringImages::ApplicationId),
                        (JobApplications::Table, JobApplications::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut foreign_key(
                        (MonitoringImages::Table, MonitoringImages::UploadedBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("monitoring_images_application_kind_time")
                    .table(MonitoringImages::Table)
                    .col(MonitoringImages::ApplicationId)
                    .col(MonitoringImages::Kind)
                    .col(MonitoringImages::CapturedAt)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("monitoring_images_uploader_time")
                    .table(MonitoringImages::Table)
                    .col(MonitoringImages::UploadedBy)
                    .col(MonitoringImages::StoredAt)
                    .take(),
            )
            .await?;
        Ok(())
    }
}

/// `pending`: an upload reserves its image row before the object is stored and
/// completes it after, so copies of one capture sent at once store it once.
struct CaptureReservations;

impl MigrationName for CaptureReservations {
    fn name(&self) -> &str {
        "m20261125_000002_capture_reservations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CaptureReservations {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MonitoringImages::Table)
                    .add_column(boolean(MonitoringImages::Pending).default(false))
                    .take(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum RateCountersTable {
    #[sea_orm(iden = "rate_counters")]
    Table,
    Subject,
    WindowStart,
    Count,
}

/// `rate_counters` replaces `login_failures`: throttles count with one atomic
/// statement per request (see `db::counters`).
struct RateCounters;

impl MigrationName for RateCounters {
    fn name(&self) -> &str {
        "m20261125_000003_rate_counters"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for RateCounters {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateCountersTable::Table)
                    .col(string(RateCountersTable::Subject).primary_key())
                    .col(big_integer(RateCountersTable::WindowStart))
                    .col(big_integer(RateCountersTable::Count))
                    .take(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(LoginFailures::Table).take())
            .await
    }
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    Id,
    ApplicationId,
    UserId,
    ConsentVersion,
    ConsentedAt,
}

#[derive(DeriveIden)]
pub(super) enum MonitoringSessions {
    Table,
    Id,
    ApplicationId,
    UserId,
    StartedAt,
    CameraInterval,
    ScreenInterval,
    UserAgent,
    EndedAt,
}

#[derive(DeriveIden)]
pub(super) enum MonitoringEvents {
    Table,
    Id,
    ApplicationId,
    SessionId,
    Kind,
    At,
    EndedAt,
    Detail,
    Source,
    RecordedAt,
    RecordedBy,
}

#[derive(DeriveIden)]
pub(super) enum FlagReviews {
    Table,
    EventId,
    ApplicationId,
    Verdict,
    Note,
    ReviewedBy,
    ReviewedAt,
}

/// Consent, monitoring sessions, events and reviewers' verdicts on flags.
struct IntegritySignals;

impl MigrationName for IntegritySignals {
    fn name(&self) -> &str {
        "m20261125_000004_integrity_signals"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for IntegritySignals {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let to_application = |table: &dyn Fn() -> DynIden, column: DynIden| {
            foreign_key(
                (table(), column),
                (JobApplications::Table, JobApplications::Id),
                ForeignKeyAction::Restrict,
            )
        };
        manager
            .create_table(
                Table::create()
                    .table(Consents::Table)
                    .col(pk_uuid(Consents::Id))
                    .col(uuid(Consents::ApplicationId))
                    .col(uuid(Consents::UserId))
                    .col(string(Consents::ConsentVersion))
                    .col(timestamp_with_time_zone(Consents::ConsentedAt))
                    .foreign_key(&mut to_application(
                        &|| Consents::Table.into_iden(),
                        Consents::ApplicationId.into_iden(),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Consents::Table, Consents::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("consents_application_user_version")
                    .table(Consents::Table)
                    .col(Consents::ApplicationId)
                    .col(Consents::UserId)
                    .col(Consents::ConsentVersion)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MonitoringSessions::Table)
                    .col(pk_uuid(MonitoringSessions::Id))
                    .col(uuid(MonitoringSessions::ApplicationId))
                    .col(uuid(MonitoringSessions::UserId))
                    .col(timestamp_with_time_zone(MonitoringSessions::StartedAt))
                    .col(integer(MonitoringSessions::CameraInterval))
                    .col(integer(MonitoringSessions::ScreenInterval))
                    .col(string(MonitoringSessions::UserAgent))
                    .foreign_key(&mut to_application(
                        &|| MonitoringSessions::Table.into_iden(),
                        MonitoringSessions::ApplicationId.into_iden(),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("monitoring_sessions_application_time")
                    .table(MonitoringSessions::Table)
                    .col(MonitoringSessions::ApplicationId)
                    .col(MonitoringSessions::StartedAt)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MonitoringEvents::Table)
                    .col(pk_uuid(MonitoringEvents::Id))
                    .col(uuid(MonitoringEvents::ApplicationId))
                    .col(uuid_null(MonitoringEvents::SessionId))
                    .col(string(MonitoringEvents::Kind))
                    .col(timestamp_with_time_zone(MonitoringEvents::At))
                    .col(timestamp_with_time_zone_null(MonitoringEvents::EndedAt))
                    .col(text_null(MonitoringEvents::Detail))
                    .col(string(MonitoringEvents::Source))
                    .col(timestamp_with_time_zone(MonitoringEvents::RecordedAt))
                    .col(uuid_null(MonitoringEvents::RecordedBy))
                    .foreign_key(&mut to_application(
                        &|| MonitoringEvents::Table.into_iden(),
                        MonitoringEvents::ApplicationId.into_iden(),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("monitoring_events_application_time")
                    .table(MonitoringEvents::Table)
                    .col(MonitoringEvents::ApplicationId)
                    .col(MonitoringEvents::At)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FlagReviews::Table)
                    .col(pk_uuid(FlagReviews::EventId))
                    .col(uuid(FlagReviews::ApplicationId))
                    .col(string(FlagReviews::Verdict))
                    .col(text(FlagReviews::Note))
                    .col(uuid(FlagReviews::ReviewedBy))
                    .col(timestamp_with_time_zone(FlagReviews::ReviewedAt))
                    .foreign_key(&mut to_application(
                        &|| FlagReviews::Table.into_iden(),
                        FlagReviews::ApplicationId.into_iden(),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("flag_reviews_application")
                    .table(FlagReviews::Table)
                    .col(FlagReviews::ApplicationId)
                    .take(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum FaceJobs {
    Table,
    ImageId,
    ApplicationId,
    Attempts,
    ClaimedUntil,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FaceAnalyses {
    Table,
    ImageId,
    ApplicationId,
    Faces,
    Boxes,
    Outcome,
    AnalysedAt,
}

/// Face presence: a job per camera image to analyse, and the analyses.
struct FacePresence;

impl MigrationName for FacePresence {
    fn name(&self) -> &str {
        "m20261125_000005_face_presence"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for FacePresence {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FaceJobs::Table)
                    .col(pk_uuid(FaceJobs::ImageId))
                    .col(uuid(FaceJobs::ApplicationId))
                    .col(integer(FaceJobs::Attempts).default(0))
                    .col(big_integer(FaceJobs::ClaimedUntil).default(0))
                    .col(timestamp_with_time_zone(FaceJobs::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        (FaceJobs::Table, FaceJobs::ImageId),
                        (MonitoringImages::Table, MonitoringImages::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("face_jobs_created")
                    .table(FaceJobs::Table)
                    .col(FaceJobs::CreatedAt)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FaceAnalyses::Table)
                    .col(pk_uuid(FaceAnalyses::ImageId))
                    .col(uuid(FaceAnalyses::ApplicationId))
                    .col(integer(FaceAnalyses::Faces))
                    .col(text(FaceAnalyses::Boxes))
                    .col(string(FaceAnalyses::Outcome))
                    .col(timestamp_with_time_zone(FaceAnalyses::AnalysedAt))
                    .foreign_key(&mut foreign_key(
                        (FaceAnalyses::Table, FaceAnalyses::ImageId),
                        (MonitoringImages::Table, MonitoringImages::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("face_analyses_application")
                    .table(FaceAnalyses::Table)
                    .col(FaceAnalyses::ApplicationId)
                    .take(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum LeasesTable {
    #[sea_orm(iden = "leases")]
    Table,
    Name,
    Holder,
    Until,
}

/// `leases`: work only one instance may do at a time (the retention purge)
/// takes a named lease for a while (`until`, epoch milliseconds).
struct Leases;

impl MigrationName for Leases {
    fn name(&self) -> &str {
        "m20261126_000006_leases"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Leases {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LeasesTable::Table)
                    .col(string(LeasesTable::Name).primary_key())
                    .col(string(LeasesTable::Holder))
                    .col(big_integer(LeasesTable::Until))
                    .take(),
            )
            .await
    }
}
