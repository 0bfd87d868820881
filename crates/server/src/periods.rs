//! How long what is monitored is kept: RETENTION_DAYS (an organization's own
//! shorter period wins) and ID_RETENTION_DAYS, as the settings give them and
//! the purge, the listings and the consent text read them.

/// The default ID_RETENTION_DAYS.
pub const ID_PHOTO_DAYS: u32 = 7;

/// How long what is monitored is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// Days after capture for everything (RETENTION_DAYS, which an
    /// organization's own period may shorten); `None`: until deleted.
    pub all: Option<u32>,
    /// Days after the interview's end for ID photos (ID_RETENTION_DAYS).
    pub id_photos: u32,
}

/// RETENTION_DAYS alone; ID photos keep their default period.
impl From<Option<u32>> for Periods {
    fn from(all: Option<u32>) -> Self {
        Periods {
            all,
            id_photos: ID_PHOTO_DAYS,
        }
    }
}

/// The period an application's data is kept: the shorter of the server's and
/// its organization's (`None`: kept until deleted).
pub fn effective_days(server: Option<u32>, organization: Option<i32>) -> Option<u32> {
    let organization = organization
        .and_then(|days| u32::try_from(days).ok())
        .filter(|days| *days > 0);
    match (server, organization) {
        (Some(server), Some(organization)) => Some(server.min(organization)),
        (server, organization) => server.or(organization),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shorter_period_wins() {
        assert_eq!(effective_days(Some(90), None), Some(90));
        assert_eq!(effective_days(Some(90), Some(30)), Some(30));
        assert_eq!(effective_days(Some(30), Some(90)), Some(30));
        assert_eq!(effective_days(None, Some(30)), Some(30));
        assert_eq!(effective_days(None, None), None);
        // A nonsensical stored value is ignored, not obeyed.
        assert_eq!(effective_days(Some(90), Some(0)), Some(90));
        assert_eq!(effective_days(Some(90), Some(-5)), Some(90));
    }
}
