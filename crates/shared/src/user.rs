//! Who is signed in and what they may be.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::{OrganizationId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Candidate,
    Recruiter,
    Admin,
    /// A service key acting for its organization (never a user's role).
    Integration,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown role `{0}`: expected candidate, recruiter or admin")]
pub struct RoleError(pub String);

impl Role {
    /// The roles a user can have.
    pub const ALL: [Role; 3] = [Role::Candidate, Role::Recruiter, Role::Admin];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Candidate => "candidate",
            Role::Recruiter => "recruiter",
            Role::Admin => "admin",
            Role::Integration => "integration",
        }
    }
}

impl FromStr for Role {
    type Err = RoleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| RoleError(s.chars().take(32).collect()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer of `/api/auth/login` and `/api/auth/me`.
/// The longest email address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Emails are compared case-insensitively; accounts store them in this form.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// An email address as accounts store it (trimmed, lowercased), when it is one:
/// something before one `@`, a dotted domain that neither starts nor ends with a
/// dot, no spaces or control characters, at most [`MAX_EMAIL_CHARS`].
pub fn valid_email(value: &str) -> Option<String> {
    let email = normalize_email(value);
    let ok = email.chars().count() <= MAX_EMAIL_CHARS
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    ok.then_some(email)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentUser {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub organization_id: Option<OrganizationId>,
    /// Set when a capture link opened the session: it reaches this application only.
    #[serde(skip)]
    pub only_application: Option<crate::ApplicationId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("Admin".parse::<Role>(), Err(RoleError("Admin".into())));
        // A service key's role is not one a user can be given.
        assert!("integration".parse::<Role>().is_err());
    }

    #[test]
    fn emails_are_normalized_and_odd_ones_refused() {
        assert_eq!(
            valid_email("  Ada@Example.COM ").as_deref(),
            Some("ada@example.com")
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@example.com",
            "ada@.com",
            "ada@example.",
            "ada@exa\u{0}mple.com",
        ] {
            assert_eq!(valid_email(bad), None, "{bad:?}");
        }
        assert_eq!(
            valid_email(&format!("{}@example.com", "a".repeat(5000))),
            None
        );
        let longest = format!("{}@example.com", "a".repeat(MAX_EMAIL_CHARS - 12));
        assert!(valid_email(&longest).is_some());
        assert_eq!(valid_email(&format!("a{longest}")), None);
    }

    #[test]
    fn current_user_uses_camel_case_and_null_organization() {
        let user = CurrentUser {
            id: UserId(uuid::Uuid::nil()),
            email: "a@b.c".into(),
            role: Role::Candidate,
            organization_id: None,
            only_application: None,
        };
        let json = serde_json::to_value(&user).unwrap();
        assert_eq!(json["organizationId"], serde_json::Value::Null);
        assert_eq!(json["role"], "candidate");
    }
}
