//! The one error type every server function returns. It crosses the wire as
//! `{"error": "<kind>", "message": "<words for a person>"}`; each kind's HTTP
//! status is [`AppError::status`], which the server's `http_errors` layer sets
//! on every server function's answer.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "error", content = "message", rename_all = "snake_case")]
pub enum AppError {
    /// 400: malformed input.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no session, an expired one, or wrong credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403: signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 403: a candidate's capture or event before consent was recorded.
    #[error("{0}")]
    ConsentRequired(String),
    /// 404
    #[error("{0}")]
    NotFound(String),
    /// 408: the request body stopped arriving.
    #[error("{0}")]
    RequestTimeout(String),
    /// 409: conflicts with what is recorded (a `captureId` reused for another image).
    #[error("{0}")]
    Conflict(String),
    /// 413
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429
    #[error("{0}")]
    TooManyRequests(String),
    /// 503: the database or object storage is unreachable.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a fault of ours; details are in the server log, never here.
    #[error("{0}")]
    Internal(String),
    /// The browser could not reach the server or read its answer (never sent by the server).
    #[error("{0}")]
    Network(String),
}

/// `Retry-After` of a 503: long enough for a saturated instance to drain, or a
/// restarting database or store to come back, short enough not to idle.
pub const RETRY_AFTER_UNAVAILABLE_SECS: u32 = 5;
/// `Retry-After` of a 429: a per-minute window is partly over by then.
pub const RETRY_AFTER_THROTTLED_SECS: u32 = 10;

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthenticated(_) => 401,
            AppError::Forbidden(_) | AppError::ConsentRequired(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::RequestTimeout(_) => 408,
            AppError::Conflict(_) => 409,
            AppError::PayloadTooLarge(_) => 413,
            AppError::UnsupportedMediaType(_) => 415,
            AppError::TooManyRequests(_) => 429,
            AppError::Unavailable(_) => 503,
            AppError::Internal(_) | AppError::Network(_) => 500,
        }
    }

    /// Seconds a client should wait before trying again (`Retry-After`): an
    /// unavailable or saturated server, or a throttle.
    pub fn retry_after_secs(&self) -> Option<u32> {
        match self {
            AppError::Unavailable(_) => Some(RETRY_AFTER_UNAVAILABLE_SECS),
            AppError::TooManyRequests(_) => Some(RETRY_AFTER_THROTTLED_SECS),
            _ => None,
        }
    }

    /// The `error` field of the wire form (also a metrics label).
    pub fn kind(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthenticated(_) => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::ConsentRequired(_) => "consent_required",
            AppError::NotFound(_) => "not_found",
            AppError::RequestTimeout(_) => "request_timeout",
            AppError::Conflict(_) => "conflict",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
            AppError::Network(_) => "network",
        }
    }

    pub fn unauthenticated() -> Self {
        AppError::Unauthenticated("you are not signed in, or your session has expired".into())
    }

    pub fn internal() -> Self {
        AppError::Internal("something went wrong on our side; it has been logged".into())
    }

    pub fn unavailable() -> Self {
        AppError::Unavailable("the service is temporarily unavailable; try again shortly".into())
    }
}

impl From<shared::input::Invalid> for AppError {
    fn from(invalid: shared::input::Invalid) -> Self {
        use shared::input::Invalid;
        match invalid {
            Invalid::Malformed(message) => AppError::BadRequest(message),
            Invalid::TooLarge(message) => AppError::PayloadTooLarge(message),
            Invalid::Conflict(message) => AppError::Conflict(message),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::Deserialization(message) => {
                AppError::BadRequest(format!("the request is malformed: {message}"))
            }
            ServerFnErrorErr::MissingArg(name) => {
                AppError::BadRequest(format!("the request is missing `{name}`"))
            }
            ServerFnErrorErr::Request(message) => {
                AppError::Network(format!("could not reach the server: {message}"))
            }
            ServerFnErrorErr::Response(message) => {
                AppError::Network(format!("could not read the server's answer: {message}"))
            }
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed outside its body");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                AppError::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_cross_the_wire_as_kind_and_message() {
        let json = serde_json::to_value(AppError::NotFound("no such application".into())).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": "not_found", "message": "no such application"})
        );
    }

    #[test]
    fn kinds_are_the_wire_names() {
        for error in [
            AppError::Conflict("x".into()),
            AppError::RequestTimeout("x".into()),
            AppError::Unavailable("x".into()),
        ] {
            assert_eq!(serde_json::to_value(&error).unwrap()["error"], error.kind());
        }
    }

    #[test]
    fn refused_input_gets_its_status() {
        use shared::input::Invalid;
        for (invalid, status) in [
            (Invalid::Malformed("x".into()), 400),
            (Invalid::TooLarge("x".into()), 413),
            (Invalid::Conflict("x".into()), 409),
        ] {
            assert_eq!(AppError::from(invalid).status(), status);
        }
    }

    #[test]
    fn undecodable_arguments_are_bad_requests() {
        let err =
            AppError::from_server_fn_error(ServerFnErrorErr::Args("missing field `email`".into()));
        assert_eq!(err.status(), 400);
    }
}
