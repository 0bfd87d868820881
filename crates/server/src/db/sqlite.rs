//! What SQLite connections are set up with beyond their connect options.

use sea_orm::sqlx::{self, sqlite::SqliteConnection};

/// Turns on SQLite's query planner stability guarantee for `connection`.
///
/// Without it, SQLite (3.47 and later) plans `LIMIT ?` around the value bound
/// to it and marks the statement stale whenever that parameter is bound again,
/// so each run of a cached statement parses and plans it anew. SeaORM's
/// `.one()` binds its `LIMIT 1`: the session lookup and the policy check of
/// every request were prepared anew each time (8% of the server's CPU
/// samples during uploads). With the
/// guarantee, plans ignore bound values (and statistics, which we never
/// gather), and cached statements stay prepared.
pub(super) async fn plan_once(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = connection.lock_handle().await?;
    let raw = handle.as_raw_handle().as_ptr();
    // SAFETY: `raw` is the open connection `handle` holds locked for this call;
    // SQLITE_DBCONFIG_ENABLE_QPSG takes an int (1: on) and an optional int
    // pointer for the setting that results (none here).
    let code = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            raw,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::ffi::c_int,
            std::ptr::null_mut::<std::ffi::c_int>(),
        )
    };
    if code != libsqlite3_sys::SQLITE_OK {
        return Err(sqlx::Error::Configuration(
            format!("SQLite refused the query planner stability guarantee (code {code})").into(),
        ));
    }
    Ok(())
}
