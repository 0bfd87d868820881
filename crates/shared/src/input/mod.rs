//! What the API accepts, checked: pure functions from what a client sent to
//! validated values, with errors a person understands. The server's handlers
//! and server functions use them, and so can the browser.

pub mod integration;
pub mod integrity;
pub mod monitoring;
pub mod search;

/// A listing's `state` filter: absent or null for all, else one of the states (400 otherwise).
pub fn state_filter(
    value: Option<String>,
) -> Result<Option<crate::lifecycle::InterviewState>, Invalid> {
    value
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(Invalid::Malformed)
}

/// Input the API refuses, with words for the person who sent it (its HTTP
/// status is the `AppError` it becomes: 400, 413, 409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// 400: malformed or out of range.
    #[error("{0}")]
    Malformed(String),
    /// 413: larger than the limit.
    #[error("{0}")]
    TooLarge(String),
    /// 409: contradicts itself (one event id twice in a batch, with different contents).
    #[error("{0}")]
    Conflict(String),
}
