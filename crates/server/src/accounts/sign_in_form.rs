//! `POST /login`: the sign-in form as a browser sends it before (or without) the
//! wasm, so a password is posted, never put into a URL. Success sets the session
//! cookie and redirects (303) to `next` when that is a path of this site;
//! failure redirects back to the sign-in page with the kind of error.

use app::{
    auth::ssr::{session_cookie, token_from_headers},
    services::{ClientInfo, Services},
    AppError,
};
use axum::{
    extract::rejection::FormRejection,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension, Form,
};
use serde::Deserialize;
use shared::redirect::{after_sign_in, local_path};

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    next: Option<String>,
}

fn see_other(location: &str, cookie: Option<String>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if let Some(value) = cookie.and_then(|cookie| HeaderValue::from_str(&cookie).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Back to the sign-in page with an error kind (never a message of the client's choosing).
fn back(error: &AppError, next: Option<&str>) -> Response {
    let kind = serde_json::to_value(error)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_default();
    let mut query = vec![("error", kind)];
    if let Some(next) = next.and_then(local_path) {
        query.push(("next", next.to_string()));
    }
    let query = serde_urlencoded::to_string(query).unwrap_or_default();
    see_other(&format!("/login?{query}"), None)
}

pub async fn submit(
    Extension(services): Extension<Services>,
    Extension(client): Extension<ClientInfo>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return back(&AppError::BadRequest("the form is incomplete".into()), None);
    };
    let current = token_from_headers(&headers, client.https);
    match services
        .accounts
        .sign_in(
            &form.email,
            &form.password,
            Some(client.address),
            current.as_deref(),
        )
        .await
    {
        Ok(session) => {
            let cookie = session_cookie(&session.token, session.lifetime.as_secs(), client.https);
            see_other(&after_sign_in(form.next.as_deref()), Some(cookie))
        }
        Err(error) => back(&error, form.next.as_deref()),
    }
}
