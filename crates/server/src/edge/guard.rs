//! Checks on every state-changing request before it reaches a handler, in this
//! order, each answered at once and none reading a body:
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
//! - **Declared bodies are bounded** (413): 64 KiB for most paths, what 1,000
//!   keys need for `signed-urls`, the image limit for uploads.
//! - **Identity before resources** (401): every `/api/` path but signing in and
//!   out and trading a capture link's token needs a caller, found from the
//!   headers alone (session cookie, a session's or a service key's bearer
//!   token); the handler is handed that caller (`Authenticated`) and does not
//!   look it up again.
//! - **Slots before bodies**: an upload (base64 or binary) holds one of its
//!   user's upload slots while its body is read and stored; a request without
//!   identity holds one of its client address's slots in a small pool of its
//!   own while its body is read. A holder with its share taken is answered 429.
//!
//! Then the body is read (the binary upload's by its handler), within its limit
//! and a minimum rate (408 when it stops arriving or trickles); JSON bodies
//! must be objects (400).

use app::{
    auth::ssr::{Authenticated, SignedIn},
    services::ClientInfo,
    AppError,
};
use axum::{
    body::Body,
    extract::{FromRequestParts, Request, State},
    http::{header, request::Parts, HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};

use bytes::Bytes;

use super::body::{body_deadline, read_limited};
use crate::monitoring::slots::{Holder, UploadSlot, UploadSlots};

/// Most bodies: sign-in, listing, delete.
pub const SMALL_BODY: usize = 64 * 1024;
/// `signed-urls`: 1,000 keys of ~112 characters, quoted, with commas.
pub const KEYS_BODY: usize = 128 * 1024;
pub const BINARY_UPLOAD_PATH: &str = "/api/monitoring/upload-binary";
pub const SIGN_IN_FORM_PATH: &str = "/login";

/// Whether a request to `path` must say who it is before anything else is
/// done: every `/api/` path but signing in and out and trading a capture
/// link's token for a session.
pub fn needs_caller(path: &str) -> bool {
    path.starts_with("/api/")
        && !app::api::ANONYMOUS_PATHS.contains(&path)
        && path != crate::routes::CAPTURE_SESSIONS_PATH
}

#[derive(Clone)]
pub struct RequestRules {
    /// `scheme://host[:port]` from PUBLIC_URL.
    pub public_origin: Option<String>,
    /// ALLOWED_ORIGINS: other origins whose pages may call us (they embed the panel).
    pub allowed_origins: std::sync::Arc<Vec<String>>,
    /// The largest JSON upload body (base64 of the largest image, plus the JSON).
    pub upload_body: usize,
    /// The largest binary upload body (MAX_IMAGE_BYTES).
    pub image_body: usize,
    /// Uploads, per user.
    pub upload_slots: UploadSlots,
    /// Bodies of requests without identity, per client address.
    pub anonymous_slots: UploadSlots,
}

enum Expected {
    Json {
        limit: usize,
    },
    /// A base64 upload: JSON that holds an upload slot.
    JsonUpload {
        limit: usize,
    },
    /// A binary upload: its body is read by its handler, with the slot held.
    Jpeg {
        limit: usize,
    },
    Form,
    /// Not a path that takes a body of ours; bounded all the same.
    Other,
}

impl RequestRules {
    fn expected(&self, path: &str) -> Expected {
        match path {
            BINARY_UPLOAD_PATH => Expected::Jpeg {
                limit: self.image_body,
            },
            SIGN_IN_FORM_PATH => Expected::Form,
            path if app::api::JSON_UPLOAD_PATHS.contains(&path) => Expected::JsonUpload {
                limit: self.upload_body,
            },
            app::api::SIGNED_URLS_PATH => Expected::Json { limit: KEYS_BODY },
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

fn wrong_type(expected: &str) -> AppError {
    AppError::UnsupportedMediaType(format!("send this request with Content-Type: {expected}"))
}

pub async fn check(State(rules): State<RequestRules>, request: Request, next: Next) -> Response {
    match guard(&rules, request).await {
        Ok(Passed::Unread(request, _slot)) => next.run(request).await,
        Ok(Passed::Read(parts, bytes, _slot)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(error) => error.into_response(),
    }
}

/// A request that passed the checks, with the slot it holds until it is answered.
enum Passed {
    /// Not read here: a safe method, or a binary upload (its handler reads it).
    Unread(Request, Option<UploadSlot>),
    Read(Parts, Bytes, Option<UploadSlot>),
}

async fn guard(rules: &RequestRules, request: Request) -> Result<Passed, AppError> {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return Ok(Passed::Unread(request, None));
    }
    let client = request.extensions().get::<ClientInfo>().cloned();
    let https = client.as_ref().is_some_and(|client| client.https);
    if rules.cross_site(request.headers(), https) {
        return Err(AppError::Forbidden(
            "cross-site requests are not accepted".into(),
        ));
    }
    let media = media_type(request.headers());
    let path = request.uri().path().to_string();
    let expected = rules.expected(&path);
    let (limit, json, upload) = match expected {
        Expected::Jpeg { limit } if media == "image/jpeg" => (limit, false, true),
        Expected::Jpeg { .. } => return Err(wrong_type("image/jpeg")),
        Expected::Form if media == "application/x-www-form-urlencoded" => {
            (SMALL_BODY, false, false)
        }
        Expected::Form => return Err(wrong_type("application/x-www-form-urlencoded")),
        Expected::Json { limit } if media == "application/json" => (limit, true, false),
        Expected::Json { .. } => return Err(wrong_type("application/json")),
        Expected::JsonUpload { limit } if media == "application/json" => (limit, true, true),
        Expected::JsonUpload { .. } => return Err(wrong_type("application/json")),
        Expected::Other => (SMALL_BODY, false, false),
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(match expected {
            Expected::Jpeg { limit } => shared::input::monitoring::too_large(limit).into(),
            _ => AppError::PayloadTooLarge(format!(
                "the request body is larger than the limit of {limit} bytes"
            )),
        });
    }
    let (mut parts, body) = request.into_parts();
    let caller = if needs_caller(&path) {
        let SignedIn(user) = SignedIn::from_request_parts(&mut parts, &()).await?;
        parts.extensions.insert(Authenticated(user.clone()));
        Some(user)
    } else {
        None
    };
    // An upload's slot is held until it is stored; an anonymous body's only
    // while it is read.
    let (upload_slot, anonymous_slot) = match (&caller, upload, &client) {
        (Some(user), true, _) => (
            Some(rules.upload_slots.acquire(Holder::User(user.id)).await?),
            None,
        ),
        (Some(_), false, _) | (None, _, None) => (None, None),
        (None, _, Some(client)) => (
            None,
            Some(
                rules
                    .anonymous_slots
                    .acquire(Holder::Client(client.address))
                    .await?,
            ),
        ),
    };
    if matches!(expected, Expected::Jpeg { .. }) {
        return Ok(Passed::Unread(
            Request::from_parts(parts, body),
            upload_slot,
        ));
    }
    let (idle, deadline) = body_deadline();
    let bytes = read_limited(body, limit, idle, deadline).await?;
    drop(anonymous_slot);
    if json && bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    }
    Ok(Passed::Read(parts, bytes, upload_slot))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(public: Option<&str>) -> RequestRules {
        RequestRules {
            public_origin: public.map(str::to_string),
            allowed_origins: std::sync::Arc::new(vec!["https://platform.example".into()]),
            upload_body: 1000,
            image_body: 1000,
            upload_slots: UploadSlots::new(4, 2),
            anonymous_slots: UploadSlots::anonymous(4, 2),
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
