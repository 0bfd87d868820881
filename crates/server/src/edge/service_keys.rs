//! Service keys (`Authorization: Bearer`) reach the paths a hiring platform's
//! server needs and nothing else: the provisioning API and reading what was
//! recorded. Every browser path (sign-in, uploads, consent, events, deleting,
//! verdicts, erasing, the pages) answers 403 to a request carrying one. (A
//! session's own bearer token, an embedded panel's, goes where a cookie goes.)

use app::AppError;
use axum::{
    extract::Request,
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use shared::integration::SERVICE_KEY_PREFIX as KEY_PREFIX;

/// The paths of the server's own a service key may call, beside the server
/// functions of [`app::api::SERVICE_KEY_PATHS`].
const SERVER_PATHS: &[&str] = &[
    crate::export::EXPORT_PATH,
    crate::report::REPORT_PATH,
    // Need no caller at all.
    crate::routes::HEALTH_PATH,
    crate::openapi::OPENAPI_PATH,
];

pub fn key_may_call(path: &str) -> bool {
    app::api::SERVICE_KEY_PATHS.contains(&path)
        || SERVER_PATHS.contains(&path)
        || path.starts_with(crate::storage::MEDIA_PREFIX)
}

/// Whether the request carries a service key (not a session's bearer token).
fn carries_key(request: &Request) -> bool {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(app::auth::ssr::bearer_token)
        .is_some_and(|token| token.starts_with(KEY_PREFIX))
}

pub async fn only_where_allowed(request: Request, next: Next) -> Response {
    if carries_key(&request) && !key_may_call(request.uri().path()) {
        return AppError::Forbidden(
            "service keys may not call this path: it is for browsers (see the integration API)"
                .into(),
        )
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_reach_the_integration_and_reading_paths_only() {
        for path in [
            "/api/integration/capture-links",
            "/api/integration/webhooks/rotate",
            "/api/monitoring/images",
            "/api/monitoring/export",
            "/media/x",
        ] {
            assert!(key_may_call(path), "{path}");
        }
        for path in [
            "/api/auth/login",
            "/api/auth/me",
            "/api/monitoring/upload",
            "/api/monitoring/upload-binary",
            "/api/monitoring/delete",
            "/api/monitoring/consent",
            "/api/monitoring/events",
            "/api/monitoring/flags/review",
            "/api/applications/erase",
            "/api/audit/entries",
            "/capture/abc",
            "/applications",
            "/api/integration/capture-links/",
        ] {
            assert!(!key_may_call(path), "{path}");
        }
    }
}
