//! Paths the server serves itself, beside the app's server functions and
//! pages, for the router and the rules that name them.

/// Liveness and readiness (no caller needed).
pub const HEALTH_PATH: &str = "/healthz";

pub use shared::integration::CAPTURE_SESSIONS_PATH;
