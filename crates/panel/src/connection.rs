//! The connection a panel talks through: interview-monitor's origin, the
//! session's bearer token when the panel runs on another origin, how to get a
//! new one when it ends, and the server's clock as this browser sees it.
//!
//! Each panel has its own (given by the host, or made from a capture token);
//! nothing here is global, so a host's own requests, and a second panel on the
//! same page, are untouched by it.

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard},
};

use crate::error::{ErrorKind, PanelError};

/// What [`Connection::renewing_with`]'s function returns: a new capture token,
/// or why there is none.
pub type TokenFuture = Pin<Box<dyn Future<Output = Result<String, String>>>>;

type TokenSource = Arc<dyn Fn() -> TokenFuture + Send + Sync>;

/// Where a panel's requests go and with which credential. Cheap to clone (the
/// clones share one state, so a renewed session is seen by every request).
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

struct Inner {
    /// interview-monitor's origin without a trailing `/`; empty for the page's own.
    base: String,
    fetch_token: Mutex<Option<TokenSource>>,
    state: Mutex<State>,
}

#[derive(Default, Clone)]
struct State {
    /// The bearer token of the session a capture token was traded for.
    session: Option<String>,
    /// The sessionStorage key the session is kept under in this tab.
    saved_under: Option<String>,
    /// The server's clock minus the browser's, in milliseconds.
    clock_offset_ms: Option<f64>,
    /// A renewal is under way (others wait for it rather than start their own).
    renewing: bool,
    /// Renewals that failed in a row, and when the last one did (ms since 1970):
    /// the next is not tried before a growing pause.
    renewal_failures: u32,
    renewal_failed_at: f64,
}

impl Connection {
    /// The page's own origin with its cookie: interview-monitor's own pages.
    pub fn same_origin() -> Self {
        Connection::with_base(String::new())
    }

    /// interview-monitor at `server` (its origin, e.g.
    /// `https://monitor.example.com`), from a page on another origin. The
    /// session comes from a capture token: [`crate::EmbeddedInterview`] trades
    /// one, or a host calls [`crate::transport::open`].
    pub fn to(server: &str) -> Result<Self, PanelError> {
        let base = server.trim().trim_end_matches('/');
        let scheme_ok = base.starts_with("https://") || base.starts_with("http://");
        let host = base.split_once("://").map(|(_, rest)| rest).unwrap_or("");
        if !scheme_ok || host.is_empty() || host.contains(['/', '?', '#', ' ']) {
            return Err(PanelError::new(
                ErrorKind::Setup,
                format!("`{base}` is not interview-monitor's origin (https://host[:port])"),
            ));
        }
        Ok(Connection::with_base(base.to_string()))
    }

    fn with_base(base: String) -> Self {
        Connection {
            inner: Arc::new(Inner {
                base,
                fetch_token: Mutex::new(None),
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The same connection, renewing its session with `fetch_token` when the
    /// server says it has ended (expired, signed out): the function returns a
    /// new capture token (the host's server makes one with its service key,
    /// `POST /api/integration/capture-links`), which the panel trades for a
    /// session and retries the request with. The candidate notices nothing and
    /// no capture is lost or stored twice.
    pub fn renewing_with<F, Fut>(self, fetch_token: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, String>> + 'static,
    {
        let source: TokenSource = Arc::new(move || Box::pin(fetch_token()) as TokenFuture);
        // Every clone shares it (they share one state).
        *self
            .inner
            .fetch_token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(source);
        self
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Never held across an await; a panic while held leaves plain data.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// interview-monitor's origin (empty: the page's own).
    pub fn server(&self) -> &str {
        &self.inner.base
    }

    /// `path` on interview-monitor. Paths the server hands out (the built-in
    /// store's signed URLs) are made absolute the same way.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{path}", self.inner.base)
        } else {
            path.to_string()
        }
    }

    /// Whether the panel talks through a capture link's session (as opposed to
    /// the page's own sign-in cookie).
    pub fn has_session(&self) -> bool {
        self.state().session.is_some()
    }

    /// The current session's bearer token.
    pub fn session_token(&self) -> Option<String> {
        self.state().session.clone()
    }

    /// Whether a session that ends can be renewed ([`Connection::renewing_with`]).
    pub fn can_renew(&self) -> bool {
        self.token_source().is_some()
    }

    pub(crate) fn set_session(&self, token: String, saved_under: Option<String>) {
        let mut state = self.state();
        state.session = Some(token);
        if saved_under.is_some() {
            state.saved_under = saved_under;
        }
    }

    pub(crate) fn saved_under(&self) -> Option<String> {
        self.state().saved_under.clone()
    }

    pub(crate) fn token_source(&self) -> Option<TokenSource> {
        self.inner
            .fetch_token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub(crate) fn set_saved_under(&self, key: String) {
        self.state().saved_under = Some(key);
    }

    /// Whether a renewal may be tried at `now` (ms): after `n` failures in a
    /// row, not before 3 s × 2ⁿ⁻¹ (at most a minute) have passed.
    pub(crate) fn renewal_allowed(&self, now: f64) -> bool {
        let state = self.state();
        if state.renewal_failures == 0 {
            return true;
        }
        let pause = (3_000.0 * 2f64.powi(state.renewal_failures.min(10) as i32 - 1)).min(60_000.0);
        now - state.renewal_failed_at >= pause
    }

    pub(crate) fn renewal_done(&self, succeeded: bool, now: f64) {
        let mut state = self.state();
        if succeeded {
            state.renewal_failures = 0;
        } else {
            state.renewal_failures = state.renewal_failures.saturating_add(1);
            state.renewal_failed_at = now;
        }
    }

    /// Marks a renewal as started; `false` if one already is.
    pub(crate) fn begin_renewal(&self) -> bool {
        let mut state = self.state();
        !std::mem::replace(&mut state.renewing, true)
    }

    pub(crate) fn end_renewal(&self) {
        self.state().renewing = false;
    }

    pub(crate) fn renewing(&self) -> bool {
        self.state().renewing
    }

    /// The server's clock minus the browser's, once learnt.
    pub fn clock_offset_ms(&self) -> Option<f64> {
        self.state().clock_offset_ms
    }

    pub(crate) fn set_clock_offset_ms(&self, offset: f64) {
        self.state().clock_offset_ms = Some(offset);
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("server", &self.inner.base)
            .field("has_session", &self.has_session())
            .field("can_renew", &self.can_renew())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_all_it_takes() {
        let connection = Connection::to(" https://monitor.example.com/ ").unwrap();
        assert_eq!(connection.server(), "https://monitor.example.com");
        assert_eq!(
            connection.url("/api/monitoring/images"),
            "https://monitor.example.com/api/monitoring/images"
        );
        assert_eq!(
            connection.url("https://s3.example/x"),
            "https://s3.example/x"
        );
        for wrong in [
            "monitor.example.com",
            "ftp://x",
            "https://",
            "https://x/path",
            "https://a b",
        ] {
            assert_eq!(
                Connection::to(wrong).unwrap_err().kind,
                ErrorKind::Setup,
                "{wrong}"
            );
        }
        assert_eq!(Connection::same_origin().url("/healthz"), "/healthz");
    }

    #[test]
    fn clones_share_the_session_and_renewal_keeps_it() {
        let connection = Connection::to("http://127.0.0.1:3000").unwrap();
        let clone = connection.clone();
        connection.set_session("t1".into(), Some("k".into()));
        assert_eq!(clone.session_token().as_deref(), Some("t1"));
        let renewing = clone.renewing_with(|| async { Ok::<_, String>("next".to_string()) });
        assert!(renewing.can_renew());
        assert!(
            connection.can_renew(),
            "clones made before share the renewal"
        );
        assert_eq!(renewing.session_token().as_deref(), Some("t1"));
        assert!(renewing.begin_renewal());
        assert!(!renewing.begin_renewal());
        renewing.end_renewal();
        assert!(!renewing.renewing());
    }

    #[test]
    fn failed_renewals_back_off() {
        let connection = Connection::to("http://127.0.0.1:3000").unwrap();
        assert!(connection.renewal_allowed(0.0));
        connection.renewal_done(false, 1_000.0);
        assert!(!connection.renewal_allowed(3_999.0));
        assert!(connection.renewal_allowed(4_000.0));
        connection.renewal_done(false, 4_000.0);
        assert!(!connection.renewal_allowed(9_999.0));
        assert!(connection.renewal_allowed(10_000.0));
        for _ in 0..40 {
            connection.renewal_done(false, 10_000.0);
        }
        assert!(connection.renewal_allowed(70_000.0), "at most a minute");
        connection.renewal_done(true, 70_000.0);
        assert!(connection.renewal_allowed(70_000.0));
    }
}
