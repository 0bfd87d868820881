//! Browser-only reactive values (media streams, timers, the upload queue)
//! that a server rendering the panel must not keep.

use leptos::prelude::{Dispose, LocalStorage, StoredValue};

/// `value` as a local stored value. On a server, which renders the panel but
/// never runs it, it is disposed at once on the thread that made it: left to
/// the owner's cleanup it could be dropped on another thread of the server's
/// runtime, and a local value dropped there panics (and ends the response).
/// The panel reads these with the `try_` methods, which find nothing there.
pub(crate) fn browser_local<T: 'static>(value: T) -> StoredValue<T, LocalStorage> {
    let stored = StoredValue::new_local(value);
    if cfg!(not(target_arch = "wasm32")) {
        stored.dispose();
    }
    stored
}
