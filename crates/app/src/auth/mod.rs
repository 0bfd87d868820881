//! Signing in and out, and who is signed in.

mod sign_in;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use shared::CurrentUser;

use crate::error::AppError;

pub use sign_in::SignInPage;

/// `POST /api/auth/login` `{email, password}`: opens a session and sets its cookie.
#[server(prefix = "/api", endpoint = "auth/login", input = leptos::server_fn::codec::Json)]
pub async fn login(email: String, password: String) -> Result<CurrentUser, AppError> {
    let client = ssr::client_address().await;
    let current = ssr::session_token().await;
    let session = crate::services::services()?
        .accounts
        .sign_in(&email, &password, client, current.as_deref())
        .await?;
    ssr::set_session_cookie(&session.token, session.lifetime).await;
    Ok(session.user)
}

/// `POST /api/auth/logout` `{}`: ends the session server-side (the cookie's, or an
/// embedded panel's bearer token's) and clears the cookie.
#[server(prefix = "/api", endpoint = "auth/logout", input = leptos::server_fn::codec::Json)]
pub async fn logout() -> Result<serde_json::Map<String, serde_json::Value>, AppError> {
    if let Some(token) = ssr::session_token().await {
        crate::services::services()?
            .accounts
            .sign_out(&token)
            .await?;
    }
    ssr::clear_session_cookie();
    Ok(serde_json::Map::new())
}

/// `POST /api/auth/me` `{}`: the signed-in user, or 401.
#[server(prefix = "/api", endpoint = "auth/me", input = leptos::server_fn::codec::Json)]
pub async fn me() -> Result<CurrentUser, AppError> {
    let ssr::SignedIn(user) = ssr::signed_in().await?;
    Ok(user)
}
