//! `/capture/{token}`: where a capture link or an invitation lands. `GET` shows
//! a page with one button and uses nothing up, since mail scanners and link
//! previews fetch links before the candidate does; the button's `POST` uses
//! the link (a capture link once, however many arrive at once; an invitation
//! each time until its interview ends), opens a session limited to the
//! link's application, and goes to its interview page (consent first).
//!
//! `POST /api/integration/capture-sessions` `{token}` uses a link the same way
//! for a panel embedded on another origin, and answers the session's token
//! instead of setting a cookie: the panel sends it as `Authorization: Bearer`.

use std::sync::Arc;

use app::{
    auth::ssr::{session_cookie, token_from_headers},
    services::ClientInfo,
    AppError,
};
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
    Extension,
};
use chrono::Utc;
use sea_orm::{DatabaseConnection, TransactionTrait};

use crate::{
    accounts::SessionAccounts,
    db::{applications as application_repo, integration as repo, PersistenceError},
    encoding::token_hash,
};

/// State the link pages need.
#[derive(Clone)]
pub struct LinkPages {
    pub db: DatabaseConnection,
    pub accounts: Arc<SessionAccounts>,
}

/// A token we could have made: 43 characters of URL-safe base64 (32 bytes).
fn plausible(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · interview-monitor</title></head>\
         <body><main class=\"capture-link\"><h1>{title}</h1>{body}</main></body></html>"
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The token is in the URL: never send it on as a referrer.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // Nothing to load; the one form posts here.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
}

fn gone() -> Response {
    page(
        StatusCode::GONE,
        "This link has been used or has expired",
        "<p>A capture link works once, within 15 minutes; an invitation until its interview ends or it expires. Ask whoever sent it for a new one.</p>",
    )
}

fn failed(error: &AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    page(
        status,
        "The interview could not be opened",
        "<p>Try again in a moment.</p>",
    )
}

/// Uses the link and opens a session for its application's candidate:
/// `None` when the link is used, expired, unknown or its application erased.
/// One transaction: a failure (or a crash) before the session exists leaves the
/// link unused, for the candidate to try again.
async fn use_link(
    pages: &LinkPages,
    token: &str,
    replaces: Option<&str>,
) -> Result<Option<(uuid::Uuid, app::services::NewSession)>, AppError> {
    if !plausible(token) {
        return Ok(None);
    }
    let txn = pages.db.begin().await.map_err(PersistenceError::from)?;
    let Some(application) = repo::redeem_link(&txn, &token_hash(token), Utc::now()).await? else {
        return Ok(None);
    };
    let Some(found) =
        application_repo::application(&txn, shared::ApplicationId(application)).await?
    else {
        return Ok(None);
    };
    if found.erased_at.is_some() {
        return Ok(None);
    }
    let session = pages
        .accounts
        .open_link_session(
            &txn,
            shared::UserId(found.candidate_id),
            application,
            replaces,
        )
        .await?;
    txn.commit().await.map_err(PersistenceError::from)?;
    tracing::info!(application = %application, candidate = %found.candidate_id, "capture link used");
    Ok(Some((application, session)))
}

#[derive(serde::Deserialize)]
pub struct CaptureSessionRequest {
    token: String,
}

/// `POST /api/integration/capture-sessions` `{token}` → `{sessionToken, applicationId, expiresAt}`.
pub async fn open_for_embedding(
    State(pages): State<LinkPages>,
    body: Result<axum::Json<CaptureSessionRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<axum::Json<shared::integration::CaptureSession>, AppError> {
    let axum::Json(body) = body.map_err(|e| {
        AppError::BadRequest(format!(
            "expected {{\"token\": \"...\"}}: {}",
            e.body_text()
        ))
    })?;
    let (application, session) = use_link(&pages, body.token.trim(), None)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(
                "this capture link was used, has expired, or does not exist; ask for a new one"
                    .into(),
            )
        })?;
    Ok(axum::Json(shared::integration::CaptureSession {
        session_token: session.token,
        application_id: shared::ApplicationId(application),
        expires_at: Utc::now() + chrono::Duration::from_std(session.lifetime).unwrap_or_default(),
    }))
}

/// `GET /capture/{token}`: the page with the button (the link stays unused).
pub async fn show(State(pages): State<LinkPages>, Path(token): Path<String>) -> Response {
    if !plausible(&token) {
        return gone();
    }
    match repo::link_usable(&pages.db, &token_hash(&token), Utc::now()).await {
        Ok(true) => page(
            StatusCode::OK,
            "Your interview",
            &format!(
                "<p>This opens your interview's monitoring page. You will see what is captured, and agree, before anything starts.</p>\
                 <form method=\"post\" action=\"/capture/{token}\"><button type=\"submit\">Open the interview</button></form>"
            ),
        ),
        Ok(false) => gone(),
        Err(error) => failed(&error.into()),
    }
}

/// `POST /capture/{token}`: uses the link, signs the candidate in for its
/// application only, and goes to the interview page.
pub async fn open(
    State(pages): State<LinkPages>,
    Extension(client): Extension<ClientInfo>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let replaces = token_from_headers(&headers, client.https);
    let result = use_link(&pages, &token, replaces.as_deref())
        .await
        .map(|opened| {
            opened.map(|(application, session)| {
                let mut response = StatusCode::SEE_OTHER.into_response();
                let cookie =
                    session_cookie(&session.token, session.lifetime.as_secs(), client.https);
                let location = format!("/applications/{application}/interview");
                if let (Ok(cookie), Ok(location)) = (
                    HeaderValue::from_str(&cookie),
                    HeaderValue::from_str(&location),
                ) {
                    response.headers_mut().insert(header::SET_COOKIE, cookie);
                    response.headers_mut().insert(header::LOCATION, location);
                }
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            })
        });
    match result {
        Ok(Some(response)) => response,
        Ok(None) => gone(),
        Err(error) => failed(&error),
    }
}
