//! Server side of sessions: the cookie, and the `SignedIn` extractor every
//! server function and handler uses to learn who is calling.

use std::{net::IpAddr, time::Duration};

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use shared::CurrentUser;

use crate::{
    error::AppError,
    services::{ClientInfo, Services},
};

/// The session cookie over plain HTTP (development, tests).
pub const SESSION_COOKIE: &str = "im_session";
/// The session cookie over HTTPS: the `__Host-` prefix makes browsers refuse it
/// unless it is `Secure`, host-only and for `/`, so no subdomain can plant one.
pub const SECURE_SESSION_COOKIE: &str = "__Host-im_session";

fn cookie_name(https: bool) -> &'static str {
    if https {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// Whether the request came over HTTPS, as the server's edge decided.
pub fn over_https(parts: &Parts) -> bool {
    parts
        .extensions
        .get::<ClientInfo>()
        .is_some_and(|client| client.https)
}

/// The signed-in user, or the organization's integration a service key
/// (`Authorization: Bearer imk_...`) acts as. A session's token may come as the
/// cookie or, from a panel embedded on another origin, as `Authorization:
/// Bearer`. Extracting it fails with 401 when there is no live session or the
/// key is unknown or revoked. With an `Authorization` header the cookie is not
/// looked at.
pub struct SignedIn(pub CurrentUser);

/// The caller, once the server's edge has found out who it is (before it read
/// the body or took a slot): [`SignedIn`] takes it from the request's
/// extensions instead of looking the session up again.
#[derive(Clone)]
pub struct Authenticated(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(Authenticated(user)) = parts.extensions.get::<Authenticated>() {
            return Ok(SignedIn(user.clone()));
        }
        let services = parts.extensions.get::<Services>().cloned().ok_or_else(|| {
            tracing::error!("Services missing from request extensions");
            AppError::internal()
        })?;
        if let Some(authorization) = parts.headers.get(header::AUTHORIZATION) {
            let token = bearer_token(authorization).ok_or_else(|| {
                AppError::Unauthenticated(
                    "send a service key as `Authorization: Bearer <key>`".into(),
                )
            })?;
            if token.starts_with(shared::integration::SERVICE_KEY_PREFIX) {
                let user = services.accounts.key_user(&token, parts.uri.path()).await?;
                return user.map(SignedIn).ok_or_else(|| {
                    AppError::Unauthenticated("this service key is unknown or was revoked".into())
                });
            }
            // A session's token, sent by a panel embedded on another origin.
            let user = services.accounts.session_user(&token).await?;
            return user.map(SignedIn).ok_or_else(AppError::unauthenticated);
        }
        let token = token_from_headers(&parts.headers, over_https(parts))
            .ok_or_else(AppError::unauthenticated)?;
        let user = services.accounts.session_user(&token).await?;
        user.map(SignedIn).ok_or_else(AppError::unauthenticated)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = axum::http::StatusCode::from_u16(self.status())
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after_secs();
        let mut response = (status, Json(self)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        response
    }
}

/// The caller of the current server function, or 401.
pub async fn signed_in() -> Result<SignedIn, AppError> {
    let mut parts = request_parts()?;
    SignedIn::from_request_parts(&mut parts, &()).await
}

fn request_parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| {
        tracing::error!("request Parts missing from the Leptos context");
        AppError::internal()
    })
}

/// The session token of the request: only the cookie named for its scheme counts.
pub fn token_from_headers(headers: &axum::http::HeaderMap, https: bool) -> Option<String> {
    axum_extra::extract::CookieJar::from_headers(headers)
        .get(cookie_name(https))
        .map(|cookie| cookie.value().to_string())
        .filter(|value| !value.is_empty())
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case), when
/// the header is that.
pub fn bearer_token(authorization: &HeaderValue) -> Option<String> {
    use axum_extra::headers::{authorization::Bearer, Authorization, Header};
    Authorization::<Bearer>::decode(&mut std::iter::once(authorization))
        .ok()
        .map(|header| header.token().trim().to_string())
        .filter(|token| !token.is_empty())
}

/// The session's token, as [`SignedIn`] reads it: an embedded panel's bearer
/// token when the request has an `Authorization` header, the cookie otherwise.
pub async fn session_token() -> Option<String> {
    let parts = request_parts().ok()?;
    match parts.headers.get(header::AUTHORIZATION) {
        Some(authorization) => bearer_token(authorization)
            .filter(|token| !token.starts_with(shared::integration::SERVICE_KEY_PREFIX)),
        None => token_from_headers(&parts.headers, over_https(&parts)),
    }
}

/// The origin the request was sent to (`scheme://host`), from its `Host` header
/// and whether it came over HTTPS.
pub async fn request_origin() -> Option<String> {
    let parts = request_parts().ok()?;
    let host = parts.headers.get(header::HOST)?.to_str().ok()?;
    let scheme = if over_https(&parts) { "https" } else { "http" };
    Some(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// The value of the request's `name` header (the first, if repeated).
pub async fn request_header(name: &str) -> Option<Vec<u8>> {
    request_parts()
        .ok()?
        .headers
        .get(name)
        .map(|value| value.as_bytes().to_vec())
}

/// The client's address (behind trusted proxies, the one they forwarded for).
pub async fn client_address() -> Option<IpAddr> {
    request_parts()
        .ok()?
        .extensions
        .get::<ClientInfo>()
        .map(|client| client.address)
}

fn set_cookie(value: String) {
    let Some(response) = use_context::<ResponseOptions>() else {
        tracing::error!("ResponseOptions missing from the Leptos context");
        return;
    };
    match HeaderValue::from_str(&value) {
        Ok(value) => response.append_header(header::SET_COOKIE, value),
        Err(error) => tracing::error!(%error, "session cookie is not a valid header"),
    }
}

/// The `Set-Cookie` value for a session token (empty with `max_age_secs` 0 to clear it).
pub fn session_cookie(token: &str, max_age_secs: u64, https: bool) -> String {
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        cookie_name(https),
        if https { "; Secure" } else { "" }
    )
}

fn request_https() -> bool {
    request_parts()
        .map(|parts| over_https(&parts))
        .unwrap_or(false)
}

pub async fn set_session_cookie(token: &str, lifetime: Duration) {
    set_cookie(session_cookie(token, lifetime.as_secs(), request_https()));
}

pub fn clear_session_cookie() {
    set_cookie(session_cookie("", 0, request_https()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_in_any_case_of_the_scheme_and_nothing_else() {
        let read = |value: &str| bearer_token(&HeaderValue::from_str(value).unwrap());
        assert_eq!(read("Bearer imk_abc"), Some("imk_abc".into()));
        assert_eq!(read("bearer imk_abc"), Some("imk_abc".into()));
        assert_eq!(read("BEARER imk_abc"), Some("imk_abc".into()));
        for other in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "imk_abc", ""] {
            assert_eq!(read(other), None, "{other:?}");
        }
    }

    #[test]
    fn only_the_cookie_named_for_the_scheme_counts() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; im_session=plain; __Host-im_session=secure"),
        );
        assert_eq!(token_from_headers(&headers, false), Some("plain".into()));
        assert_eq!(token_from_headers(&headers, true), Some("secure".into()));
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1"));
        assert_eq!(token_from_headers(&headers, false), None);
    }
}
