//! `GET /metrics`: what the server is doing, in Prometheus text format.
//!
//! | metric | labels | what |
//! |---|---|---|
//! | `interview_monitor_uploads_total` | `kind`, `outcome` (`stored` or an error kind) | upload requests |
//! | `interview_monitor_upload_bytes_total` | `kind` | JPEG bytes stored |
//! | `interview_monitor_upload_seconds` | | time to check, store and record one upload (histogram) |
//! | `interview_monitor_upload_step_seconds` | `step` | each step of an upload: `check` (access and consent), `reserve`, `throttle`, `store`, `complete` (histogram) |
//! | `interview_monitor_signing_seconds` | | time to authorize and sign one batch of URLs (histogram) |
//! | `interview_monitor_signed_urls_total` | | URLs handed out |
//! | `interview_monitor_storage_errors_total` | `kind` | object storage failures |
//! | `interview_monitor_database_errors_total` | `kind` | database failures |
//! | `interview_monitor_upload_slots_in_use` | `pool` | slots held now: `uploads`, `anonymous` bodies, `exports` (gauge) |
//! | `interview_monitor_sign_ins_total` | `outcome` | sign-in attempts: `ok`, or an error kind (`too_many_requests` is the throttle) |

use std::sync::OnceLock;

use axum::{extract::State, http::header, response::IntoResponse};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide recorder (installed once; every server in the process shares it).
pub fn recorder() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics will stay empty");
            }
            handle
        })
        .clone()
}

pub async fn render(State(handle): State<PrometheusHandle>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}

/// `error: cause: cause...` on one line, for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
