//! The access policy (README, "Access"), in one place. Code gets a
//! [`Permitted<P>`] application only from here, for one permission `P` (a type
//! in [`to`]), and the repository functions that read or change an
//! application take the handle of the permission they need: reading images
//! takes `&Permitted<to::View>`, storing one `&Permitted<to::Capture>`. A query
//! made for a user on an application nobody checked, or checked for something
//! else, does not compile (the listing's batch reads take ids its scope,
//! [`listing`], already limited; signed URLs and the retention purge answer to
//! their own authority). The organization-wide rules (what a listing shows,
//! who provisions, who manages keys and webhooks, who reads the whole trail,
//! who reads verdicts) are the functions at the end.
//!
//! | action | candidate | recruiter | admin | service key |
//! |---|---|---|---|---|
//! | upload (start and end sessions) | own applications | own organization's | any | never |
//! | capture (images, events) | own, once consented | own organization's | any | never |
//! | consent | own applications | never | never | never |
//! | view (list, signed URLs, events, trail) | own applications | own organization's | any | own organization's |
//! | delete | never | own organization's | any | never |
//! | review (verdicts on flags) | never | own organization's | any | never |
//! | export (evidence zip) | never | own organization's | any | own organization's |
//! | erase | never | never | any | never |
//! | invite (capture links, invitations) | never | own organization's | any | own organization's |
//! | respond (to flags, within the organization's window) | own applications | never | never | never |
//!
//! A session a capture link opened reaches its one application only. An erased
//! application takes nothing new (captures, sessions, consent, links: 409).

use std::marker::PhantomData;

use app::AppError;
use sea_orm::DatabaseConnection;
use shared::{ApplicationId, CurrentUser, OrganizationId, Role, UserId};

use crate::db::{
    applications::{self as repo, Scope},
    entities::job_application,
};

/// Declares each action once: the [`Action`] enum (for tables, messages and
/// tests) and, in [`to`], the permission type a [`Permitted`] handle carries
/// for it.
macro_rules! actions {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// Every action on one application.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Action {
            $($(#[$doc])* $name,)*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$name,)*];
        }

        /// The permissions a [`Permitted`] handle can carry, one type per [`Action`].
        pub mod to {
            use super::Action;

            /// A permission: the action it stands for.
            pub trait Permission: sealed::Sealed {
                const ACTION: Action;
            }

            mod sealed {
                pub trait Sealed {}
            }

            $(
                $(#[$doc])*
                pub struct $name;
                impl sealed::Sealed for $name {}
                impl Permission for $name {
                    const ACTION: Action = Action::$name;
                }
            )*
        }
    };
}

actions! {
    /// Start and end monitoring sessions, read the consent terms.
    Upload,
    /// Store images and events: upload, and the candidate's consent recorded.
    Capture,
    /// Record the candidate's own consent.
    Consent,
    /// List and sign images, read events, summaries and the trail.
    View,
    /// Delete an image.
    Delete,
    /// Give verdicts on flags.
    Review,
    /// Download the evidence.
    Export,
    /// Erase the application's images and events.
    Erase,
    /// Make capture links and invitations.
    Invite,
    /// Respond to the flags raised in the candidate's own interview.
    Respond,
}

impl Action {
    fn verb(self) -> &'static str {
        match self {
            Action::Upload => "monitor",
            Action::Capture => "upload images to",
            Action::Consent => "consent to the monitoring of",
            Action::View => "see the images of",
            Action::Delete => "delete images of",
            Action::Review => "review the flags of",
            Action::Export => "export the evidence of",
            Action::Erase => "erase",
            Action::Invite => "invite a candidate to",
            Action::Respond => "respond to the flags of",
        }
    }

    /// Whether it records something new (refused on an erased application).
    fn records(self) -> bool {
        matches!(
            self,
            Action::Upload | Action::Capture | Action::Consent | Action::Invite | Action::Respond
        )
    }
}

/// The rule itself: whether `user` may do `action` to an application of
/// `organization` whose candidate is `candidate` (consent aside).
pub fn permits(
    user: &CurrentUser,
    action: Action,
    organization: OrganizationId,
    candidate: UserId,
) -> bool {
    let own_organization = user.organization_id == Some(organization);
    match user.role {
        Role::Admin => !matches!(action, Action::Consent | Action::Respond),
        Role::Recruiter => {
            !matches!(action, Action::Erase | Action::Consent | Action::Respond) && own_organization
        }
        Role::Candidate => {
            matches!(
                action,
                Action::Upload | Action::Capture | Action::Consent | Action::View | Action::Respond
            ) && user.id == candidate
        }
        Role::Integration => {
            matches!(action, Action::View | Action::Export | Action::Invite) && own_organization
        }
    }
}

use to::Permission;

/// An application the user may act on as `P` allows.
pub struct Permitted<P: Permission> {
    application: job_application::Model,
    permission: PhantomData<P>,
}

impl<P: Permission> Permitted<P> {
    pub fn id(&self) -> ApplicationId {
        ApplicationId(self.application.id)
    }

    /// When the application was created: no capture of it can be older.
    pub fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.application.created_at
    }

    /// The application's candidate.
    pub fn candidate(&self) -> UserId {
        UserId(self.application.candidate_id)
    }

    pub fn organization(&self) -> OrganizationId {
        OrganizationId(self.application.organization_id)
    }

    /// Whether the application asks for an ID photo (`id` images).
    pub fn asks_for_id(&self) -> bool {
        self.application.id_check
    }

    /// When the candidate last listed the application's events (saw its flags).
    pub fn flags_seen_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.application.flags_seen_at
    }

    /// The same application to read: whoever may do anything to an
    /// application may view it (the access table's test holds that).
    pub fn to_view(&self) -> Permitted<to::View> {
        Permitted {
            application: self.application.clone(),
            permission: PhantomData,
        }
    }
}

fn forbidden(action: Action) -> AppError {
    AppError::Forbidden(format!("you may not {} this application", action.verb()))
}

pub fn not_found() -> AppError {
    AppError::NotFound("no such application".into())
}

/// 403 with its own kind: a candidate's capture before their consent.
pub fn consent_required() -> AppError {
    AppError::ConsentRequired("consent to monitoring has not been recorded for this application; open the interview page and agree first".into())
}

/// Checks one loaded application (consent aside: see [`authorize`]).
fn check<P: Permission>(
    user: &CurrentUser,
    application: job_application::Model,
) -> Result<Permitted<P>, AppError> {
    let action = P::ACTION;
    if user
        .only_application
        .is_some_and(|only| only.0 != application.id)
    {
        return Err(forbidden(action));
    }
    if !permits(
        user,
        action,
        OrganizationId(application.organization_id),
        UserId(application.candidate_id),
    ) {
        return Err(match (action, user.role) {
            (Action::Consent, Role::Recruiter | Role::Admin) => AppError::Forbidden(
                "only the application's candidate can consent to its monitoring".into(),
            ),
            (Action::Respond, Role::Recruiter | Role::Admin) => AppError::Forbidden(
                "only the application's candidate can respond to its flags".into(),
            ),
            _ => forbidden(action),
        });
    }
    if action.records() && application.erased_at.is_some() {
        return Err(AppError::Conflict(
            "this application was erased; nothing more is recorded for it".into(),
        ));
    }
    Ok(Permitted {
        application,
        permission: PhantomData,
    })
}

/// Loads the application (404 when unknown) and checks it for `P` (403 when
/// not allowed; `consent_required` for a candidate's capture before consent,
/// answered by the same query).
pub async fn authorize<P: Permission>(
    db: &DatabaseConnection,
    user: &CurrentUser,
    id: ApplicationId,
) -> Result<Permitted<P>, AppError> {
    if P::ACTION != Action::Capture {
        let application = repo::application(db, id).await?.ok_or_else(not_found)?;
        return check(user, application);
    }
    let found = repo::application_with_consent(db, id, user.id)
        .await?
        .ok_or_else(not_found)?;
    let permitted = check(user, found.application)?;
    if user.role == Role::Candidate && !found.consented {
        return Err(consent_required());
    }
    Ok(permitted)
}

/// Checks the applications `ids`, loaded in one batch (`loaded`), for `P`: all
/// of them or the first refusal (404 for one not loaded).
pub fn check_all<P: Permission>(
    user: &CurrentUser,
    ids: &[ApplicationId],
    loaded: Vec<job_application::Model>,
) -> Result<Vec<Permitted<P>>, AppError> {
    debug_assert!(
        P::ACTION != Action::Capture,
        "consent is checked one by one"
    );
    let mut loaded: std::collections::HashMap<uuid::Uuid, _> =
        loaded.into_iter().map(|a| (a.id, a)).collect();
    ids.iter()
        .map(|id| check(user, loaded.remove(&id.0).ok_or_else(not_found)?))
        .collect()
}

/// The applications a user's listing shows (`None`: none at all).
pub fn listing(user: &CurrentUser) -> Option<Scope> {
    match (user.role, user.organization_id, user.only_application) {
        // A capture link's session sees its one application (if still the candidate's).
        (_, _, Some(only)) => Some(Scope::One(only)),
        (Role::Admin, _, _) => Some(Scope::All),
        (Role::Recruiter | Role::Integration, Some(organization), _) => {
            Some(Scope::Organization(organization))
        }
        (Role::Recruiter | Role::Integration, None, _) => None,
        (Role::Candidate, _, None) => Some(Scope::Candidate(user.id)),
    }
}

/// The applications a search covers: an admin's all (or the one organization
/// asked for), a recruiter's own organization's. Candidates, capture links'
/// sessions and recruiters asking for another organization are refused.
pub fn search_scope(
    user: &CurrentUser,
    organization: Option<OrganizationId>,
) -> Result<Scope, AppError> {
    match (user.role, user.organization_id, user.only_application) {
        (_, _, Some(_)) | (Role::Candidate, _, _) => Err(AppError::Forbidden(
            "searching applications is for recruiters and admins".into(),
        )),
        (Role::Admin, _, None) => Ok(organization.map_or(Scope::All, Scope::Organization)),
        (Role::Recruiter | Role::Integration, Some(own), None) => match organization {
            Some(other) if other != own => Err(AppError::Forbidden(
                "recruiters search their own organization's applications".into(),
            )),
            _ => Ok(Scope::Organization(own)),
        },
        (Role::Recruiter | Role::Integration, None, None) => Err(AppError::Forbidden(
            "a recruiter without an organization has no applications to search".into(),
        )),
    }
}

/// Whose running interviews a live view shows: a recruiter's organization's,
/// every organization's for an admin (`None`). Nobody else watches.
pub fn live_scope(user: &CurrentUser) -> Result<Option<OrganizationId>, AppError> {
    match (user.role, user.organization_id, user.only_application) {
        (Role::Admin, _, None) => Ok(None),
        (Role::Recruiter, Some(own), None) => Ok(Some(own)),
        _ => Err(AppError::Forbidden(
            "live views are for recruiters (their organization) and admins".into(),
        )),
    }
}

/// The organization a caller provisions candidates and interviews in: a
/// service key's, or a recruiter's (or an admin's who belongs to one).
/// Candidates never do.
pub fn provisioning_organization(caller: &CurrentUser) -> Result<OrganizationId, AppError> {
    match (caller.role, caller.organization_id) {
        (Role::Candidate, _) => Err(AppError::Forbidden(
            "candidates cannot create interviews".into(),
        )),
        (_, Some(organization)) => Ok(organization),
        (_, None) => Err(AppError::Forbidden(
            "interviews are created in an organization: use its service key or a recruiter of it"
                .into(),
        )),
    }
}

/// Whose invitations a caller may revoke: its organization's, or any
/// (`None`) for an admin of none.
pub fn revoking_scope(caller: &CurrentUser) -> Result<Option<OrganizationId>, AppError> {
    match provisioning_organization(caller) {
        Ok(organization) => Ok(Some(organization)),
        Err(_) if caller.role == Role::Admin => Ok(None),
        Err(error) => Err(error),
    }
}

/// Whose webhook endpoints a caller manages: its organization's (a service
/// key), or any (`None`, an admin).
pub fn webhook_scope(caller: &CurrentUser) -> Result<Option<OrganizationId>, AppError> {
    match (caller.role, caller.organization_id) {
        (Role::Admin, _) => Ok(None),
        (Role::Integration, Some(organization)) => Ok(Some(organization)),
        _ => Err(AppError::Forbidden(
            "webhooks are managed with the organization's service key, or by an admin".into(),
        )),
    }
}

/// What only admins do: manage service keys, read the whole audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminTask {
    ManageKeys,
    ReadWholeTrail,
    ListOrganizations,
}

/// Admins only; others get 403 naming the task.
pub fn admin(caller: &CurrentUser, task: AdminTask) -> Result<(), AppError> {
    if caller.role == Role::Admin {
        return Ok(());
    }
    Err(AppError::Forbidden(
        match task {
            AdminTask::ManageKeys => "only admins manage service keys",
            AdminTask::ReadWholeTrail => "only admins see the whole audit trail",
            AdminTask::ListOrganizations => "only admins list every organization",
        }
        .into(),
    ))
}

/// Whether the verdicts on an application's flags are shown to `user`: they
/// are the organization's judgement, not the candidate's to read.
pub fn sees_verdicts(user: &CurrentUser) -> bool {
    user.role != Role::Candidate
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    /// Every role × own/other organization (or own/other candidate) × every action.
    #[test]
    fn the_access_table() {
        let org = OrganizationId(Uuid::new_v4());
        let other_org = OrganizationId(Uuid::new_v4());
        let me = UserId(Uuid::new_v4());
        let someone = UserId(Uuid::new_v4());
        let user = |role, organization_id| CurrentUser {
            id: me,
            email: "u@x.test".into(),
            role,
            organization_id,
            only_application: None,
        };
        use Action::*;
        let columns = [
            Upload, Capture, Consent, View, Delete, Review, Export, Erase, Invite, Respond,
        ];
        assert_eq!(&columns[..], Action::ALL, "every action has a column");
        let none = [false; 10];
        // (role, user's org, application's org, application's candidate, one per column)
        let table = [
            (
                Role::Candidate,
                None,
                org,
                me,
                [
                    true, true, true, true, false, false, false, false, false, true,
                ],
            ),
            (Role::Candidate, None, org, someone, none),
            (
                Role::Recruiter,
                Some(org),
                org,
                someone,
                [
                    true, true, false, true, true, true, true, false, true, false,
                ],
            ),
            (Role::Recruiter, Some(other_org), org, someone, none),
            (Role::Recruiter, None, org, someone, none),
            (
                Role::Admin,
                None,
                org,
                someone,
                [true, true, false, true, true, true, true, true, true, false],
            ),
            (
                Role::Admin,
                Some(other_org),
                org,
                someone,
                [true, true, false, true, true, true, true, true, true, false],
            ),
            (
                Role::Integration,
                Some(org),
                org,
                someone,
                [
                    false, false, false, true, false, false, true, false, true, false,
                ],
            ),
            (Role::Integration, Some(other_org), org, someone, none),
        ];
        for (role, user_org, app_org, candidate, expected) in table {
            // Permitted::to_view relies on it.
            assert!(
                !expected.iter().any(|allowed| *allowed) || expected[3],
                "{role} may act on an application it may not view"
            );
            for (action, allowed) in columns.into_iter().zip(expected) {
                assert_eq!(
                    permits(&user(role, user_org), action, app_org, candidate),
                    allowed,
                    "{role} (org {user_org:?}) {action:?} on an application of {app_org:?}"
                );
            }
        }
    }

    #[test]
    fn organization_wide_rules() {
        let org = OrganizationId(Uuid::new_v4());
        let user = |role, organization_id| CurrentUser {
            id: UserId(Uuid::new_v4()),
            email: "u@x.test".into(),
            role,
            organization_id,
            only_application: None,
        };
        assert!(provisioning_organization(&user(Role::Candidate, Some(org))).is_err());
        assert_eq!(
            provisioning_organization(&user(Role::Integration, Some(org))).ok(),
            Some(org)
        );
        assert!(provisioning_organization(&user(Role::Admin, None)).is_err());
        assert_eq!(revoking_scope(&user(Role::Admin, None)).ok(), Some(None));
        assert!(webhook_scope(&user(Role::Recruiter, Some(org))).is_err());
        assert_eq!(
            webhook_scope(&user(Role::Integration, Some(org))).ok(),
            Some(Some(org))
        );
        for task in [AdminTask::ManageKeys, AdminTask::ReadWholeTrail] {
            assert!(admin(&user(Role::Admin, None), task).is_ok());
            for role in [Role::Recruiter, Role::Candidate, Role::Integration] {
                assert_eq!(
                    admin(&user(role, Some(org)), task).unwrap_err().status(),
                    403
                );
            }
        }
        assert!(listing(&user(Role::Recruiter, None)).is_none());
    }
}
