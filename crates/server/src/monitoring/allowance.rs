//! The per-user upload limit (UPLOADS_PER_MINUTE), with the database as the
//! shared truth but not asked on every upload.
//!
//! Each instance leases a user's uploads from the database counter in chunks
//! (a tenth of the limit, at least one): one atomic statement adds the chunk to
//! the user's count in the current window and grants what is left of the limit,
//! up to the chunk. Uploads then spend the lease in memory until it runs out or
//! its window ends. So the limit holds across any number of instances (what they
//! lease together never passes it), and a steady uploader costs the database one
//! statement per chunk instead of one per upload. The price: uploads a lease on
//! one instance still holds are not available on another until the window ends,
//! so a user spread over N instances may be stopped up to N−1 chunks early.
//!
//! One request per user leases at a time (the others wait for it and spend what
//! it brought), so of many uploads at once exactly the limit get through.

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use shared::UserId;
use tokio::sync::Mutex;

use crate::db::{counters, PersistenceError};

const WINDOW_SECS: i64 = 60;

pub struct UploadAllowance {
    per_minute: u64,
    chunk: u64,
    users: std::sync::Mutex<HashMap<UserId, Arc<Mutex<Lease>>>>,
}

#[derive(Default)]
struct Lease {
    left: u64,
    /// When the database window the lease came from ends (Unix seconds).
    until: i64,
}

impl UploadAllowance {
    pub fn new(per_minute: u64) -> Self {
        UploadAllowance {
            per_minute,
            chunk: (per_minute / 10).max(1),
            users: std::sync::Mutex::new(HashMap::new()),
        }
    }

    pub fn per_minute(&self) -> u64 {
        self.per_minute
    }

    fn lease_of(&self, user: UserId) -> Arc<Mutex<Lease>> {
        let mut users = self
            .users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if users.len() > 10_000 {
            // Forget leases nobody is using (their uploads are not lost: the
            // database counted them; a returning user leases again).
            users.retain(|_, lease| Arc::strong_count(lease) > 1);
        }
        users.entry(user).or_default().clone()
    }

    /// Takes one upload of `user`'s allowance: false when the limit is reached.
    pub async fn take(
        &self,
        db: &DatabaseConnection,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<bool, PersistenceError> {
        let lease = self.lease_of(user);
        let mut lease = lease.lock().await;
        if lease.left > 0 && lease.until > now.timestamp() {
            lease.left -= 1;
            return Ok(true);
        }
        let (count, window_start) =
            counters::take_many(db, &subject(user), now, WINDOW_SECS, self.chunk).await?;
        let before = count.saturating_sub(self.chunk);
        let granted = self.per_minute.saturating_sub(before).min(self.chunk);
        *lease = Lease {
            left: granted.saturating_sub(1),
            until: window_start + WINDOW_SECS,
        };
        Ok(granted > 0)
    }

    /// Gives back an upload that was taken but not stored.
    pub async fn give_back(&self, user: UserId, now: DateTime<Utc>) {
        let lease = self.lease_of(user);
        let mut lease = lease.lock().await;
        if lease.until > now.timestamp() {
            lease.left += 1;
        }
    }
}

fn subject(user: UserId) -> String {
    format!("uploads:{user}")
}
