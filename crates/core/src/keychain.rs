//! Secrets in the operating system's keychain.
//!
//! Everything that would let someone read a citizen's correspondence lives
//! here and nowhere else: the Matrix session (access and refresh token), the
//! 32-byte key that encrypts the local SQLite store, and the recovery key for
//! the server-side key backup. Entries use the service name [`SERVICE`] and
//! one account per profile and secret (`"<profile>/session"`, …).
//!
//! The platform store is the Secret Service on Linux (GNOME Keyring, KWallet,
//! KeePassXC, talked to over D-Bus with `zbus`), the Keychain on macOS and
//! the Credential Manager on Windows, all through `keyring-core`.
//!
//! There is deliberately no fallback: a missing or locked keychain is a
//! [`KeychainError`] that tells the user what to do, never a file with the
//! secrets in plain text.
//!
//! The platform calls block (D-Bus round trips, possibly an unlock prompt):
//! from async code call them through [`tokio::task::spawn_blocking`], as
//! [`crate::CitizenClient`] does. On Linux the Secret Service client uses
//! zbus with its own `async-io` executor (not Tokio's), so a direct call from
//! async code only blocks the thread and never panics. One connection to the
//! platform store is opened per process and kept.

use std::fmt;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use keyring_core::{CredentialStore, Entry};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The keychain service name under which all entries are stored.
pub const SERVICE: &str = "de.amtsbote.desktop";

/// What can go wrong with the keychain. No variant ever carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    /// There is no keychain service to talk to (on Linux: no Secret Service
    /// on the session bus).
    #[error(
        "no keychain is available ({reason}); on Linux install and start a Secret Service \
         provider such as GNOME Keyring or KeePassXC, then try again"
    )]
    Unavailable {
        /// What the platform said.
        reason: String,
    },
    /// The keychain exists but is locked, or access was denied.
    #[error(
        "the keychain is locked or access was denied ({reason}); unlock it (e.g. log in to \
         the desktop session or open the keyring manager) and try again"
    )]
    Locked {
        /// What the platform said.
        reason: String,
    },
    /// An entry exists but does not hold what this application wrote.
    #[error("the keychain entry `{account}` is damaged; log out and log in again to replace it")]
    Corrupt {
        /// The account name of the damaged entry.
        account: String,
    },
    /// Any other failure of the platform store.
    #[error("the keychain failed: {reason}")]
    Platform {
        /// What the platform said.
        reason: String,
    },
}

/// A string secret: zeroized on drop, redacted in `Debug`.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself. Do not log or display it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl Serialize for SecretString {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// The raw 32-byte key of the local SQLite store (state, crypto and event
/// cache). Zeroized on drop, redacted in `Debug`.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct StoreKey([u8; 32]);

impl StoreKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Self, KeychainError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|error| KeychainError::Platform {
            reason: format!("no random source: {error}"),
        })?;
        let store_key = Self(key);
        key.zeroize();
        Ok(store_key)
    }

    /// The key bytes, for the store. Do not log them.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64.encode(self.0))
    }

    fn from_base64(text: &str) -> Option<Self> {
        let bytes = Zeroizing::new(BASE64.decode(text.trim()).ok()?);
        let array: &[u8; 32] = bytes.as_slice().try_into().ok()?;
        Some(Self(*array))
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey(<redacted>)")
    }
}

/// A Matrix login as kept in the keychain: enough to restore the client
/// without talking to the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSession {
    /// The homeserver's client-server API base URL.
    pub homeserver_url: String,
    /// The full Matrix user id.
    pub user_id: String,
    /// The device this login created.
    pub device_id: String,
    /// The access token.
    pub access_token: SecretString,
    /// The refresh token, if the server issued one.
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
}

/// The kinds of entry this application keeps per profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretKind {
    /// The serialized [`StoredSession`].
    Session,
    /// The [`StoreKey`], base64.
    StoreKey,
    /// The recovery key of the server-side key backup.
    RecoveryKey,
}

impl SecretKind {
    /// All kinds, e.g. to delete everything at logout.
    pub const ALL: [SecretKind; 3] = [Self::Session, Self::StoreKey, Self::RecoveryKey];

    fn suffix(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::StoreKey => "store-key",
            Self::RecoveryKey => "recovery-key",
        }
    }
}

/// The keychain entries of one profile (one citizen login on this machine).
#[derive(Clone)]
pub struct Keychain {
    store: Arc<CredentialStore>,
    profile: String,
}

impl fmt::Debug for Keychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keychain")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl Keychain {
    /// Opens the platform keychain for `profile`. Blocking.
    ///
    /// The profile name becomes part of the account names; it must not be
    /// empty and must not contain `/`.
    pub fn open(profile: &str) -> Result<Self, KeychainError> {
        if profile.is_empty() || profile.contains('/') {
            return Err(KeychainError::Platform {
                reason: format!("invalid profile name `{profile}`"),
            });
        }
        Ok(Self {
            store: platform_store()?,
            profile: profile.to_owned(),
        })
    }

    /// The profile these entries belong to.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// The account name of one entry, e.g. `default/session`.
    pub fn account(&self, kind: SecretKind) -> String {
        format!("{}/{}", self.profile, kind.suffix())
    }

    /// The stored session, if any. Blocking.
    pub fn session(&self) -> Result<Option<StoredSession>, KeychainError> {
        let Some(json) = self.get(SecretKind::Session)? else {
            return Ok(None);
        };
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|_| KeychainError::Corrupt {
                account: self.account(SecretKind::Session),
            })
    }

    /// Stores (replaces) the session. Blocking.
    pub fn set_session(&self, session: &StoredSession) -> Result<(), KeychainError> {
        let json = Zeroizing::new(serde_json::to_string(session).map_err(|error| {
            KeychainError::Platform {
                reason: format!("could not serialize the session: {error}"),
            }
        })?);
        self.set(SecretKind::Session, &json)
    }

    /// The store key, if any. Blocking.
    pub fn store_key(&self) -> Result<Option<StoreKey>, KeychainError> {
        let Some(text) = self.get(SecretKind::StoreKey)? else {
            return Ok(None);
        };
        StoreKey::from_base64(&text)
            .map(Some)
            .ok_or_else(|| KeychainError::Corrupt {
                account: self.account(SecretKind::StoreKey),
            })
    }

    /// Stores (replaces) the store key. Blocking.
    pub fn set_store_key(&self, key: &StoreKey) -> Result<(), KeychainError> {
        self.set(SecretKind::StoreKey, &key.to_base64())
    }

    /// The recovery key, if any. Blocking.
    pub fn recovery_key(&self) -> Result<Option<SecretString>, KeychainError> {
        Ok(self
            .get(SecretKind::RecoveryKey)?
            .map(|key| SecretString::new(key.as_str())))
    }

    /// Stores (replaces) the recovery key. Blocking.
    pub fn set_recovery_key(&self, key: &SecretString) -> Result<(), KeychainError> {
        self.set(SecretKind::RecoveryKey, key.expose())
    }

    /// Whether an entry of `kind` exists. Blocking.
    pub fn contains(&self, kind: SecretKind) -> Result<bool, KeychainError> {
        Ok(self.get(kind)?.is_some())
    }

    /// Deletes one entry; deleting a missing entry is not an error. Blocking.
    pub fn delete(&self, kind: SecretKind) -> Result<(), KeychainError> {
        match self.entry(kind)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(error) => Err(map_error(error)),
        }
    }

    /// Deletes all entries of this profile. Blocking.
    pub fn delete_all(&self) -> Result<(), KeychainError> {
        for kind in SecretKind::ALL {
            self.delete(kind)?;
        }
        Ok(())
    }

    fn entry(&self, kind: SecretKind) -> Result<Entry, KeychainError> {
        Entry::new_in_store(&self.store, SERVICE, &self.account(kind)).map_err(map_error)
    }

    fn get(&self, kind: SecretKind) -> Result<Option<Zeroizing<String>>, KeychainError> {
        match self.entry(kind)?.get_password() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(keyring_core::Error::BadEncoding(mut bytes)) => {
                bytes.zeroize();
                Err(KeychainError::Corrupt {
                    account: self.account(kind),
                })
            }
            Err(error) => Err(map_error(error)),
        }
    }

    fn set(&self, kind: SecretKind, secret: &str) -> Result<(), KeychainError> {
        self.entry(kind)?.set_password(secret).map_err(map_error)
    }
}

/// The platform's credential store, opened once per process.
///
/// Kept for the process' lifetime: one D-Bus connection instead of one per
/// profile, and never dropped on an async thread.
fn platform_store() -> Result<Arc<CredentialStore>, KeychainError> {
    static STORE: OnceLock<Arc<CredentialStore>> = OnceLock::new();
    if let Some(store) = STORE.get() {
        return Ok(store.clone());
    }
    let store = open_platform_store()?;
    Ok(STORE.get_or_init(|| store).clone())
}

fn open_platform_store() -> Result<Arc<CredentialStore>, KeychainError> {
    #[cfg(target_os = "linux")]
    {
        let store = zbus_secret_service_keyring_store::Store::new().map_err(|error| {
            // Connecting fails when there is no session bus or nothing on it
            // provides org.freedesktop.secrets.
            KeychainError::Unavailable {
                reason: error.to_string(),
            }
        })?;
        Ok(store)
    }
    #[cfg(target_os = "macos")]
    {
        let store = apple_native_keyring_store::keychain::Store::new().map_err(|error| {
            KeychainError::Unavailable {
                reason: error.to_string(),
            }
        })?;
        Ok(store)
    }
    #[cfg(target_os = "windows")]
    {
        let store = windows_native_keyring_store::Store::new().map_err(|error| {
            KeychainError::Unavailable {
                reason: error.to_string(),
            }
        })?;
        Ok(store)
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
    {
        Err(KeychainError::Unavailable {
            reason: "this operating system has no supported keychain".to_owned(),
        })
    }
}

/// Maps a `keyring-core` error to ours, dropping any secret bytes it carries.
fn map_error(error: keyring_core::Error) -> KeychainError {
    use keyring_core::Error as E;
    match error {
        E::NoStorageAccess(inner) => KeychainError::Locked {
            reason: inner.to_string(),
        },
        E::NoDefaultStore => KeychainError::Unavailable {
            reason: "no credential store".to_owned(),
        },
        E::BadEncoding(mut bytes) => {
            bytes.zeroize();
            KeychainError::Platform {
                reason: "an entry is not UTF-8".to_owned(),
            }
        }
        E::BadDataFormat(mut bytes, inner) => {
            bytes.zeroize();
            KeychainError::Platform {
                reason: format!("an entry is malformed: {inner}"),
            }
        }
        E::Ambiguous(entries) => KeychainError::Platform {
            reason: format!("{} entries match one account", entries.len()),
        },
        other => KeychainError::Platform {
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A profile name nobody else uses, so parallel tests do not collide.
    fn fresh_profile(name: &str) -> String {
        let mut bytes = [0u8; 6];
        getrandom::fill(&mut bytes).unwrap();
        let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("test-{name}-{suffix}")
    }

    fn sample_session() -> StoredSession {
        StoredSession {
            homeserver_url: "http://127.0.0.1:8008".to_owned(),
            user_id: "@citizen:localhost".to_owned(),
            device_id: "DEVICE".to_owned(),
            access_token: SecretString::new("syt_access_secret"),
            refresh_token: Some(SecretString::new("syr_refresh_secret")),
        }
    }

    #[test]
    fn session_round_trip_and_delete() {
        let keychain = Keychain::open(&fresh_profile("session")).unwrap();
        assert_eq!(keychain.session().unwrap(), None);
        let session = sample_session();
        keychain.set_session(&session).unwrap();
        assert_eq!(keychain.session().unwrap(), Some(session));
        keychain.delete(SecretKind::Session).unwrap();
        assert_eq!(keychain.session().unwrap(), None);
        // Deleting again is fine.
        keychain.delete(SecretKind::Session).unwrap();
    }

    #[test]
    fn store_key_round_trip_and_is_random() {
        let keychain = Keychain::open(&fresh_profile("store-key")).unwrap();
        assert!(keychain.store_key().unwrap().is_none());
        let key = StoreKey::generate().unwrap();
        assert_ne!(key, StoreKey::generate().unwrap());
        keychain.set_store_key(&key).unwrap();
        assert_eq!(keychain.store_key().unwrap(), Some(key));
        keychain.delete_all().unwrap();
    }

    #[test]
    fn recovery_key_and_delete_all() {
        let keychain = Keychain::open(&fresh_profile("all")).unwrap();
        keychain.set_session(&sample_session()).unwrap();
        keychain
            .set_store_key(&StoreKey::generate().unwrap())
            .unwrap();
        keychain
            .set_recovery_key(&SecretString::new("EsT1 abcd efgh"))
            .unwrap();
        assert_eq!(
            keychain.recovery_key().unwrap().unwrap().expose(),
            "EsT1 abcd efgh"
        );
        for kind in SecretKind::ALL {
            assert!(keychain.contains(kind).unwrap(), "{kind:?} missing");
        }
        keychain.delete_all().unwrap();
        for kind in SecretKind::ALL {
            assert!(!keychain.contains(kind).unwrap(), "{kind:?} left behind");
        }
    }

    #[test]
    fn profiles_are_separate() {
        let a = Keychain::open(&fresh_profile("a")).unwrap();
        let b = Keychain::open(&fresh_profile("b")).unwrap();
        a.set_session(&sample_session()).unwrap();
        assert!(b.session().unwrap().is_none());
        a.delete_all().unwrap();
    }

    #[test]
    fn corrupt_store_key_is_a_typed_error() {
        let keychain = Keychain::open(&fresh_profile("corrupt")).unwrap();
        keychain
            .set(SecretKind::StoreKey, "not base64 of 32 bytes")
            .unwrap();
        assert!(matches!(
            keychain.store_key(),
            Err(KeychainError::Corrupt { .. })
        ));
        keychain.delete_all().unwrap();
    }

    #[test]
    fn debug_never_shows_secrets() {
        let session = sample_session();
        let text = format!("{session:?}");
        assert!(!text.contains("syt_access_secret"), "{text}");
        assert!(!text.contains("syr_refresh_secret"), "{text}");
        let key = StoreKey::generate().unwrap();
        assert_eq!(format!("{key:?}"), "StoreKey(<redacted>)");
    }

    #[test]
    fn locked_keychain_maps_to_locked() {
        let error = map_error(keyring_core::Error::NoStorageAccess(Box::new(
            std::io::Error::other("collection is locked"),
        )));
        assert!(matches!(error, KeychainError::Locked { .. }));
        assert!(error.to_string().contains("unlock"));
    }

    #[test]
    fn invalid_profile_names_are_refused() {
        assert!(Keychain::open("").is_err());
        assert!(Keychain::open("a/b").is_err());
    }
}
