//! What went wrong, as the panel tells its host: the kind the server gave (its
//! answers carry `{"error": "<kind>", "message": "<words>"}`) or the network's,
//! with words for a person. The kind survives the trip: a `409` stays a
//! conflict and `consent_required` stays itself.

use std::fmt;

/// The kinds of failure the panel can meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400: the request was malformed.
    BadRequest,
    /// 401: no session, or it has ended.
    Unauthenticated,
    /// 403: not allowed.
    Forbidden,
    /// 403: the candidate has not consented yet.
    ConsentRequired,
    /// 404
    NotFound,
    /// 408: the body stopped arriving.
    RequestTimeout,
    /// 409: conflicts with what is recorded.
    Conflict,
    /// 413
    PayloadTooLarge,
    /// 415
    UnsupportedMediaType,
    /// 429: too many requests, or a quota is full.
    TooManyRequests,
    /// 503: the server's database or storage is unreachable.
    Unavailable,
    /// 500, or another status the panel does not know.
    Internal,
    /// No answer: offline, refused, timed out.
    Network,
    /// The host or the page is set up wrongly (a bad server URL, no browser).
    Setup,
}

impl ErrorKind {
    /// The kind a server's `error` field names.
    pub fn from_wire(name: &str) -> Option<Self> {
        Some(match name {
            "bad_request" => ErrorKind::BadRequest,
            "unauthenticated" => ErrorKind::Unauthenticated,
            "forbidden" => ErrorKind::Forbidden,
            "consent_required" => ErrorKind::ConsentRequired,
            "not_found" => ErrorKind::NotFound,
            "request_timeout" => ErrorKind::RequestTimeout,
            "conflict" => ErrorKind::Conflict,
            "payload_too_large" => ErrorKind::PayloadTooLarge,
            "unsupported_media_type" => ErrorKind::UnsupportedMediaType,
            "too_many_requests" => ErrorKind::TooManyRequests,
            "unavailable" => ErrorKind::Unavailable,
            "internal" => ErrorKind::Internal,
            _ => return None,
        })
    }

    /// The HTTP status the server answers this kind with (500 for the kinds
    /// it never sends: no answer, a page set up wrongly).
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthenticated => 401,
            ErrorKind::Forbidden | ErrorKind::ConsentRequired => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::RequestTimeout => 408,
            ErrorKind::Conflict => 409,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::TooManyRequests => 429,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal | ErrorKind::Network | ErrorKind::Setup => 500,
        }
    }

    /// The kind an HTTP status means when the body says nothing readable.
    pub fn from_status(status: u16) -> Self {
        match status {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            408 => ErrorKind::RequestTimeout,
            409 => ErrorKind::Conflict,
            413 => ErrorKind::PayloadTooLarge,
            415 => ErrorKind::UnsupportedMediaType,
            429 => ErrorKind::TooManyRequests,
            503 => ErrorKind::Unavailable,
            _ => ErrorKind::Internal,
        }
    }
}

/// A failure: its kind and words for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// What happened, in words the candidate can read.
    pub message: String,
}

#[derive(serde::Deserialize)]
struct Wire {
    error: String,
    #[serde(default)]
    message: String,
}

impl PanelError {
    /// A failure of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        PanelError {
            kind,
            message: message.into(),
        }
    }

    /// The server answered `status` with `body`: its own kind and words when
    /// the body is an error of interview-monitor's, else the status's.
    pub fn from_answer(status: u16, body: &str) -> Self {
        match serde_json::from_str::<Wire>(body) {
            Ok(wire) => PanelError {
                kind: ErrorKind::from_wire(&wire.error)
                    .unwrap_or_else(|| ErrorKind::from_status(status)),
                message: if wire.message.is_empty() {
                    format!("the server answered {status}")
                } else {
                    wire.message
                },
            },
            Err(_) => PanelError::new(
                ErrorKind::from_status(status),
                format!("the server answered {status}"),
            ),
        }
    }

    /// No answer came.
    pub fn network() -> Self {
        PanelError::new(ErrorKind::Network, "the server could not be reached")
    }
}

impl fmt::Display for PanelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PanelError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_the_server_sends_reads_back_as_the_same_status() {
        for status in [400, 401, 403, 404, 408, 409, 413, 415, 429, 500, 503] {
            assert_eq!(ErrorKind::from_status(status).status(), status);
        }
        assert_eq!(ErrorKind::ConsentRequired.status(), 403);
        assert_eq!(ErrorKind::Network.status(), 500);
    }

    #[test]
    fn the_servers_kind_survives() {
        let error = PanelError::from_answer(
            403,
            r#"{"error":"consent_required","message":"consent first"}"#,
        );
        assert_eq!(error.kind, ErrorKind::ConsentRequired);
        assert_eq!(error.message, "consent first");
        let error = PanelError::from_answer(409, r#"{"error":"conflict","message":"taken"}"#);
        assert_eq!(error.kind, ErrorKind::Conflict);
    }

    #[test]
    fn an_unreadable_body_falls_back_on_the_status() {
        let error = PanelError::from_answer(502, "<html>bad gateway</html>");
        assert_eq!(error.kind, ErrorKind::Internal);
        assert_eq!(error.message, "the server answered 502");
        assert_eq!(
            PanelError::from_answer(429, "").kind,
            ErrorKind::TooManyRequests
        );
        // A kind this version does not know: the status decides.
        let error = PanelError::from_answer(404, r#"{"error":"gone_fishing","message":"x"}"#);
        assert_eq!(error.kind, ErrorKind::NotFound);
    }
}
