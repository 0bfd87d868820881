//! The access policy (README, "Access"), in one place. Code gets a [`Permitted`] application
//! only from here, and the repository functions that read or change an
//! application's images take that handle, not an id: a query for an application
//! nobody checked does not compile.
//!
//! | action | candidate | recruiter | admin | service key |
//! |---|---|---|---|---|
//! | upload | own applications | own organization's | any | never |
//! | view (list, signed URLs) | own applications | own organization's | any | own organization's |
//! | delete | never | own organization's | any | never |
//! | review (verdicts on flags) | never | own organization's | any | never |
//! | export (evidence zip) | never | own organization's | any | own organization's |
//! | erase | never | never | any | never |
//! | invite (capture links) | never | own organization's | any | own organization's |
//!
//! A session a capture link opened reaches its one application only. An erased
//! application takes nothing new (uploads, events, consent, links: 409).

use app::AppError;
use sea_orm::DatabaseConnection;
use shared::{ApplicationId, CurrentUser, OrganizationId, Role, UserId};

use crate::db::{applications as repo, entities::job_application};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Upload,
    View,
    Delete,
    Review,
    Export,
    Erase,
    Invite,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Upload,
        Action::View,
        Action::Delete,
        Action::Review,
        Action::Export,
        Action::Erase,
        Action::Invite,
    ];

    fn verb(self) -> &'static str {
        match self {
            Action::Upload => "upload images to",
            Action::View => "see the images of",
            Action::Delete => "delete images of",
            Action::Review => "review the flags of",
            Action::Export => "export the evidence of",
            Action::Erase => "erase",
            Action::Invite => "invite a candidate to",
        }
    }
}

/// The rule itself.
pub fn permits(
    user: &CurrentUser,
    action: Action,
    organization: OrganizationId,
    candidate: UserId,
) -> bool {
    match user.role {
        Role::Admin => true,
        Role::Recruiter => action != Action::Erase && user.organization_id == Some(organization),
        Role::Candidate => matches!(action, Action::Upload | Action::View) && user.id == candidate,
        Role::Integration => {
            matches!(action, Action::View | Action::Export | Action::Invite)
                && user.organization_id == Some(organization)
        }
    }
}

/// An application the user may act on in the way asked.
pub struct Permitted {
    application: job_application::Model,
}

impl Permitted {
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
}

fn forbidden(action: Action) -> AppError {
    AppError::Forbidden(format!("you may not {} this application", action.verb()))
}

pub fn not_found() -> AppError {
    AppError::NotFound("no such application".into())
}

/// Checks one loaded application.
pub fn check(
    user: &CurrentUser,
    action: Action,
    application: job_application::Model,
) -> Result<Permitted, AppError> {
    if user
        .only_application
        .is_some_and(|only| only.0 != application.id)
    {
        return Err(forbidden(action));
    }
    if permits(
        user,
        action,
        OrganizationId(application.organization_id),
        UserId(application.candidate_id),
    ) {
        if matches!(action, Action::Upload | Action::Invite) && application.erased_at.is_some() {
            return Err(AppError::Conflict(
                "this application was erased; nothing more is recorded for it".into(),
            ));
        }
        Ok(Permitted { application })
    } else {
        Err(forbidden(action))
    }
}

/// Loads the application (404 when unknown) and checks it (403 when not allowed).
pub async fn authorize(
    db: &DatabaseConnection,
    user: &CurrentUser,
    action: Action,
    id: ApplicationId,
) -> Result<Permitted, AppError> {
    let application = repo::application(db, id).await?.ok_or_else(not_found)?;
    check(user, action, application)
}

/// [`authorize`] for an upload, which a candidate may only make once they have
/// consented: both answered by one query.
pub async fn authorize_upload(
    db: &DatabaseConnection,
    user: &CurrentUser,
    id: ApplicationId,
) -> Result<Permitted, AppError> {
    let found = repo::application_with_consent(db, id, user.id)
        .await?
        .ok_or_else(not_found)?;
    let permitted = check(user, Action::Upload, found.application)?;
    if user.role == Role::Candidate && !found.consented {
        return Err(crate::integrity::consent_required());
    }
    Ok(permitted)
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
        // (role, user's org, application's org, application's candidate, [upload, view, delete, review, export, erase, invite])
        let table = [
            (
                Role::Candidate,
                None,
                org,
                me,
                [true, true, false, false, false, false, false],
            ),
            (
                Role::Candidate,
                None,
                org,
                someone,
                [false, false, false, false, false, false, false],
            ),
            (
                Role::Recruiter,
                Some(org),
                org,
                someone,
                [true, true, true, true, true, false, true],
            ),
            (
                Role::Recruiter,
                Some(org),
                other_org,
                someone,
                [false, false, false, false, false, false, false],
            ),
            (
                Role::Recruiter,
                None,
                org,
                someone,
                [false, false, false, false, false, false, false],
            ),
            (
                Role::Admin,
                None,
                org,
                someone,
                [true, true, true, true, true, true, true],
            ),
            (
                Role::Admin,
                Some(other_org),
                org,
                someone,
                [true, true, true, true, true, true, true],
            ),
            (
                Role::Integration,
                Some(org),
                org,
                someone,
                [false, true, false, false, true, false, true],
            ),
            (
                Role::Integration,
                Some(other_org),
                org,
                someone,
                [false, false, false, false, false, false, false],
            ),
        ];
        for (role, user_org, app_org, candidate, expected) in table {
            for (action, allowed) in [Upload, View, Delete, Review, Export, Erase, Invite]
                .into_iter()
                .zip(expected)
            {
                assert_eq!(
                    permits(&user(role, user_org), action, app_org, candidate),
                    allowed,
                    "{role} (org {user_org:?}) {action:?} on an application of {app_org:?}"
                );
            }
        }
    }
}
