//! Checks on every state-changing request before it reaches a handler.
//!
//! - **Cross-site requests are refused** (403): an `Origin` other than ours
//!   (`PUBLIC_URL`, else the request's own scheme and host) and not in
//!   ALLOWED_ORIGINS, or `Sec-Fetch-Site: cross-site` from such an origin. Requests with neither header (other services,
//!   command-line clients) pass: browsers always send one of them on a
//!   cross-site `POST`, so a form or script on another site cannot ride on a
//!   candidate's or recruiter's session cookie.
//! - **Content types are what the path takes** (415): JSON on `/api/...`, a
//!   JPEG on the binary upload, a form on `POST /login`. A cross-site form can
//!   send only forms and `text/plain`, so this is a second wall.
//! - **Bodies are bounded** (413) and **must keep arriving** (408): 64 KiB for
//!   most paths, what 1,000 keys need for `signed-urls`, the image limit for
//!   uploads. JSON bodies must be objects (400).
//!
//! - **Uploads hold an upload slot while their body is read and stored**: the
//!   binary upload takes its user's in its handler; a base64 upload takes its
//!   client address's here, before its body is read, so a burst of JSON
//!   uploads waits with its bodies unread instead of holding them all.

use app::{services::ClientInfo, AppError};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::body::{body_deadline, read_limited};
use crate::monitoring::slots::{Holder, UploadSlots};

/// Most bodies: sign-in, listing, delete.
pub const SMALL_BODY: usize = 64 * 1024;
/// `signed-urls`: 1,000 keys of ~112 characters, quoted, with commas.
pub const KEYS_BODY: usize = 128 * 1024;
pub const BINARY_UPLOAD_PATH: &str = "/api/monitoring/upload-binary";
pub const SIGN_IN_FORM_PATH: &str = "/login";

#[derive(Clone)]
pub struct RequestRules {
    /// `scheme://host[:port]` from PUBLIC_URL.
    pub public_origin: Option<String>,
    /// ALLOWED_ORIGINS: other origins whose pages may call us (they embed the panel).
    pub allowed_origins: std::sync::Arc<Vec<String>>,
    /// The largest JSON upload body (base64 of the largest image, plus the JSON).
    pub upload_body: usize,
    pub upload_slots: UploadSlots,
}

enum Expected {
    Json {
        limit: usize,
    },
    /// A base64 upload: JSON that holds an upload slot.
    JsonUpload {
        limit: usize,
    },
    Jpeg,
    Form,
    /// Not a path that takes a body of ours; bounded all the same.
    Other,
}

impl RequestRules {
    fn expected(&self, path: &str) -> Expected {
        match path {
            BINARY_UPLOAD_PATH => Expected::Jpeg,
            SIGN_IN_FORM_PATH => Expected::Form,
            "/api/monitoring/upload"
            | "/api/monitoring/upload-camera"
            | "/api/monitoring/upload-screen" => Expected::JsonUpload {
                limit: self.upload_body,
            },
            "/api/monitoring/signed-urls" => Expected::Json { limit: KEYS_BODY },
            path if path.starts_with("/api/") => Expected::Json { limit: SMALL_BODY },
            _ => Expected::Other,
        }
    }

    /// Our origin, as browsers write it in `Origin`.
    fn own_origin(&self, headers: &HeaderMap, https: bool) -> Option<String> {
        if let Some(origin) = &self.public_origin {
            return Some(origin.clone());
        }
        let host = headers.get(header::HOST)?.to_str().ok()?;
        Some(format!(
            "{}://{}",
            if https { "https" } else { "http" },
            host.to_ascii_lowercase()
        ))
    }

    fn cross_site(&self, headers: &HeaderMap, https: bool) -> bool {
        let origin = headers
            .get(header::ORIGIN)
            .and_then(|origin| origin.to_str().ok())
            .map(str::to_ascii_lowercase);
        if origin.is_some_and(|origin| self.allowed_origins.contains(&origin)) {
            return false;
        }
        let site = headers.get("sec-fetch-site").map(|site| site.as_bytes());
        if site.is_some_and(|site| site.eq_ignore_ascii_case(b"cross-site")) {
            return true;
        }
        // The browser says the request comes from one of our own pages (no page
        // can set this header). Its `Origin` may be `null`: a form posted from a
        // page with `Referrer-Policy: no-referrer`, as all of ours are.
        if site.is_some_and(|site| site.eq_ignore_ascii_case(b"same-origin")) {
            return false;
        }
        match headers.get(header::ORIGIN) {
            None => false,
            Some(origin) => {
                let origin = origin.to_str().unwrap_or("").to_ascii_lowercase();
                self.own_origin(headers, https)
                    .is_none_or(|own| own != origin)
            }
        }
    }
}

/// The media type without parameters, lowercased: `application/json; charset=utf-8` → `application/json`.
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn wrong_type(expected: &str) -> Response {
    AppError::UnsupportedMediaType(format!("send this request with Content-Type: {expected}"))
        .into_response()
}

pub async fn check(State(rules): State<RequestRules>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let https = request
        .extensions()
        .get::<ClientInfo>()
        .is_some_and(|client| client.https);
    if rules.cross_site(request.headers(), https) {
        return AppError::Forbidden("cross-site requests are not accepted".into()).into_response();
    }
    let media = media_type(request.headers());
    let mut upload = false;
    let (limit, json) = match rules.expected(request.uri().path()) {
        Expected::Jpeg if media == "image/jpeg" => return next.run(request).await,
        Expected::Jpeg => return wrong_type("image/jpeg"),
        Expected::Form if media == "application/x-www-form-urlencoded" => (SMALL_BODY, false),
        Expected::Form => return wrong_type("application/x-www-form-urlencoded"),
        Expected::Json { limit } if media == "application/json" => (limit, true),
        Expected::Json { .. } => return wrong_type("application/json"),
        Expected::JsonUpload { limit } if media == "application/json" => {
            upload = true;
            (limit, true)
        }
        Expected::JsonUpload { .. } => return wrong_type("application/json"),
        Expected::Other => (SMALL_BODY, false),
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return AppError::PayloadTooLarge(format!(
            "the request body is larger than the limit of {limit} bytes"
        ))
        .into_response();
    }
    let _slot = match (upload, request.extensions().get::<ClientInfo>()) {
        (true, Some(client)) => match rules
            .upload_slots
            .acquire(Holder::Client(client.address))
            .await
        {
            Ok(slot) => Some(slot),
            Err(error) => return error.into_response(),
        },
        _ => None,
    };
    let (parts, body) = request.into_parts();
    let (idle, deadline) = body_deadline();
    let bytes = match read_limited(body, limit, idle, deadline).await {
        Ok(bytes) => bytes,
        Err(error) => return AppError::from(error).into_response(),
    };
    if json && bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return AppError::BadRequest("the body must be a JSON object".into()).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(public: Option<&str>) -> RequestRules {
        RequestRules {
            public_origin: public.map(str::to_string),
            allowed_origins: std::sync::Arc::new(vec!["https://platform.example".into()]),
            upload_body: 1000,
            upload_slots: UploadSlots::new(4, 2),
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_our_own_origin_may_post() {
        let r = rules(None);
        assert!(!r.cross_site(&headers(&[("host", "127.0.0.1:3000")]), false));
        assert!(!r.cross_site(
            &headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "http://127.0.0.1:3000")
            ]),
            false
        ));
        assert!(r.cross_site(
            &headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "https://127.0.0.1:3000")
            ]),
            false
        ));
        assert!(r.cross_site(
            &headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "http://evil.example")
            ]),
            false
        ));
        assert!(r.cross_site(
            &headers(&[("host", "127.0.0.1:3000"), ("origin", "null")]),
            false
        ));
        // A form posted from one of our pages under `Referrer-Policy: no-referrer`.
        assert!(!r.cross_site(
            &headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "null"),
                ("sec-fetch-site", "same-origin")
            ]),
            false
        ));
        assert!(r.cross_site(
            &headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "null"),
                ("sec-fetch-site", "same-site")
            ]),
            false
        ));
        assert!(r.cross_site(
            &headers(&[("host", "127.0.0.1:3000"), ("sec-fetch-site", "cross-site")]),
            false
        ));
        assert!(!r.cross_site(
            &headers(&[
                ("host", "a"),
                ("sec-fetch-site", "same-origin"),
                ("origin", "http://a")
            ]),
            false
        ));
        // An embedding platform's page, even from another site.
        assert!(!r.cross_site(
            &headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "https://platform.example"),
                ("sec-fetch-site", "cross-site")
            ]),
            false
        ));
        let behind_proxy = rules(Some("https://monitor.example.com"));
        assert!(!behind_proxy.cross_site(
            &headers(&[
                ("host", "10.0.0.5:3000"),
                ("origin", "https://monitor.example.com")
            ]),
            false
        ));
        assert!(behind_proxy.cross_site(
            &headers(&[
                ("host", "10.0.0.5:3000"),
                ("origin", "http://10.0.0.5:3000")
            ]),
            false
        ));
    }

    #[test]
    fn media_types_ignore_parameters_and_case() {
        assert_eq!(
            media_type(&headers(&[(
                "content-type",
                "Application/JSON; charset=utf-8"
            )])),
            "application/json"
        );
        assert_eq!(media_type(&HeaderMap::new()), "");
    }
}
