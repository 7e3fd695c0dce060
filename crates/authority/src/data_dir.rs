//! The authority account's data directory: session, store key and store.
//!
//! ```text
//! DATA_DIR/session.json   homeserver URL + Matrix session (access token!)
//! DATA_DIR/store.key      32 random bytes (hex) encrypting the store
//! DATA_DIR/store/         matrix-sdk SQLite state, crypto and media stores
//! ```
//!
//! `session.json` and `store.key` are secrets: written with mode 0600 on
//! Unix, never logged, and their `Debug` output is redacted. An IT
//! department keeps the whole directory on an encrypted volume or injects
//! the two files from its secret manager.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use matrix_sdk::authentication::matrix::MatrixSession;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{AuthorityError, Result};

/// What `session.json` holds.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredSession {
    /// The homeserver's base URL.
    pub homeserver: String,
    /// The Matrix session (user, device, access token).
    pub session: MatrixSession,
}

impl std::fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSession")
            .field("homeserver", &self.homeserver)
            .field("user_id", &self.session.meta.user_id)
            .field("device_id", &self.session.meta.device_id)
            .field("access_token", &"<redacted>")
            .finish()
    }
}

/// The data directory of one authority account.
#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Uses `root`, creating it (mode 0700 on Unix) if needed.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|e| AuthorityError::io(&root, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(&root, fs::Permissions::from_mode(0o700))
                .map_err(|e| AuthorityError::io(&root, e))?;
        }
        Ok(Self { root })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Where the matrix-sdk stores live.
    pub fn store_path(&self) -> PathBuf {
        self.root.join("store")
    }

    fn session_path(&self) -> PathBuf {
        self.root.join("session.json")
    }

    fn key_path(&self) -> PathBuf {
        self.root.join("store.key")
    }

    /// The store key, created on first use.
    pub fn store_key(&self) -> Result<Zeroizing<[u8; 32]>> {
        let path = self.key_path();
        match fs::read_to_string(&path) {
            Ok(text) => {
                let text = Zeroizing::new(text);
                let bytes = Zeroizing::new(hex::decode(text.trim()).map_err(|_| {
                    AuthorityError::CorruptDataDir {
                        path: path.clone(),
                        reason: "not hex".into(),
                    }
                })?);
                let key: [u8; 32] =
                    bytes
                        .as_slice()
                        .try_into()
                        .map_err(|_| AuthorityError::CorruptDataDir {
                            path: path.clone(),
                            reason: "not 32 bytes".into(),
                        })?;
                Ok(Zeroizing::new(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = Zeroizing::new([0u8; 32]);
                getrandom::fill(key.as_mut())
                    .map_err(|e| AuthorityError::io(&path, std::io::Error::other(e.to_string())))?;
                let text = Zeroizing::new(hex::encode(key.as_ref()));
                write_secret(&path, text.as_bytes())?;
                Ok(key)
            }
            Err(e) => Err(AuthorityError::io(path, e)),
        }
    }

    /// The stored session, if any.
    pub fn load_session(&self) -> Result<Option<StoredSession>> {
        let path = self.session_path();
        match fs::read(&path) {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                let session = serde_json::from_slice(&bytes).map_err(|e| {
                    AuthorityError::CorruptDataDir {
                        path: path.clone(),
                        // serde's message names positions, not values.
                        reason: format!("unreadable session: line {}", e.line()),
                    }
                })?;
                Ok(Some(session))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(AuthorityError::io(path, e)),
        }
    }

    /// Saves the session (mode 0600).
    pub fn save_session(&self, session: &StoredSession) -> Result<()> {
        let json = Zeroizing::new(serde_json::to_vec_pretty(session)?);
        write_secret(&self.session_path(), &json)
    }
}

/// Writes a secret file readable by the owner only, replacing it atomically.
fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(&tmp)
        .map_err(|e| AuthorityError::io(&tmp, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| AuthorityError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| AuthorityError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_key_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::open(dir.path().join("d")).unwrap();
        let first = data.store_key().unwrap();
        let second = data.store_key().unwrap();
        assert_eq!(*first, *second);
        assert_ne!(*first, [0u8; 32]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(data.key_path()).unwrap().permissions().mode();
            assert_eq!(
                mode & 0o077,
                0,
                "store.key must not be group/world readable"
            );
        }
    }

    #[test]
    fn missing_session_is_none_and_corrupt_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::open(dir.path()).unwrap();
        assert!(data.load_session().unwrap().is_none());
        fs::write(data.session_path(), b"{not json").unwrap();
        assert!(matches!(
            data.load_session(),
            Err(AuthorityError::CorruptDataDir { .. })
        ));
    }
}
