//! UUID newtypes so an application id can never be passed where a user id is meant.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{what} `{value}` is not a valid UUID")]
pub struct IdError {
    pub what: &'static str,
    pub value: String,
}

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl FromStr for $name {
            type Err = IdError;
            /// Accepts only the hyphenated form, as the API requires.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let error = || IdError { what: $what, value: s.chars().take(64).collect() };
                if s.len() != 36 {
                    return Err(error());
                }
                Uuid::parse_str(s).map($name).map_err(|_| error())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                $name(value)
            }
        }
    };
}

uuid_id!(
    /// A job application: the unit that monitoring images belong to.
    ApplicationId,
    "applicationId"
);
uuid_id!(UserId, "userId");
uuid_id!(OrganizationId, "organizationId");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyphenated_uuid_is_accepted_and_printed_back_the_same() {
        let text = "6f1c2a3b-0000-4000-8000-00000000abcd";
        let id: ApplicationId = text.parse().unwrap();
        assert_eq!(id.to_string(), text);
    }

    #[test]
    fn other_uuid_spellings_and_garbage_are_rejected() {
        for bad in [
            "",
            "not-a-uuid",
            "6f1c2a3b00004000800000000000abcd",
            "{6f1c2a3b-0000-4000-8000-00000000abcd}",
        ] {
            let err = bad.parse::<ApplicationId>().unwrap_err();
            assert_eq!(err.what, "applicationId");
        }
    }
}
