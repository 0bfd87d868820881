//! The server's own secret keys (the built-in store's, the audit trail's): from
//! a setting when one is given, else from a file under `DATA_DIR` that is made
//! once with a random key and kept readable by its owner only.

use std::{
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::Path,
};

use base64::{engine::general_purpose::STANDARD, Engine};
use rand::RngCore;

use crate::{encoding::from_hex, settings::Secret};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0} must be 32 bytes as 64 hex digits or base64")]
    BadSetting(&'static str),
    #[error("{0} does not hold a valid key")]
    BadFile(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// 32 bytes as 64 hex digits or base64.
pub fn parse_key(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    from_hex::<32>(text).or_else(|| STANDARD.decode(text).ok()?.try_into().ok())
}

/// The key of `setting` when it is `configured`, else the one kept in
/// `data_dir/file` (made once, 0600).
pub fn load_or_create(
    data_dir: &Path,
    file: &str,
    setting: &'static str,
    configured: Option<&Secret>,
) -> Result<[u8; 32], KeyError> {
    if let Some(secret) = configured {
        return parse_key(secret.expose()).ok_or(KeyError::BadSetting(setting));
    }
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join(file);
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut file) => {
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            file.write_all(STANDARD.encode(key).as_bytes())?;
            file.sync_all()?;
            Ok(key)
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&path)?;
            let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
            parse_key(&text).ok_or_else(|| KeyError::BadFile(path.display().to_string()))
        }
        Err(error) => Err(error.into()),
    }
}

/// The audit trail's checkpoint key (AUDIT_KEY, else `DATA_DIR/audit.key`).
pub fn audit_key(
    settings: &crate::settings::Settings,
) -> Result<crate::db::audit::AuditKey, KeyError> {
    load_or_create(
        &settings.data_dir,
        "audit.key",
        "AUDIT_KEY",
        settings.audit_key.as_ref(),
    )
    .map(crate::db::audit::AuditKey::new)
}
