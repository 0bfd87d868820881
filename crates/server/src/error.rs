//! Where every layer's error becomes the API's error, each once: persistence,
//! storage, passwords, request bodies and retention here, input checks beside
//! `AppError` in the app (`shared::input::Invalid`). Each kind's HTTP status is
//! `AppError::status`. The cause chain goes to the log; the body says only what
//! a person needs.

use app::AppError;

use crate::{
    accounts::password::PasswordError, db::PersistenceError, edge::body::BodyError,
    retention::RetentionError, storage::StorageError, telemetry::error_chain,
};

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

impl From<StorageError> for AppError {
    fn from(error: StorageError) -> Self {
        let kind = match &error {
            StorageError::Unreachable(_) => "unreachable",
            StorageError::Refused(_) => "refused",
            StorageError::NotFound => "not_found",
            StorageError::Corrupt => "corrupt",
            StorageError::Full(_) => "full",
            StorageError::Io(_) => "io",
            StorageError::Config(_) => "config",
        };
        metrics::counter!("interview_monitor_storage_errors_total", "kind" => kind).increment(1);
        match &error {
            StorageError::Unreachable(_) => {
                tracing::warn!(error = %error_chain(&error), "object storage unreachable");
                AppError::Unavailable("object storage is unreachable; try again shortly".into())
            }
            StorageError::Full(_) => {
                tracing::error!(error = %error_chain(&error), "the built-in store's disk is full; uploads wait until there is room");
                AppError::Unavailable("the image store is full; try again later".into())
            }
            StorageError::NotFound => AppError::NotFound("no such image".into()),
            _ => {
                tracing::error!(error = %error_chain(&error), "object storage failed");
                AppError::internal()
            }
        }
    }
}

impl From<BodyError> for AppError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge(_) => AppError::PayloadTooLarge(error.to_string()),
            BodyError::TimedOut => AppError::RequestTimeout(format!("{error}; send it again")),
            BodyError::Broken => AppError::BadRequest(error.to_string()),
        }
    }
}

impl From<RetentionError> for AppError {
    fn from(error: RetentionError) -> Self {
        match error {
            RetentionError::Persistence(error) => error.into(),
            RetentionError::Storage(error) => error.into(),
        }
    }
}
