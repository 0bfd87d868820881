//! The HTTP edge: what every request passes through before a handler sees it,
//! and what every response gets on its way out.
//!
//! - [`listener`]: the accept loop (header read timeout, graceful shutdown), over
//!   [`tls`] when the server speaks HTTPS itself;
//! - [`client`]: who is calling (the address and scheme, believing forwarded
//!   headers only from `TRUSTED_PROXIES`);
//! - [`guard`]: cross-site requests refused, content types and body sizes checked,
//!   bodies that stop arriving cut off;
//! - [`body`]: reading a body under a size limit and deadlines;
//! - [`headers`]: the security headers of every response;
//! - [`caching`]: `Cache-Control` (the hashed site files for a year, pages revalidated);
//! - [`service_keys`]: where a request with a service key may go;
//! - [`cors`]: the origins in ALLOWED_ORIGINS (pages that embed the panel).

pub mod body;
pub mod caching;
pub mod client;
pub mod cors;
pub mod guard;
pub mod headers;
pub mod listener;
pub mod service_keys;
pub mod tls;
