//! The built-in store: files under `DATA_DIR/objects`, AES-256-GCM encrypted at rest
//! (the key bound to the object key as associated data), written atomically, and
//! served by the server at `/media/{key}?expires=..&sig=..` behind an HMAC signature.

use std::{
    collections::HashSet,
    io::Write,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
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
    folders: Arc<DurableFolders>,
}

/// The folders under the root whose own entry, and every entry above them,
/// this process has synced: a folder an upload creates must survive a power
/// cut with the object in it, so its entry in its parent is synced, and so on
/// up to the first folder known here. A folder joins only once that is done,
/// so two first uploads into a new folder both sync (neither is acknowledged
/// before the folder is durable); later uploads into it sync nothing above it.
struct DurableFolders {
    root: PathBuf,
    known: Mutex<HashSet<PathBuf>>,
    /// Makes a folder's entries durable: `fsync` of the folder (tests watch it).
    sync: SyncFolder,
}

/// How [`DurableFolders`] makes a folder's entries durable.
type SyncFolder = Box<dyn Fn(&Path) -> std::io::Result<()> + Send + Sync>;

/// Past this many folders the set starts again (a folder forgotten costs its
/// next upload a few syncs, nothing more): two per application.
const DURABLE_FOLDERS_KEPT: usize = 100_000;

fn sync_folder(folder: &Path) -> std::io::Result<()> {
    std::fs::File::open(folder)?.sync_all()
}

impl DurableFolders {
    fn new(root: PathBuf) -> Self {
        DurableFolders {
            root,
            known: Mutex::default(),
            sync: Box::new(sync_folder),
        }
    }

    fn is_known(&self, folder: &Path) -> bool {
        folder == self.root || self.known.lock().is_ok_and(|known| known.contains(folder))
    }

    /// Creates `folder` (plain names under the root) if it is missing and
    /// syncs every folder between it and the first one known durable that
    /// existed before: the folders it synced, deepest first.
    fn ensure(&self, folder: &Path) -> std::io::Result<Vec<PathBuf>> {
        let inside = folder
            .strip_prefix(&self.root)
            .ok()
            .filter(|inside| {
                inside
                    .components()
                    .all(|part| matches!(part, std::path::Component::Normal(_)))
            })
            .ok_or_else(|| std::io::Error::other("a folder outside the store"))?;
        if inside.as_os_str().is_empty() || (folder.is_dir() && self.is_known(folder)) {
            return Ok(Vec::new());
        }
        // Folders below this one are made now: their entries are synced
        // whatever the set says (a known folder removed behind the store's
        // back and made again is not trusted).
        let existed = folder
            .ancestors()
            .find(|folder| folder.is_dir())
            .unwrap_or(&self.root)
            .to_path_buf();
        std::fs::create_dir_all(folder)?;
        let mut synced = Vec::new();
        let mut chain = Vec::new();
        let mut current = folder;
        while current != self.root {
            let Some(parent) = current.parent() else {
                break;
            };
            (self.sync)(parent)?;
            synced.push(parent.to_path_buf());
            chain.push(current.to_path_buf());
            if existed.starts_with(parent) && self.is_known(parent) {
                break;
            }
            current = parent;
        }
        if let Ok(mut known) = self.known.lock() {
            if known.len() + chain.len() > DURABLE_FOLDERS_KEPT {
                known.clear();
            }
            known.extend(chain);
        }
        Ok(synced)
    }
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
        // The root's own entry, made durable once (uploads sync below it).
        sync_folder(data_dir)?;
        Ok(FileStore {
            folders: Arc::new(DurableFolders::new(root.clone())),
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

/// Writes to a temporary file in the same folder, syncs, renames, and syncs
/// the folder: readers see the whole object or none, and once this returns a
/// power cut loses neither the object nor any folder made for it.
fn write_atomically(folders: &DurableFolders, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("object path has no folder"))?;
    folders.ensure(dir)?;
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
        let folders = self.folders.clone();
        tokio::task::spawn_blocking(move || write_atomically(&folders, &path, &sealed))
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

    #[test]
    fn a_new_folder_is_synced_up_to_the_first_one_known_durable_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("objects");
        std::fs::create_dir_all(&root).unwrap();
        let folders = DurableFolders::new(root.clone());
        let camera = root.join("monitoring/app-1/camera");
        // camera's entry in app-1, app-1's in monitoring, monitoring's in the root.
        assert_eq!(
            folders.ensure(&camera).unwrap(),
            [
                root.join("monitoring/app-1"),
                root.join("monitoring"),
                root.clone()
            ]
        );
        assert!(camera.is_dir());
        assert!(folders.ensure(&camera).unwrap().is_empty());
        // A sibling: its own entry only; app-1 is known.
        assert_eq!(
            folders
                .ensure(&root.join("monitoring/app-1/screen"))
                .unwrap(),
            [root.join("monitoring/app-1")]
        );
        assert_eq!(
            folders
                .ensure(&root.join("monitoring/app-2/camera"))
                .unwrap(),
            [root.join("monitoring/app-2"), root.join("monitoring")]
        );
        // Removed behind the store's back, with the folder above it: made
        // and synced again up to a folder that was there before.
        std::fs::remove_dir_all(root.join("monitoring/app-1")).unwrap();
        assert_eq!(
            folders.ensure(&camera).unwrap(),
            [root.join("monitoring/app-1"), root.join("monitoring")]
        );
        assert!(camera.is_dir());
        // A folder that exists but this process has not synced (a crash may
        // have come before an earlier process synced it): synced once.
        let fresh = DurableFolders::new(root.clone());
        assert_eq!(fresh.ensure(&camera).unwrap().len(), 3);
        for outside in [
            dir.path().join("elsewhere"),
            root.join("monitoring/../../elsewhere"),
        ] {
            assert!(fresh.ensure(&outside).is_err(), "{}", outside.display());
        }
        assert!(!dir.path().join("elsewhere").exists());
    }

    /// Two first uploads into one new folder: the second, arriving while the
    /// first is still syncing, syncs too rather than take the folder as durable.
    #[test]
    fn a_folder_another_upload_is_still_syncing_is_synced_again() {
        use std::sync::{
            atomic::{AtomicBool, Ordering},
            Barrier,
        };
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("objects");
        std::fs::create_dir_all(&root).unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let held = AtomicBool::new(false);
        let hold = barrier.clone();
        let folders = Arc::new(DurableFolders {
            sync: Box::new(move |folder| {
                // The first upload stops in its first sync until the second is done.
                if std::thread::current().name() == Some("first")
                    && !held.swap(true, Ordering::SeqCst)
                {
                    hold.wait();
                    hold.wait();
                }
                sync_folder(folder)
            }),
            ..DurableFolders::new(root.clone())
        });
        let camera = root.join("monitoring/app-1/camera");
        let first = {
            let (folders, camera) = (folders.clone(), camera.clone());
            std::thread::Builder::new()
                .name("first".into())
                .spawn(move || folders.ensure(&camera).unwrap())
                .unwrap()
        };
        barrier.wait();
        let second = folders.ensure(&camera).unwrap();
        barrier.wait();
        assert_eq!(
            second.len(),
            3,
            "the second upload synced the new folders itself"
        );
        assert_eq!(first.join().unwrap().len(), 3);
        assert!(folders.ensure(&camera).unwrap().is_empty());
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
