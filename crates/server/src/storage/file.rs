//! The built-in store: files under `DATA_DIR/objects`, AES-256-GCM encrypted at rest
//! (the key bound to the object key as associated data), written atomically, and
//! served by the server at `/media/{key}?expires=..&sig=..` behind an HMAC signature.

use std::{
    io::Write,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
    time::Duration,
};

use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Nonce,
};
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use shared::ObjectKey;

use super::{ListedObject, ObjectStore, StorageError};
use crate::{encoding::from_hex, settings::Secret};

const NONCE_LEN: usize = 12;
const KEY_FILE: &str = "storage.key";

pub struct FileStore {
    root: PathBuf,
    cipher: Aes256Gcm,
    url_key: [u8; 32],
}

fn derive(master: &[u8; 32], purpose: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The key from settings, else the one kept in `DATA_DIR/storage.key` (made once, 0600).
fn master_key(data_dir: &Path, configured: Option<&Secret>) -> Result<[u8; 32], StorageError> {
    crate::keys::load_or_create(data_dir, KEY_FILE, "STORAGE_ENCRYPTION_KEY", configured).map_err(
        |error| match error {
            crate::keys::KeyError::Io(error) => error.into(),
            other => StorageError::Config(other.to_string()),
        },
    )
}

impl FileStore {
    pub fn open(data_dir: &Path, key: Option<&Secret>) -> Result<Self, StorageError> {
        let master = master_key(data_dir, key)?;
        let cipher =
            Aes256Gcm::new_from_slice(&derive(&master, "interview-monitor object encryption v1"))
                .map_err(|_| StorageError::Config("bad key length".into()))?;
        let root = data_dir.join("objects");
        std::fs::create_dir_all(&root)?;
        Ok(FileStore {
            root,
            cipher,
            url_key: derive(&master, "interview-monitor media urls v1"),
        })
    }

    fn path(&self, key: &ObjectKey) -> PathBuf {
        // A parsed ObjectKey has no `..` or absolute parts, so this stays under root.
        self.root.join(key.to_string())
    }

    fn signature(&self, key: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.url_key)
            .expect("HMAC takes any key length");
        mac.update(key.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// Whether `sig` (hex) signs `key` until `expires` (unix seconds), and that is not past.
    /// The comparison is constant-time.
    pub fn verify(&self, key: &str, expires: i64, sig: &str, now: DateTime<Utc>) -> bool {
        if expires < now.timestamp() {
            return false;
        }
        let Some(sig) = from_hex::<32>(sig) else {
            return false;
        };
        self.signature(key, expires).verify_slice(&sig).is_ok()
    }

    /// The decrypted JPEG.
    pub async fn read(&self, key: &ObjectKey) -> Result<Vec<u8>, StorageError> {
        let sealed = match tokio::fs::read(self.path(key)).await {
            Ok(sealed) => sealed,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(StorageError::NotFound)
            }
            Err(error) => return Err(error.into()),
        };
        if sealed.len() < NONCE_LEN {
            return Err(StorageError::Corrupt);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let aad = key.to_string();
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StorageError::Corrupt)
    }

    fn seal(&self, key: &ObjectKey, bytes: &[u8]) -> Result<Vec<u8>, StorageError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = key.to_string();
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: bytes,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StorageError::Corrupt)?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }
}

/// Writes to a temporary file in the same folder, syncs, then renames: readers see
/// the whole object or none.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("object path has no folder"))?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn list_under(root: &Path) -> std::io::Result<Vec<ListedObject>> {
    let mut objects = Vec::new();
    let mut folders = vec![root.join("monitoring")];
    while let Some(folder) = folders.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        for entry in entries {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                folders.push(entry.path());
            } else if kind.is_file() && !entry.file_name().to_string_lossy().starts_with(".tmp-") {
                let key = entry
                    .path()
                    .strip_prefix(root)
                    .map_err(std::io::Error::other)?
                    .to_string_lossy()
                    .into_owned();
                let modified = entry
                    .metadata()?
                    .modified()
                    .map(DateTime::<Utc>::from)
                    .unwrap_or_else(|_| Utc::now());
                objects.push(ListedObject { key, modified });
            }
        }
    }
    Ok(objects)
}

#[async_trait]
impl ObjectStore for FileStore {
    async fn get(&self, key: &ObjectKey) -> Result<Bytes, StorageError> {
        self.read(key).await.map(Bytes::from)
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn put(&self, key: &ObjectKey, payload: &super::Payload) -> Result<(), StorageError> {
        let sealed = self.seal(key, payload.bytes())?;
        let path = self.path(key);
        tokio::task::spawn_blocking(move || write_atomically(&path, &sealed))
            .await
            .map_err(std::io::Error::other)??;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn list(&self) -> Result<Vec<ListedObject>, StorageError> {
        let root = self.root.clone();
        Ok(tokio::task::spawn_blocking(move || list_under(&root))
            .await
            .map_err(std::io::Error::other)??)
    }

    async fn signed_url(
        &self,
        key: &ObjectKey,
        _ttl: Duration,
        expires_at: DateTime<Utc>,
    ) -> Result<String, StorageError> {
        let key = key.to_string();
        let expires = expires_at.timestamp();
        let sig = hex::encode(self.signature(&key, expires).finalize().into_bytes());
        Ok(format!(
            "{}{key}?expires={expires}&sig={sig}",
            super::MEDIA_PREFIX
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn key() -> ObjectKey {
        "monitoring/6f1c2a3b-0000-4000-8000-00000000abcd/camera/1764063000123-0b7e0000-1111-4222-8333-444455556666.jpg"
            .parse()
            .unwrap()
    }

    #[tokio::test]
    async fn objects_are_encrypted_at_rest_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path(), None).unwrap();
        let jpeg = b"\xff\xd8\xff\xe0 a very secret face \xff\xd9".to_vec();
        store
            .put(
                &key(),
                &crate::storage::Payload::new(Bytes::from(jpeg.clone())),
            )
            .await
            .unwrap();
        let on_disk = std::fs::read(dir.path().join("objects").join(key().to_string())).unwrap();
        assert!(!on_disk.windows(6).any(|w| w == b"secret"));
        assert_eq!(store.read(&key()).await.unwrap(), jpeg);
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);

        // The same data dir opens with the same key; another key cannot read it.
        let again = FileStore::open(dir.path(), None).unwrap();
        assert_eq!(again.read(&key()).await.unwrap(), jpeg);
        let other = FileStore::open(dir.path(), Some(&Secret::new("a".repeat(64)))).unwrap();
        assert!(matches!(
            other.read(&key()).await,
            Err(StorageError::Corrupt)
        ));
    }

    #[tokio::test]
    async fn signatures_bind_key_and_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path(), None).unwrap();
        let now = Utc::now();
        let expires = now + chrono::Duration::minutes(5);
        let url = store
            .signed_url(&key(), Duration::from_secs(300), expires)
            .await
            .unwrap();
        let sig = url.rsplit("sig=").next().unwrap();
        let k = key().to_string();
        assert!(store.verify(&k, expires.timestamp(), sig, now));
        assert!(!store.verify(&k, expires.timestamp() + 1, sig, now));
        assert!(!store.verify(
            &k.replace("camera", "screen"),
            expires.timestamp(),
            sig,
            now
        ));
        assert!(!store.verify(
            &k,
            expires.timestamp(),
            sig,
            expires + chrono::Duration::seconds(1)
        ));
        assert!(!store.verify(&k, expires.timestamp(), "zz", now));
    }
}
