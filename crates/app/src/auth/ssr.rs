//! Server side of sessions: the cookie, and the `SignedIn` extractor every
//! server function and handler uses to learn who is calling.

use std::{net::{IpAddr, SocketAddr}, time::Duration};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{header, request::Parts, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use shared::CurrentUser;

use crate::{error::AppError, services::Services};

pub const SESSION_COOKIE: &str = "im_session";

/// The signed-in user. Extracting it fails with 401 when there is no live session.
pub struct SignedIn(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let services = parts.extensions.get::<Services>().cloned().ok_or_else(|| {
            tracing::error!("Services missing from request extensions");
            AppError::internal()
        })?;
        let token = token_from_headers(&parts.headers).ok_or_else(AppError::unauthenticated)?;
        let user = services.accounts.session_user(&token).await?;
        user.map(SignedIn).ok_or_else(AppError::unauthenticated)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = axum::http::StatusCode::from_u16(self.status())
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self)).into_response()
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

fn token_from_headers(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|value| !value.is_empty())
}

pub async fn session_token() -> Option<String> {
    request_parts().ok().and_then(|parts| token_from_headers(&parts.headers))
}

pub async fn client_address() -> Option<IpAddr> {
    let parts = request_parts().ok()?;
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// Whether the browser reached us over HTTPS (directly or through a proxy that says so).
fn over_https(parts: &Parts) -> bool {
    parts.uri.scheme_str() == Some("https")
        || parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
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

fn cookie_attributes(max_age_secs: u64) -> String {
    let secure = request_parts().map(|parts| over_https(&parts)).unwrap_or(false);
    format!(
        "Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

pub async fn set_session_cookie(token: &str, lifetime: Duration) {
    set_cookie(format!("{SESSION_COOKIE}={token}; {}", cookie_attributes(lifetime.as_secs())));
}

pub fn clear_session_cookie() {
    set_cookie(format!("{SESSION_COOKIE}=; {}", cookie_attributes(0)));
}
