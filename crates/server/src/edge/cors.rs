//! CORS for the origins in ALLOWED_ORIGINS, and for them only: a hiring
//! platform's page that embeds the panel calls the API from its own origin.
//! Their requests get `Access-Control-Allow-Origin` (their origin, never `*`)
//! with credentials; preflights are answered here. Every other origin gets no
//! CORS headers (the browser keeps the answer from the page) and stays subject
//! to the cross-site refusal of [`super::guard`].

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

#[derive(Clone, Default)]
pub struct CorsPolicy {
    /// Lowercase `scheme://host[:port]`.
    pub allowed: Arc<Vec<String>>,
}

/// How long a browser may keep a preflight's answer.
const PREFLIGHT_MAX_AGE_SECS: u32 = 600;

impl CorsPolicy {
    /// The request's `Origin` when it is one of ours to allow.
    pub fn allowed_origin(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let origin = headers.get(header::ORIGIN)?;
        let text = origin.to_str().ok()?.to_ascii_lowercase();
        self.allowed.contains(&text).then(|| origin.clone())
    }
}

fn allow(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    // The panel reads the server's clock and back-off hints.
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("date, retry-after"),
    );
}

pub async fn apply(State(policy): State<CorsPolicy>, request: Request, next: Next) -> Response {
    if policy.allowed.is_empty() {
        return next.run(request).await;
    }
    let origin = policy.allowed_origin(request.headers());
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        match &origin {
            Some(_) => {
                let mut response = StatusCode::NO_CONTENT.into_response();
                let headers = response.headers_mut();
                headers.insert(
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static("GET, POST"),
                );
                headers.insert(
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    HeaderValue::from_static("authorization, content-type"),
                );
                headers.insert(
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from(PREFLIGHT_MAX_AGE_SECS),
                );
                response
            }
            None => StatusCode::FORBIDDEN.into_response(),
        }
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = origin {
        allow(headers, origin);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_origins_are_allowed_exactly() {
        let policy = CorsPolicy {
            allowed: Arc::new(vec!["https://platform.example".into()]),
        };
        let with = |origin: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ORIGIN, origin.parse().unwrap());
            policy.allowed_origin(&headers)
        };
        assert!(with("https://platform.example").is_some());
        assert!(with("https://PLATFORM.example").is_some());
        for other in [
            "http://platform.example",
            "https://platform.example.evil",
            "https://evil.platform.example",
            "null",
        ] {
            assert!(with(other).is_none(), "{other}");
        }
        assert!(policy.allowed_origin(&HeaderMap::new()).is_none());
    }
}
