//! The audit trail's rows. Each entry stores the hash of the one before it and
//! its own hash over its content and that link, so a changed, inserted or
//! removed entry breaks the chain. Appends go through the one-row `audit_head`,
//! updated first in the appending transaction: on PostgreSQL the row lock, on
//! SQLite the write lock, makes concurrent appends wait for each other, so
//! there is one chain with no holes.
//!
//! The chain alone proves only that entries fit together: whoever can write to
//! the database could rewrite them all and their hashes. So the head is signed
//! now and then ([`checkpoint`]) with the audit key (AUDIT_KEY, else
//! `DATA_DIR/audit.key`), which the database does not hold, and [`verify`]
//! checks every checkpoint against the entry it names: history up to the last
//! checkpoint cannot be rewritten without the key. (Entries after it can be
//! removed with the head set back to it: a checkpoint proves what was, not that
//! nothing came after.)

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};
use sha2::{Digest, Sha256};
use shared::{audit::AuditAction, CurrentUser};
use uuid::Uuid;

use super::{
    entities::{audit_checkpoint, audit_entry, audit_head},
    PersistenceError,
};

/// The key that signs checkpoints of the chain.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    pub fn new(key: [u8; 32]) -> Self {
        AuditKey(key)
    }

    /// Hex HMAC-SHA256 over the checkpoint's `seq` and `hash`.
    pub fn sign(&self, seq: i64, hash: &str) -> String {
        use hmac::{Hmac, Mac};
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"interview-monitor audit checkpoint v1\n");
        mac.update(&seq.to_be_bytes());
        mac.update(hash.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The key's name in checkpoints: the first 8 bytes of its SHA-256.
    pub fn id(&self) -> String {
        hex::encode(&Sha256::digest(self.0)[..8])
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.id())
    }
}

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did it: a user, the server itself (retention), or an operator at the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub role: String,
    pub organization: Option<Uuid>,
}

impl Actor {
    pub fn user(user: &CurrentUser) -> Self {
        Actor {
            id: Some(user.id.0),
            role: user.role.as_str().to_string(),
            organization: user.organization_id.map(|o| o.0),
        }
    }

    /// The server's own work (the retention purge).
    pub fn system() -> Self {
        Actor {
            id: None,
            role: "system".into(),
            organization: None,
        }
    }

    /// Whoever runs the command line on the server.
    pub fn operator() -> Self {
        Actor {
            id: None,
            role: "operator".into(),
            organization: None,
        }
    }
}

pub struct NewEntry {
    pub actor: Actor,
    pub action: AuditAction,
    pub application: Option<Uuid>,
    pub target: String,
}

/// The hash of an entry: SHA-256 over the previous hash and every field,
/// each length-prefixed so no two different entries encode alike.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at_millis: i64,
    actor: &Actor,
    action: &str,
    application: Option<Uuid>,
    target: &str,
) -> String {
    let mut hasher = Sha256::new();
    let uuid_text = |id: Option<Uuid>| id.map(|id| id.to_string()).unwrap_or_default();
    for field in [
        prev_hash.to_string(),
        seq.to_string(),
        at_millis.to_string(),
        uuid_text(actor.id),
        actor.role.clone(),
        uuid_text(actor.organization),
        action.to_string(),
        uuid_text(application),
        target.to_string(),
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

fn model_hash(entry: &audit_entry::Model) -> String {
    let actor = Actor {
        id: entry.actor_id,
        role: entry.actor_role.clone(),
        organization: entry.actor_organization,
    };
    entry_hash(
        &entry.prev_hash,
        entry.seq,
        entry.at.timestamp_millis(),
        &actor,
        &entry.action,
        entry.application_id,
        &entry.target,
    )
}

/// Appends an entry inside `txn`, the transaction of what it records: both are
/// kept or neither. Call it before any read in a SQLite transaction (its first
/// statement takes the write lock).
pub async fn append(
    txn: &DatabaseTransaction,
    entry: NewEntry,
    now: DateTime<Utc>,
) -> Result<audit_entry::Model, PersistenceError> {
    let backend = txn.get_database_backend();
    let row = txn
        .query_one_raw(Statement::from_string(
            backend,
            "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
        ))
        .await?
        .ok_or_else(|| PersistenceError::Corrupt("the audit head row is missing".into()))?;
    let seq: i64 = row.try_get("", "seq")?;
    let prev_hash: String = row.try_get("", "hash")?;
    // Milliseconds: what the hash covers is exactly what every database keeps.
    let at = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
    let action = entry.action.as_str();
    let hash = entry_hash(
        &prev_hash,
        seq,
        at.timestamp_millis(),
        &entry.actor,
        action,
        entry.application,
        &entry.target,
    );
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        "UPDATE audit_head SET hash = $1 WHERE id = 1",
        vec![hash.clone().into()],
    ))
    .await?;
    Ok(audit_entry::ActiveModel {
        seq: Set(seq),
        at: Set(at),
        actor_id: Set(entry.actor.id),
        actor_role: Set(entry.actor.role),
        actor_organization: Set(entry.actor.organization),
        action: Set(action.to_string()),
        application_id: Set(entry.application),
        target: Set(entry.target),
        prev_hash: Set(prev_hash),
        hash: Set(hash),
    }
    .insert(txn)
    .await?)
}

/// Appends an entry in a transaction of its own.
pub async fn append_alone(
    db: &DatabaseConnection,
    entry: NewEntry,
    now: DateTime<Utc>,
) -> Result<audit_entry::Model, PersistenceError> {
    let txn = db.begin().await?;
    let model = append(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(model)
}

/// Signs the chain's head when it moved since the last checkpoint; the
/// checkpoint's `seq` when one was written. Instances doing this at once write
/// one checkpoint for a head (the others' are the same and skipped).
pub async fn checkpoint(
    db: &DatabaseConnection,
    key: &AuditKey,
    now: DateTime<Utc>,
) -> Result<Option<i64>, PersistenceError> {
    let (seq, hash) = head(db).await?;
    sign(db, key, seq, &hash, now).await
}

/// Signs entry `seq`, whose hash is `hash` (a head read or verified), unless a
/// checkpoint at or past it exists.
pub async fn sign(
    db: &DatabaseConnection,
    key: &AuditKey,
    seq: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, PersistenceError> {
    if seq < 1 {
        return Ok(None);
    }
    let last = audit_checkpoint::Entity::find()
        .order_by_desc(audit_checkpoint::Column::Seq)
        .one(db)
        .await?;
    if last.is_some_and(|last| last.seq >= seq) {
        return Ok(None);
    }
    let inserted = audit_checkpoint::Entity::insert(audit_checkpoint::ActiveModel {
        seq: Set(seq),
        mac: Set(key.sign(seq, hash)),
        hash: Set(hash.to_string()),
        key_id: Set(key.id()),
        signed_at: Set(now),
    })
    .on_conflict_do_nothing_on([audit_checkpoint::Column::Seq])
    .exec_without_returning(db)
    .await?;
    Ok(matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0).then_some(seq))
}

/// Entries about one application, oldest first: up to `limit` after `after`
/// (a `seq`). Only entries of the chain (`seq` from 1) are listed.
pub async fn for_application(
    db: &DatabaseConnection,
    application: Uuid,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<audit_entry::Model>, PersistenceError> {
    Ok(audit_entry::Entity::find()
        .filter(audit_entry::Column::ApplicationId.eq(application))
        .filter(audit_entry::Column::Seq.gt(after.unwrap_or(0).max(0)))
        .order_by_asc(audit_entry::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// Up to `limit` entries before `before` (the newest when `None`), newest first.
pub async fn page(
    db: &DatabaseConnection,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<audit_entry::Model>, PersistenceError> {
    let mut query = audit_entry::Entity::find()
        .order_by_desc(audit_entry::Column::Seq)
        .limit(limit);
    if let Some(before) = before {
        query = query.filter(audit_entry::Column::Seq.lt(before));
    }
    Ok(query
        .filter(audit_entry::Column::Seq.gte(1))
        .all(db)
        .await?)
}

/// The chain's head: (seq, hash) of the last entry.
pub async fn head(db: &impl ConnectionTrait) -> Result<(i64, String), PersistenceError> {
    let head = audit_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| PersistenceError::Corrupt("the audit head row is missing".into()))?;
    Ok((head.seq, head.hash))
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub seq: i64,
    pub reason: String,
}

/// An intact chain: how many entries, the head hash, and how many checkpoints
/// were checked (the last one's `seq`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intact {
    pub entries: i64,
    pub head: String,
    pub checkpoints: usize,
    pub last_checkpoint: Option<i64>,
}

/// Walks the chain up to the head it read first, a page at a time, checking
/// every checkpoint up to there with `key`. Entries appended meanwhile are not
/// an error; a row outside `1..=head` that no append made is.
pub async fn verify(
    db: &DatabaseConnection,
    key: &AuditKey,
) -> Result<Result<Intact, Break>, PersistenceError> {
    const PAGE: u64 = 1000;
    let (head_seq, head_hash) = head(db).await?;
    if let Some(stray) = audit_entry::Entity::find()
        .filter(audit_entry::Column::Seq.lt(1))
        .order_by_asc(audit_entry::Column::Seq)
        .one(db)
        .await?
    {
        return Ok(Err(Break {
            seq: stray.seq,
            reason: format!(
                "entry {} is not part of the chain (its entries are numbered from 1): it was written into the database directly",
                stray.seq
            ),
        }));
    }
    let checkpoints = audit_checkpoint::Entity::find()
        .filter(audit_checkpoint::Column::Seq.lte(head_seq))
        .order_by_asc(audit_checkpoint::Column::Seq)
        .all(db)
        .await?;
    for checkpoint in &checkpoints {
        if checkpoint.seq < 1 || checkpoint.mac != key.sign(checkpoint.seq, &checkpoint.hash) {
            let why = if checkpoint.key_id != key.id() {
                format!(
                    "its checkpoint was signed with another audit key ({}; this one is {}): give every instance the same AUDIT_KEY",
                    checkpoint.key_id,
                    key.id()
                )
            } else {
                "its checkpoint's signature does not match: the checkpoint was changed".to_string()
            };
            return Ok(Err(Break {
                seq: checkpoint.seq,
                reason: why,
            }));
        }
    }
    let mut signed = checkpoints.iter().peekable();
    let (mut expected, mut prev) = (1i64, GENESIS.to_string());
    loop {
        let entries = audit_entry::Entity::find()
            .filter(audit_entry::Column::Seq.gte(expected))
            .filter(audit_entry::Column::Seq.lte(head_seq))
            .order_by_asc(audit_entry::Column::Seq)
            .limit(PAGE)
            .all(db)
            .await?;
        if entries.is_empty() {
            break;
        }
        for entry in entries {
            if entry.seq != expected {
                return Ok(Err(Break {
                    seq: expected,
                    reason: format!("entry {expected} is missing (the next is {})", entry.seq),
                }));
            }
            if entry.prev_hash != prev {
                return Ok(Err(Break {
                    seq: entry.seq,
                    reason: "its link to the entry before does not match".into(),
                }));
            }
            if model_hash(&entry) != entry.hash {
                return Ok(Err(Break {
                    seq: entry.seq,
                    reason: "its content was changed after it was written".into(),
                }));
            }
            if let Some(checkpoint) = signed.next_if(|c| c.seq == entry.seq) {
                if checkpoint.hash != entry.hash {
                    return Ok(Err(Break {
                        seq: entry.seq,
                        reason: "it is not the entry its signed checkpoint names: the chain was rewritten up to here".into(),
                    }));
                }
            }
            prev = entry.hash;
            expected += 1;
        }
    }
    let last = expected - 1;
    if last != head_seq || prev != head_hash {
        return Ok(Err(Break {
            seq: last + 1,
            reason: format!("the chain ends at entry {last} but its head says {head_seq}: entries were removed from the end"),
        }));
    }
    // Rows past the head read first were appended meanwhile, unless they are
    // past the head even now (heads only grow, and an append moves the head in
    // the transaction that writes its row).
    let beyond = audit_entry::Entity::find()
        .filter(audit_entry::Column::Seq.gt(head_seq))
        .order_by_desc(audit_entry::Column::Seq)
        .one(db)
        .await?;
    if let Some(beyond) = beyond {
        let (now_seq, _) = head(db).await?;
        if beyond.seq > now_seq {
            return Ok(Err(Break {
                seq: beyond.seq,
                reason: format!(
                    "entry {} is past the chain's head ({now_seq}): it was written into the database directly",
                    beyond.seq
                ),
            }));
        }
    }
    Ok(Ok(Intact {
        entries: last,
        head: prev,
        checkpoints: checkpoints.len(),
        last_checkpoint: checkpoints.last().map(|c| c.seq),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_changes_the_hash() {
        let actor = Actor {
            id: Some(Uuid::nil()),
            role: "admin".into(),
            organization: None,
        };
        let base = entry_hash(GENESIS, 1, 1000, &actor, "view", None, "a b");
        let other_actor = Actor {
            role: "recruiter".into(),
            ..actor.clone()
        };
        for changed in [
            entry_hash("1", 1, 1000, &actor, "view", None, "a b"),
            entry_hash(GENESIS, 2, 1000, &actor, "view", None, "a b"),
            entry_hash(GENESIS, 1, 1001, &actor, "view", None, "a b"),
            entry_hash(GENESIS, 1, 1000, &other_actor, "view", None, "a b"),
            entry_hash(GENESIS, 1, 1000, &actor, "delete", None, "a b"),
            entry_hash(GENESIS, 1, 1000, &actor, "view", Some(Uuid::nil()), "a b"),
            entry_hash(GENESIS, 1, 1000, &actor, "view", None, "a  b"),
        ] {
            assert_ne!(base, changed);
        }
        // Moving text between fields changes it too (length prefixes).
        let a = Actor {
            id: None,
            role: "ab".into(),
            organization: None,
        };
        let b = Actor {
            id: None,
            role: "a".into(),
            organization: None,
        };
        assert_ne!(
            entry_hash(GENESIS, 1, 0, &a, "c", None, ""),
            entry_hash(GENESIS, 1, 0, &b, "bc", None, "")
        );
    }
}
