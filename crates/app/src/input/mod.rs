//! What the server functions accept, checked: the bottom layer the features'
//! server functions and the service traits share (server only). It imports
//! nothing of the features.

pub mod integration;
pub mod integrity;
pub mod monitoring;

/// A listing's `state` filter: absent or null for all, else one of the states (400 otherwise).
pub fn state_filter(
    value: Option<String>,
) -> Result<Option<shared::lifecycle::InterviewState>, crate::error::AppError> {
    value
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(crate::error::AppError::BadRequest)
}
