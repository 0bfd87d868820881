//! Where the persistence and password errors become the API's errors. Each
//! other layer's error has its one `From` beside its type (storage in
//! `monitoring`, request bodies in `edge::body`, retention in `accountability`).
//! The cause chain goes to the log; the body says only what a person needs.

use app::AppError;

use crate::{accounts::password::PasswordError, db::PersistenceError};

/// `error: cause: cause...` on one line, for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl From<PersistenceError> for AppError {
    fn from(error: PersistenceError) -> Self {
        let kind = match &error {
            PersistenceError::Unreachable(_) => "unreachable",
            PersistenceError::Duplicate(_) => "duplicate",
            PersistenceError::Query(_) => "query",
            PersistenceError::Corrupt(_) => "corrupt",
        };
        metrics::counter!("interview_monitor_database_errors_total", "kind" => kind).increment(1);
        match &error {
            PersistenceError::Unreachable(_) => {
                tracing::warn!(error = %error_chain(&error), "database unreachable");
                AppError::unavailable()
            }
            PersistenceError::Duplicate(what) => {
                AppError::Conflict(format!("{what} already exists"))
            }
            PersistenceError::Query(_) | PersistenceError::Corrupt(_) => {
                tracing::error!(error = %error_chain(&error), "database error");
                AppError::internal()
            }
        }
    }
}

impl From<PasswordError> for AppError {
    fn from(error: PasswordError) -> Self {
        if let PasswordError::Busy = error {
            tracing::warn!("sign-ins are waiting for a hashing slot");
            return AppError::Unavailable(
                "too many sign-ins at once; try again in a moment".into(),
            );
        }
        tracing::error!(error = %error_chain(&error), "password hashing failed");
        AppError::internal()
    }
}
