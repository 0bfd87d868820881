//! `GET /api/openapi.yaml`: the API as OpenAPI 3, for other services to integrate
//! against. The test command fuzzes the running server against it (Schemathesis),
//! which keeps the document and the server in step.

use axum::{http::header, response::IntoResponse};

pub const DOCUMENT: &str = include_str!("../openapi.yaml");

pub async fn document() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/yaml"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        DOCUMENT,
    )
}
