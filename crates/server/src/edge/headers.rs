//! Security headers on every response.
//!
//! Pages get a Content-Security-Policy that lets our own scripts (the inline
//! hydration script by the nonce Leptos puts on it), our wasm, our styles and
//! images from us or the object store run, and nothing else; no page may be
//! framed. Everything else gets a policy that allows nothing.

use app::{services::ClientInfo, CSP_NONCE_HEADER};
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

#[derive(Clone)]
pub struct PagePolicy {
    /// Where signed image URLs point besides this server (the S3 endpoint's origin).
    pub image_origin: Option<String>,
}

const NOTHING: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const PERMISSIONS: &str =
    "camera=(self), display-capture=(self), microphone=(), geolocation=(), payment=(), usb=()";
const HSTS: &str = "max-age=31536000; includeSubDomains";

impl PagePolicy {
    fn for_page(&self, nonce: &str) -> String {
        let images = self
            .image_origin
            .as_deref()
            .map(|origin| format!(" {origin}"))
            .unwrap_or_default();
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' blob: data:{images}; media-src 'self' blob:; connect-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
    }
}

/// A nonce is base64 and nothing else; anything else is not put into a header.
fn valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b))
}

pub async fn secure(State(policy): State<PagePolicy>, request: Request, next: Next) -> Response {
    let https = request
        .extensions()
        .get::<ClientInfo>()
        .is_some_and(|client| client.https);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let nonce = headers
        .remove(CSP_NONCE_HEADER)
        .and_then(|v| v.to_str().ok().map(str::to_string));
    let csp = match nonce {
        Some(nonce) if valid_nonce(&nonce) => Some(policy.for_page(&nonce)),
        // A handler that wrote a policy of its own (a page that is not the
        // app's, like a capture link's) keeps it; every other answer gets none of anything.
        _ if headers.contains_key(header::CONTENT_SECURITY_POLICY) => None,
        _ => Some(NOTHING.to_string()),
    };
    if let Some(value) = csp.and_then(|csp| HeaderValue::from_str(&csp).ok()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert("permissions-policy", HeaderValue::from_static(PERMISSIONS));
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_allow_their_nonce_and_the_image_store_only() {
        let policy = PagePolicy {
            image_origin: Some("http://127.0.0.1:8333".into()),
        }
        .for_page("abc123==");
        assert!(policy.contains("script-src 'self' 'nonce-abc123==' 'wasm-unsafe-eval'"));
        assert!(policy.contains("img-src 'self' blob: data: http://127.0.0.1:8333;"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(valid_nonce("abc+/=") && !valid_nonce("a; script-src *") && !valid_nonce(""));
    }
}
