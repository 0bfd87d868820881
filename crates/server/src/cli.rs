//! The command line (README, "Command line"): serve, migrate, and the operator's commands.

use std::io::Read;

use clap::{Parser, Subcommand};
use sea_orm::DatabaseConnection;
use shared::{OrganizationId, Role, UserId};

use crate::{
    accounts::password,
    db::{self, accounts as account_repo, applications as application_repo, PersistenceError},
    settings::Settings,
    telemetry::error_chain,
};

#[derive(Debug, Parser)]
#[command(
    name = "interview-monitor",
    version,
    about = "Interview monitoring: camera and screen snapshots, reviewed by recruiters."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server on BIND (default 127.0.0.1:3000).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Job applications.
    Application {
        #[command(subcommand)]
        command: ApplicationCommand,
    },
    /// Create a demo organization, users and application, and print how to sign in.
    Demo,
    /// Object storage.
    Storage {
        #[command(subcommand)]
        command: StorageCommand,
    },
    /// Retention (RETENTION_DAYS).
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// The hash-chained audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Evidence exports.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Service keys for hiring platforms (the integration API).
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// Webhook endpoints of organizations (as /api/integration/webhooks).
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register an endpoint for the organization; prints its id and secret (once).
    Add {
        #[arg(long)]
        org: String,
        #[arg(long)]
        url: String,
        /// Comma-separated events (default: every event).
        #[arg(long)]
        events: Option<String>,
    },
    /// Every endpoint: id, organization's events, URL.
    List,
    /// Delete the endpoint with this id.
    Delete { id: String },
    /// A new secret for the endpoint; prints it (once). The old one signs beside it for 24 hours.
    Rotate { id: String },
    /// The endpoint's latest deliveries: message, event, status, attempts, last error.
    Deliveries { id: String },
}

#[derive(Debug, Subcommand)]
pub enum ApikeyCommand {
    /// Create a key acting for the organization; prints the key, once.
    Create {
        #[arg(long)]
        org: String,
        /// A name to know (and revoke) it by: 1-63 of a-z, 0-9 and -.
        #[arg(long)]
        name: String,
    },
    /// Revoke the key with this name: it is refused from now on.
    Revoke {
        #[arg(long)]
        name: String,
    },
    /// Every key: name, organization, created, last used, revoked.
    List,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every entry's hash and link; exit 1 naming the first broken entry.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Check an export's files against its manifest; exit 1 naming the first that differs.
    Verify { file: std::path::PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Purge what is past retention now and print the counts; `--dry-run` only counts.
    Run {
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum StorageCommand {
    /// Report objects without rows and rows without objects; `--fix` removes them.
    Reconcile {
        #[arg(long)]
        fix: bool,
        /// Leave objects younger than this alone (an upload in flight has no row yet).
        #[arg(long, default_value_t = 900)]
        grace_secs: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization; prints its id.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// Keep this organization's images and events fewer days than RETENTION_DAYS.
        #[arg(long)]
        retention_days: Option<u32>,
    },
    /// How many days after an interview's last activity its candidate may
    /// respond to flags: 1 to 3650, or `off` (as long as the data is kept).
    Responses {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        days: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input. Prints the id.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
        /// The organization's slug (required for recruiters, optional for admins).
        #[arg(long)]
        org: Option<String>,
        /// Read the password from standard input (the only way to give one).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApplicationCommand {
    /// Create a job application for a candidate; prints its id.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        candidate: String,
        #[arg(long)]
        title: String,
    },
    /// Erase every image, event and session of an application (as the erase endpoint).
    Erase { id: String },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Invalid(String),
    #[error("unknown organization `{0}`")]
    UnknownOrganization(String),
    #[error("{0}")]
    Persistence(#[from] PersistenceError),
    #[error("{0}")]
    Password(#[from] password::PasswordError),
    #[error("cannot read the password from standard input: {0}")]
    Stdin(std::io::Error),
    #[error("cannot open object storage")]
    Storage(#[from] crate::storage::StorageError),
    #[error("reconciliation failed")]
    Reconcile(#[from] crate::monitoring::reconcile::ReconcileError),
    #[error("the retention purge failed")]
    Retention(#[from] crate::retention::RetentionError),
    #[error("the audit trail is broken at entry {0}: {1}")]
    ChainBroken(i64, String),
    #[error("the export does not verify: {0}")]
    Export(#[from] crate::export::VerifyError),
    #[error("{0}")]
    Refused(#[from] app::AppError),
    #[error("{0}")]
    BadInput(#[from] shared::input::Invalid),
}

impl CliError {
    /// One line for the terminal.
    pub fn one_line(&self) -> String {
        match self {
            CliError::Persistence(PersistenceError::Duplicate(what)) => {
                format!("{what} already exists")
            }
            other => error_chain(other),
        }
    }
}

fn valid_slug(slug: &str) -> Result<(), CliError> {
    crate::encoding::is_slug(slug)
        .then_some(())
        .ok_or_else(|| CliError::Invalid(format!("slug `{slug}` must be 1-63 of a-z, 0-9 and -")))
}

fn valid_email(email: &str) -> Result<String, CliError> {
    shared::user::valid_email(email).ok_or_else(|| {
        let shown: String = email.trim().chars().take(64).collect();
        CliError::Invalid(format!("`{shown}` is not an email address"))
    })
}

fn non_empty<'a>(what: &str, value: &'a str) -> Result<&'a str, CliError> {
    let value = value.trim();
    if value.is_empty() || value.len() > 200 {
        return Err(CliError::Invalid(format!(
            "{what} must be 1-200 characters"
        )));
    }
    Ok(value)
}

async fn organization_id(db: &DatabaseConnection, slug: &str) -> Result<OrganizationId, CliError> {
    account_repo::organization_by_slug(db, slug)
        .await?
        .map(|org| OrganizationId(org.id))
        .ok_or_else(|| CliError::UnknownOrganization(slug.to_string()))
}

pub async fn create_organization(
    db: &DatabaseConnection,
    slug: &str,
    name: &str,
) -> Result<OrganizationId, CliError> {
    create_organization_keeping(db, slug, name, None, None).await
}

/// As [`create_organization`], with the organization's own retention period
/// (`days`), which may only be shorter than the server's (`server_days`).
pub async fn create_organization_keeping(
    db: &DatabaseConnection,
    slug: &str,
    name: &str,
    days: Option<u32>,
    server_days: Option<u32>,
) -> Result<OrganizationId, CliError> {
    valid_slug(slug)?;
    if let Some(days) = days {
        let most = server_days.unwrap_or(crate::settings::MAX_RETENTION_DAYS);
        if !(1..=most).contains(&days) {
            return Err(CliError::Invalid(match server_days {
                Some(server) => format!("--retention-days must be 1 to {server} (an organization may keep data shorter than RETENTION_DAYS, not longer)"),
                None => format!("--retention-days must be 1 to {most}"),
            }));
        }
    }
    let org = account_repo::create_organization(db, slug, non_empty("name", name)?, days).await?;
    Ok(OrganizationId(org.id))
}

/// Sets how many days after an interview its candidate may respond to flags
/// (`off`: no limit); prints what is now in force.
pub async fn set_response_days(
    db: &DatabaseConnection,
    slug: &str,
    days: &str,
) -> Result<String, CliError> {
    let days = match days {
        "off" => None,
        text => Some(
            text.parse::<u32>()
                .ok()
                .filter(|days| (1..=3650).contains(days))
                .ok_or_else(|| {
                    let shown: String = text.chars().take(32).collect();
                    CliError::Invalid(format!("--days must be 1 to 3650 or `off`, not `{shown}`"))
                })?,
        ),
    };
    if !account_repo::set_response_days(db, slug, days).await? {
        let shown: String = slug.chars().take(64).collect();
        return Err(CliError::Invalid(format!("no organization `{shown}`")));
    }
    Ok(match days {
        Some(days) => format!("responses to flags open for {days} days after the interview"),
        None => "responses to flags open as long as the data is kept".into(),
    })
}

pub async fn create_user(
    db: &DatabaseConnection,
    email: &str,
    role: &str,
    org: Option<&str>,
    password: String,
) -> Result<UserId, CliError> {
    let role: Role = role
        .parse()
        .map_err(|e: shared::RoleError| CliError::Invalid(e.to_string()))?;
    let email = valid_email(email)?;
    let organization = match (role, org) {
        (Role::Recruiter, None) => return Err(CliError::Invalid("a recruiter needs --org".into())),
        (Role::Candidate, Some(_)) => {
            return Err(CliError::Invalid(
                "a candidate belongs to no organization; drop --org".into(),
            ))
        }
        (_, Some(slug)) => Some(organization_id(db, slug).await?),
        (_, None) => None,
    };
    if password.chars().count() < password::MIN_PASSWORD_CHARS {
        return Err(CliError::Invalid(format!(
            "the password must be at least {} characters",
            password::MIN_PASSWORD_CHARS
        )));
    }
    let hash = password::hash(password).await?;
    let user = account_repo::create_user(db, &email, hash, role, organization).await?;
    Ok(UserId(user.id))
}

pub async fn create_application(
    db: &DatabaseConnection,
    org: &str,
    candidate: &str,
    title: &str,
) -> Result<shared::ApplicationId, CliError> {
    let organization = organization_id(db, org).await?;
    let email = valid_email(candidate)?;
    let user = account_repo::user_by_email(db, &email)
        .await?
        .ok_or_else(|| CliError::Invalid(format!("unknown candidate `{email}`")))?;
    if user.role != Role::Candidate.as_str() {
        return Err(CliError::Invalid(format!(
            "`{email}` is a {}, not a candidate",
            user.role
        )));
    }
    let application = application_repo::create_application(
        db,
        organization,
        UserId(user.id),
        non_empty("title", title)?,
        shared::CaptureSettings::default(),
    )
    .await?;
    Ok(shared::ApplicationId(application.id))
}

/// A new service key for the organization: the line to print (the key itself).
pub async fn create_api_key(
    db: &DatabaseConnection,
    org: &str,
    name: &str,
) -> Result<String, CliError> {
    if !crate::encoding::is_slug(name) {
        return Err(CliError::Invalid(format!(
            "key name `{name}` must be 1-63 of a-z, 0-9 and -"
        )));
    }
    let organization = organization_id(db, org).await?;
    let (_, key) = crate::integration::keys::create(db, organization, name).await?;
    Ok(key)
}

/// Who the command line acts as in the services: an administrator.
fn operator() -> shared::CurrentUser {
    shared::CurrentUser {
        id: shared::UserId(uuid::Uuid::nil()),
        email: "the command line".into(),
        role: shared::Role::Admin,
        organization_id: None,
        only_application: None,
    }
}

async fn webhook(
    db: &DatabaseConnection,
    settings: &Settings,
    command: WebhookCommand,
) -> Result<String, CliError> {
    use app::services::Webhooks;
    let service = crate::webhooks::WebhookService {
        db: db.clone(),
        settings: settings.webhooks.clone(),
    };
    let operator = operator();
    let id = |text: &str| shared::input::integration::uuid("webhook id", text);
    Ok(match command {
        WebhookCommand::Add { org, url, events } => {
            let events = shared::input::integration::webhook_events(
                events.map(|list| list.split(',').map(str::to_string).collect()),
            )?;
            let made = service
                .register(&operator, &url, events, Some(&org))
                .await?;
            format!("{}\n{}", made.id, made.secret)
        }
        WebhookCommand::List => service
            .list(&operator)
            .await?
            .webhooks
            .into_iter()
            .map(|w| {
                let events: Vec<&str> = w.events.iter().map(|e| e.as_str()).collect();
                format!("{}\t{}\t{}", w.id, events.join(","), w.url)
            })
            .collect::<Vec<_>>()
            .join("\n"),
        WebhookCommand::Delete { id: text } => {
            service.delete(&operator, id(&text)?).await?;
            format!("deleted the endpoint {text}")
        }
        WebhookCommand::Rotate { id: text } => service.rotate(&operator, id(&text)?).await?.secret,
        WebhookCommand::Deliveries { id: text } => service
            .deliveries(&operator, id(&text)?)
            .await?
            .deliveries
            .into_iter()
            .map(|d| {
                format!(
                    "{}\t{}\t{}\t{}\t{}",
                    d.message_id,
                    d.event,
                    d.status.as_str(),
                    d.attempts,
                    d.last_error.unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

async fn revoke_api_key(db: &DatabaseConnection, name: &str) -> Result<String, CliError> {
    if crate::db::integration::revoke_key(db, name, chrono::Utc::now()).await? {
        Ok(format!("revoked the key `{name}`"))
    } else {
        Err(CliError::Invalid(format!(
            "there is no live key named `{name}`"
        )))
    }
}

async fn list_api_keys(db: &DatabaseConnection) -> Result<String, CliError> {
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|at| shared::monitoring::millis::format(&at))
            .unwrap_or_else(|| "-".into())
    };
    let mut lines = vec!["name\torganization\tcreated\tlast used\trevoked".to_string()];
    for (key, slug) in crate::db::integration::keys(db).await? {
        lines.push(format!(
            "{}\t{slug}\t{}\t{}\t{}",
            key.name,
            when(Some(key.created_at)),
            when(key.last_used_at),
            when(key.revoked_at)
        ));
    }
    Ok(lines.join("\n"))
}

pub const DEMO_ORG: &str = "demo";

/// Creates the demo data and returns what to print.
pub async fn demo(db: &DatabaseConnection) -> Result<String, CliError> {
    if account_repo::organization_by_slug(db, DEMO_ORG)
        .await?
        .is_some()
    {
        return Err(CliError::Invalid(format!(
            "the demo data already exists (organization `{DEMO_ORG}`)"
        )));
    }
    create_organization(db, DEMO_ORG, "Demo Hiring Co.").await?;
    let mut lines = vec!["Demo data created. Sign in with:".to_string()];
    for (role, email, org) in [
        ("recruiter", "recruiter@demo.test", Some(DEMO_ORG)),
        ("candidate", "candidate@demo.test", None),
        ("admin", "admin@demo.test", None),
    ] {
        let password = crate::encoding::random_token::<12>();
        create_user(db, email, role, org, password.clone()).await?;
        lines.push(format!("  {role:<10} {email:<22} password: {password}"));
    }
    let title = "Senior Rust Engineer";
    let id = create_application(db, DEMO_ORG, "candidate@demo.test", title).await?;
    lines.push(format!(
        "Application \"{title}\" for candidate@demo.test: {id}"
    ));
    Ok(lines.join("\n"))
}

async fn reconcile(
    db: &DatabaseConnection,
    settings: &Settings,
    fix: bool,
    grace: std::time::Duration,
) -> Result<String, CliError> {
    let (store, _) = crate::storage::from_settings(settings).await?;
    let report = crate::monitoring::reconcile::reconcile(db, store.as_ref(), fix, grace).await?;
    let verb = if fix { "removed" } else { "found" };
    let mut lines = Vec::new();
    for key in &report.unrecorded_objects {
        lines.push(format!("object without a row ({verb}): {key}"));
    }
    for key in &report.rows_without_objects {
        lines.push(format!("row without an object ({verb}): {key}"));
    }
    for key in &report.abandoned_reservations {
        lines.push(format!(
            "reservation of an upload that never stored its object ({verb}): {key}"
        ));
    }
    for key in &report.unfinished_uploads {
        lines.push(format!(
            "stored object of an unfinished upload ({}): {key}",
            if fix { "completed" } else { "found" }
        ));
    }
    for key in &report.foreign_objects {
        lines.push(format!("not an image key (left alone): {key}"));
    }
    let damaged = crate::monitoring::reconcile::damaged(db, store.as_ref()).await?;
    for key in &damaged {
        lines.push(format!(
            "object that differs from its recorded SHA-256 (left for you to look at): {key}"
        ));
    }
    lines.push(format!(
        "{} objects without rows, {} rows without objects, {} abandoned reservations {verb}; {} damaged objects",
        report.unrecorded_objects.len(),
        report.rows_without_objects.len(),
        report.abandoned_reservations.len(),
        damaged.len()
    ));
    Ok(lines.join("\n"))
}

async fn retention_run(
    db: &DatabaseConnection,
    settings: &Settings,
    dry_run: bool,
) -> Result<String, CliError> {
    let periods = settings.retention();
    let (store, _) = crate::storage::from_settings(settings).await?;
    let holder = format!("cli-{}", uuid::Uuid::new_v4());
    // Always: ID photos have their own period, and erasures that stopped
    // half-way are finished.
    let report = crate::retention::purge(
        db,
        store.as_ref(),
        periods,
        chrono::Utc::now(),
        dry_run,
        &holder,
    )
    .await?;
    if !crate::retention::applies(db, periods.all).await? {
        let verb = if dry_run { "would remove" } else { "removed" };
        return Ok(format!(
            "RETENTION_DAYS is off and no organization has a period of its own: images are kept until deleted; {verb} {} past their period",
            crate::retention::counted(report.id_photos, "ID photo")
        ));
    }
    Ok(report.describe(dry_run, periods.all))
}

async fn erase(db: &DatabaseConnection, settings: &Settings, id: &str) -> Result<String, CliError> {
    let application = id
        .parse::<uuid::Uuid>()
        .map_err(|_| CliError::Invalid(format!("`{id}` is not an application id")))?;
    let (store, _) = crate::storage::from_settings(settings).await?;
    let removed = crate::accountability::erase(
        db,
        store.as_ref(),
        crate::db::audit::Actor::operator(),
        application,
    )
    .await?
    .ok_or_else(|| CliError::Invalid(format!("no application {application}")))?;
    Ok(format!("erased {}", removed.describe()))
}

/// Verifies the chain and its signed checkpoints; when it is intact, signs its
/// head, so that what was verified stays provable.
async fn audit_verify(db: &DatabaseConnection, settings: &Settings) -> Result<String, CliError> {
    let key =
        crate::keys::audit_key(settings).map_err(|error| CliError::Invalid(error.to_string()))?;
    match crate::db::audit::verify(db, &key).await? {
        Ok(intact) => {
            crate::db::audit::sign(db, &key, intact.entries, &intact.head, chrono::Utc::now())
                .await?;
            let plural = |n: i64, one: &'static str, many: &'static str| {
                if n == 1 {
                    one
                } else {
                    many
                }
            };
            Ok(format!(
                "the audit trail is intact: {} {}, head {}; {} signed {} checked{}",
                intact.entries,
                plural(intact.entries, "entry", "entries"),
                intact.head,
                intact.checkpoints,
                plural(intact.checkpoints as i64, "checkpoint", "checkpoints"),
                intact
                    .last_checkpoint
                    .map(|seq| format!(" (the last at entry {seq})"))
                    .unwrap_or_default()
            ))
        }
        Err(broken) => Err(CliError::ChainBroken(broken.seq, broken.reason)),
    }
}

/// Runs a command other than `serve`; returns what to print on success.
pub async fn execute(command: Command, settings: &Settings) -> Result<String, CliError> {
    // Checking a zip needs nothing of the server's.
    if let Command::Export {
        command: ExportCommand::Verify { file },
    } = &command
    {
        return Ok(crate::export::verify(file)?);
    }
    let db = db::connect_and_migrate(settings.database_url.expose()).await?;
    let output = match command {
        Command::Serve => unreachable!("serve is handled by main"),
        Command::Migrate => "the database is up to date".to_string(),
        Command::Org {
            command:
                OrgCommand::Create {
                    slug,
                    name,
                    retention_days,
                },
        } => {
            create_organization_keeping(&db, &slug, &name, retention_days, settings.retention_days)
                .await?
                .to_string()
        }
        Command::Org {
            command: OrgCommand::Responses { slug, days },
        } => set_response_days(&db, &slug, &days).await?,
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    role,
                    org,
                    password_stdin,
                },
        } => {
            if !password_stdin {
                return Err(CliError::Invalid(
                    "give the password on standard input with --password-stdin".into(),
                ));
            }
            let mut input = String::new();
            std::io::stdin()
                .take(4096)
                .read_to_string(&mut input)
                .map_err(CliError::Stdin)?;
            let password = input.lines().next().unwrap_or_default().to_string();
            create_user(&db, &email, &role, org.as_deref(), password)
                .await?
                .to_string()
        }
        Command::Application {
            command:
                ApplicationCommand::Create {
                    org,
                    candidate,
                    title,
                },
        } => create_application(&db, &org, &candidate, &title)
            .await?
            .to_string(),
        Command::Application {
            command: ApplicationCommand::Erase { id },
        } => erase(&db, settings, &id).await?,
        Command::Audit {
            command: AuditCommand::Verify,
        } => audit_verify(&db, settings).await?,
        Command::Export { .. } => unreachable!("handled before connecting"),
        Command::Apikey {
            command: ApikeyCommand::Create { org, name },
        } => create_api_key(&db, &org, &name).await?,
        Command::Apikey {
            command: ApikeyCommand::Revoke { name },
        } => revoke_api_key(&db, &name).await?,
        Command::Apikey {
            command: ApikeyCommand::List,
        } => list_api_keys(&db).await?,
        Command::Webhook { command } => webhook(&db, settings, command).await?,
        Command::Demo => demo(&db).await?,
        Command::Retention {
            command: RetentionCommand::Run { dry_run },
        } => retention_run(&db, settings, dry_run).await?,
        Command::Storage {
            command: StorageCommand::Reconcile { fix, grace_secs },
        } => {
            reconcile(
                &db,
                settings,
                fix,
                std::time::Duration::from_secs(grace_secs),
            )
            .await?
        }
    };
    db.close().await.ok();
    Ok(output)
}
