//! The citizen's login: [`CitizenClient`], its profile, login, restore and
//! logout.
//!
//! A profile is one login on this machine: a data directory (passed in by
//! the shell) holding the matrix-sdk SQLite store, and keychain entries for
//! the session, the store key and the recovery key (see
//! [`crate::keychain`]).
//!
//! - Login (SSO login token from the eID flow; password only with the
//!   `dev-password-login` feature) always starts a fresh device with a fresh
//!   store and a fresh random store key.
//! - Restore opens the existing store with the key from the keychain and
//!   restores the session from the keychain without any network request, so
//!   the app starts offline and shows cached rooms.
//! - Logout revokes the device on the server when it is reachable, deletes
//!   the store directory and the keychain entries.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::RequestConfig;
use matrix_sdk::encryption::{BackupDownloadStrategy, EncryptionSettings};
use matrix_sdk::store::RoomLoadSettings;
use matrix_sdk::{Client, SessionChange, SessionMeta, SessionTokens, SqliteStoreConfig};
use tokio::sync::{broadcast, watch};
use tokio::task::AbortHandle;

use crate::error::{CoreError, parse_id};
use crate::events::{ConnectionState, CoreEvent};
use crate::keychain::{Keychain, SecretString, StoreKey, StoredSession};

/// The device name the homeserver shows in the citizen's device list.
pub const DEVICE_DISPLAY_NAME: &str = "Amtsbote Desktop";

/// How many events the UI stream buffers per subscriber before it lags.
const EVENT_BUFFER: usize = 512;

/// How long logout waits for the server to revoke the device.
const LOGOUT_TIMEOUT: Duration = Duration::from_secs(10);

/// One login on this machine: a name (for the keychain) and a data
/// directory (for the store).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    name: String,
    data_dir: PathBuf,
}

impl Profile {
    /// A profile named `name` whose data lives under `data_dir`.
    ///
    /// The name is part of the keychain account names: non-empty, no `/`.
    pub fn new(name: impl Into<String>, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            data_dir: data_dir.into(),
        }
    }

    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The profile's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The directory of the matrix-sdk store (state, crypto, event cache,
    /// media), deleted at logout.
    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join("matrix-store")
    }
}

/// How to log in.
enum Credentials<'a> {
    /// An `m.login.token` from the SSO (eID) flow.
    Token(&'a SecretString),
    /// User name and password (development and tests only).
    #[cfg(feature = "dev-password-login")]
    Password {
        user: &'a str,
        password: &'a SecretString,
    },
}

/// What [`CitizenClient::logout`] managed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogoutReport {
    /// The server revoked the device and its tokens. `false` when the server
    /// could not be reached: the device then stays in the account's device
    /// list until removed from another session.
    pub server_revoked: bool,
}

/// The citizen's Matrix client for one profile.
///
/// Dropping it stops its background tasks; the store and keychain entries
/// stay, so [`CitizenClient::restore`] picks up where it left off.
pub struct CitizenClient {
    pub(crate) client: Client,
    pub(crate) keychain: Keychain,
    pub(crate) profile: Profile,
    pub(crate) events: broadcast::Sender<CoreEvent>,
    pub(crate) connection: watch::Sender<ConnectionState>,
    pub(crate) tasks: Mutex<Vec<AbortHandle>>,
    pub(crate) sync: Mutex<Option<crate::sync::SyncTask>>,
    pub(crate) send_lock: tokio::sync::Mutex<()>,
    /// Set when a room's send queue paused itself on a network error; the
    /// sync loop resumes sending after its next successful sync.
    pub(crate) send_paused: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The roots and CRLs authorities are verified against (see
    /// [`crate::trust`]).
    pub(crate) trust_anchors: std::sync::RwLock<std::sync::Arc<crate::trust::TrustAnchors>>,
}

impl std::fmt::Debug for CitizenClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CitizenClient")
            .field("profile", &self.profile)
            .field("user_id", &self.client.user_id())
            .field("device_id", &self.client.device_id())
            .finish_non_exhaustive()
    }
}

impl CitizenClient {
    /// Logs in with the `m.login.token` the SSO (eID) login produced, on a
    /// fresh device, and sets up end-to-end encryption (see
    /// [`crate::e2ee`]).
    ///
    /// Any earlier store of this profile is deleted first: a new login is a
    /// new device, and the old store's keys belong to the old one.
    pub async fn login_with_token(
        profile: Profile,
        homeserver_url: &str,
        login_token: &SecretString,
    ) -> Result<Self, CoreError> {
        Self::login(profile, homeserver_url, Credentials::Token(login_token)).await
    }

    /// Logs in with user name and password. Development and tests only: the
    /// product logs in through eID.
    #[cfg(feature = "dev-password-login")]
    pub async fn login_with_password(
        profile: Profile,
        homeserver_url: &str,
        user: &str,
        password: &SecretString,
    ) -> Result<Self, CoreError> {
        Self::login(
            profile,
            homeserver_url,
            Credentials::Password { user, password },
        )
        .await
    }

    async fn login(
        profile: Profile,
        homeserver_url: &str,
        credentials: Credentials<'_>,
    ) -> Result<Self, CoreError> {
        let keychain = open_keychain(profile.name()).await?;
        remove_dir_if_exists(&profile.store_dir()).await?;

        let store_key = StoreKey::generate()?;
        {
            let keychain = keychain.clone();
            let store_key = store_key.clone();
            blocking(move || keychain.set_store_key(&store_key)).await??;
        }
        let client = build_client(homeserver_url, &profile.store_dir(), &store_key).await?;

        let auth = client.matrix_auth();
        let login = match credentials {
            Credentials::Token(token) => auth.login_token(token.expose()),
            #[cfg(feature = "dev-password-login")]
            Credentials::Password { user, password } => {
                auth.login_username(user, password.expose())
            }
        };
        login
            .initial_device_display_name(DEVICE_DISPLAY_NAME)
            .request_refresh_token()
            .send()
            .await
            .map_err(|error| CoreError::Login(Box::new(error)))?;
        let session =
            stored_session(&client, homeserver_url).expect("a successful login sets the session");
        {
            let keychain = keychain.clone();
            if let Err(error) = blocking(move || keychain.set_session(&session)).await? {
                // Without the session in the keychain this device could never
                // be restored: do not leave it behind on the server.
                if let Err(logout_error) = client.logout().await {
                    tracing::warn!(%logout_error, "could not revoke the unsaved device");
                }
                return Err(error.into());
            }
        }
        tracing::info!(
            user_id = ?client.user_id(),
            device_id = ?client.device_id(),
            "logged in"
        );

        let this = Self::assemble(client, keychain, profile);
        this.set_up_encryption_after_login().await?;
        Ok(this)
    }

    /// Restores the profile's session from the keychain and its store,
    /// without any network request. `Ok(None)` if the profile has no
    /// session (never logged in, or logged out).
    pub async fn restore(profile: Profile) -> Result<Option<Self>, CoreError> {
        let keychain = open_keychain(profile.name()).await?;
        let (session, store_key) = {
            let keychain = keychain.clone();
            blocking(move || -> Result<_, CoreError> {
                let Some(session) = keychain.session()? else {
                    return Ok(None);
                };
                let store_key = keychain.store_key()?.ok_or(CoreError::StoreKeyMissing)?;
                Ok(Some((session, store_key)))
            })
            .await??
            .map_or((None, None), |(session, key)| (Some(session), Some(key)))
        };
        let (Some(session), Some(store_key)) = (session, store_key) else {
            return Ok(None);
        };
        let store_dir = profile.store_dir();
        if !tokio::fs::try_exists(&store_dir).await? {
            return Err(CoreError::StoreMissing { path: store_dir });
        }

        let client = build_client(&session.homeserver_url, &store_dir, &store_key).await?;
        let matrix_session = MatrixSession {
            meta: SessionMeta {
                user_id: parse_id(&session.user_id)?,
                device_id: session.device_id.as_str().into(),
            },
            tokens: SessionTokens {
                access_token: session.access_token.expose().to_owned(),
                refresh_token: session
                    .refresh_token
                    .as_ref()
                    .map(|token| token.expose().to_owned()),
            },
        };
        client
            .matrix_auth()
            .restore_session(matrix_session, RoomLoadSettings::default())
            .await?;
        tracing::info!(user_id = %session.user_id, device_id = %session.device_id, "restored session");

        let this = Self::assemble(client, keychain, profile);
        // Messages queued before the last shutdown go out as soon as the
        // server is reachable.
        this.client
            .send_queue()
            .respawn_tasks_for_rooms_with_unsent_requests()
            .await;
        Ok(Some(this))
    }

    fn assemble(client: Client, keychain: Keychain, profile: Profile) -> Self {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let (connection, _) = watch::channel(ConnectionState::Stopped);
        let this = Self {
            client,
            keychain,
            profile,
            events,
            connection,
            tasks: Mutex::new(Vec::new()),
            sync: Mutex::new(None),
            send_lock: tokio::sync::Mutex::new(()),
            send_paused: std::sync::Arc::default(),
            trust_anchors: std::sync::RwLock::default(),
        };
        this.spawn_session_watcher();
        crate::sync::register_message_handlers(&this.client, &this.events);
        this.spawn_send_queue_watcher();
        this
    }

    /// Keeps the keychain's copy of the tokens current when they are
    /// refreshed, and tells the UI when the server ends the session.
    fn spawn_session_watcher(&self) {
        let mut changes = self.client.subscribe_to_session_changes();
        let client = self.client.clone();
        let keychain = self.keychain.clone();
        let events = self.events.clone();
        let homeserver_url = self.client.homeserver().to_string();
        self.spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(SessionChange::TokensRefreshed) => {
                        let Some(session) = stored_session(&client, &homeserver_url) else {
                            continue;
                        };
                        let keychain = keychain.clone();
                        match blocking(move || keychain.set_session(&session)).await {
                            Ok(Ok(())) => tracing::debug!("stored refreshed tokens"),
                            Ok(Err(error)) => {
                                tracing::error!(%error, "could not store refreshed tokens");
                            }
                            Err(error) => tracing::error!(%error, "keychain task failed"),
                        }
                    }
                    Ok(SessionChange::UnknownToken(data)) => {
                        tracing::warn!(soft_logout = data.soft_logout, "server ended the session");
                        let _ = events.send(CoreEvent::SessionEnded {
                            soft_logout: data.soft_logout,
                        });
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
    }

    pub(crate) fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let handle = tokio::spawn(future).abort_handle();
        self.tasks
            .lock()
            .expect("task list lock poisoned")
            .push(handle);
    }

    /// Subscribes to the UI event stream.
    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.events.subscribe()
    }

    /// The logged-in user's id.
    pub fn user_id(&self) -> String {
        self.client
            .user_id()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// This device's id.
    pub fn device_id(&self) -> String {
        self.client
            .device_id()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// The profile this client belongs to.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The underlying matrix-sdk client, for what this crate does not wrap
    /// yet. Prefer the typed methods.
    pub fn matrix(&self) -> &Client {
        &self.client
    }

    /// Logs out: revokes the device on the server (if reachable), deletes
    /// the local store and the profile's keychain entries.
    ///
    /// Local data is deleted even when the server cannot be reached; the
    /// report says whether the server revoked the device.
    pub async fn logout(self) -> Result<LogoutReport, CoreError> {
        self.shutdown();
        let server_revoked = match tokio::time::timeout(LOGOUT_TIMEOUT, self.client.logout()).await
        {
            Ok(Ok(())) => true,
            Ok(Err(error)) => {
                tracing::warn!(%error, "server did not revoke the device");
                false
            }
            Err(_) => {
                tracing::warn!("server did not answer the logout in time");
                false
            }
        };
        let store_dir = self.profile.store_dir();
        let keychain = self.keychain.clone();
        drop(self);
        remove_dir_if_exists(&store_dir).await?;
        blocking(move || keychain.delete_all()).await??;
        tracing::info!(server_revoked, "logged out");
        Ok(LogoutReport { server_revoked })
    }

    /// Stops the sync loop and all background tasks of this client.
    pub fn shutdown(&self) {
        self.stop_sync();
        for task in self
            .tasks
            .lock()
            .expect("task list lock poisoned")
            .drain(..)
        {
            task.abort();
        }
    }
}

impl Drop for CitizenClient {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Builds a matrix-sdk client on the SQLite store in `store_dir`, encrypted
/// with the raw `store_key`. No network request.
async fn build_client(
    homeserver_url: &str,
    store_dir: &Path,
    store_key: &StoreKey,
) -> Result<Client, CoreError> {
    tokio::fs::create_dir_all(store_dir).await?;
    let store = SqliteStoreConfig::new(store_dir).key(Some(store_key.expose()));
    let client = Client::builder()
        .homeserver_url(homeserver_url)
        .sqlite_store_with_config_and_cache_path(store, None::<&Path>)
        .with_encryption_settings(EncryptionSettings {
            auto_enable_cross_signing: true,
            backup_download_strategy: BackupDownloadStrategy::AfterDecryptionFailure,
            // Recovery creates the backup at first login (see `e2ee`); a
            // second device must not create a competing one.
            auto_enable_backups: false,
        })
        // Room keys only to cross-signed devices; see `trust::recipients`.
        .with_room_key_recipient_strategy(crate::trust::recipients::ROOM_KEY_RECIPIENTS)
        .with_decryption_settings(crate::trust::recipients::decryption_settings())
        .handle_refresh_tokens()
        // A few quick retries per request; longer outages are the sync
        // loop's and the send queue's business, so they surface as state.
        .request_config(RequestConfig::new().retry_limit(2))
        .build()
        .await?;
    Ok(client)
}

/// The client's current session in keychain form.
fn stored_session(client: &Client, homeserver_url: &str) -> Option<StoredSession> {
    let session = client.matrix_auth().session()?;
    Some(StoredSession {
        homeserver_url: homeserver_url.to_owned(),
        user_id: session.meta.user_id.to_string(),
        device_id: session.meta.device_id.to_string(),
        access_token: SecretString::new(session.tokens.access_token),
        refresh_token: session.tokens.refresh_token.map(SecretString::new),
    })
}

async fn open_keychain(profile: &str) -> Result<Keychain, CoreError> {
    let profile = profile.to_owned();
    Ok(blocking(move || Keychain::open(&profile)).await??)
}

/// Runs a blocking keychain call off the async workers.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, tokio::task::JoinError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f).await
}

async fn remove_dir_if_exists(path: &Path) -> Result<(), CoreError> {
    match tokio::fs::remove_dir_all(path).await {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error.into()),
    }
}
