//! Signed auto-updates: check at start and once a day, tell the UI what is
//! on offer (version and release notes), install only on the citizen's
//! consent.
//!
//! Updates are a security boundary: only releases signed with the project's
//! minisign key (the `plugins.updater.pubkey` in `Tauri.conf.json`) may ever
//! run. tauri-plugin-updater does the downloading and the signature check;
//! this module adds the policy on top, independent of how the app was
//! compiled:
//!
//! - **HTTPS only.** The plugin refuses plain-HTTP endpoints only in builds
//!   without debug assertions and never refuses a plain-HTTP download URL.
//!   [`TransportPolicy::HttpsOnly`], which the app always uses, refuses
//!   both, before any request. Tests use [`TransportPolicy::LoopbackHttp`]
//!   for a server on 127.0.0.1.
//! - **No downgrade.** An offer is an update only if its version is strictly
//!   greater than the running one ([`is_upgrade`]); `allowDowngrades` in the
//!   config cannot change that.
//! - **The signed version is the offered version.** `requireSignedVersion`
//!   in the config makes the plugin compare the version in the signature's
//!   trusted comment with the manifest's, so an old signed artifact cannot
//!   be re-announced as a new version.
//!
//! See docs/release.md for the key handling and the release flow.

use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Emitter as _, Manager as _, Runtime, State};
use tauri_plugin_updater::{Update, UpdaterExt as _};
use tokio::sync::Mutex;
use ts_rs::TS;
use url::Url;

/// Event name: a newer signed release is on offer ([`UpdateInfo`]).
pub const UPDATE_AVAILABLE: &str = "update-available";
/// Event name: download progress of the update being installed
/// ([`UpdateProgress`]).
pub const UPDATE_PROGRESS: &str = "update-progress";

/// How often a running app checks for updates.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

/// Why an update check or install did not go ahead.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// An endpoint or download URL is not HTTPS (and not allowed otherwise).
    #[error("update URL {0} does not use https")]
    InsecureUrl(Url),
    /// The configuration names no update endpoint.
    #[error("no update endpoint configured")]
    NoEndpoint,
    /// The downloaded artifact failed the signature check or was signed for
    /// another version than the one announced.
    #[error("the update's signature is not valid: {0}")]
    BadSignature(tauri_plugin_updater::Error),
    /// `install_update` was called with no update on offer.
    #[error("no update is on offer")]
    NothingOnOffer,
    /// Network, manifest or installation failure.
    #[error(transparent)]
    Updater(tauri_plugin_updater::Error),
}

impl From<tauri_plugin_updater::Error> for UpdateError {
    fn from(error: tauri_plugin_updater::Error) -> Self {
        use tauri_plugin_updater::Error as E;
        match error {
            E::Minisign(_)
            | E::Base64(_)
            | E::SignatureUtf8(_)
            | E::SignedVersionMismatch { .. }
            | E::MissingSignedVersion => Self::BadSignature(error),
            other => Self::Updater(other),
        }
    }
}

/// An update command's error, as a stable code the UI translates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[serde(tag = "code", rename_all = "camelCase")]
#[ts(export)]
pub enum UpdateCommandError {
    /// The update was refused: not signed by the project, signed for
    /// another version, or offered over plain HTTP.
    #[error("update refused")]
    Refused,
    /// The update server could not be reached.
    #[error("network error")]
    Network,
    /// No update is on offer (check first).
    #[error("no update on offer")]
    NothingOnOffer,
    /// Something else failed; details are in the log.
    #[error("internal error")]
    Internal,
}

impl From<UpdateError> for UpdateCommandError {
    fn from(error: UpdateError) -> Self {
        use tauri_plugin_updater::Error as E;
        tracing::warn!(%error, "update failed");
        match error {
            UpdateError::InsecureUrl(_) | UpdateError::BadSignature(_) => Self::Refused,
            UpdateError::Updater(E::Reqwest(_) | E::Network(_) | E::ReleaseNotFound) => {
                Self::Network
            }
            UpdateError::NothingOnOffer => Self::NothingOnOffer,
            UpdateError::NoEndpoint | UpdateError::Updater(_) => Self::Internal,
        }
    }
}

/// Which URL schemes the updater may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportPolicy {
    /// HTTPS only: what the app uses, in every build.
    HttpsOnly,
    /// HTTPS, or plain HTTP to a loopback address: for tests against a
    /// local update server only.
    LoopbackHttp,
}

impl TransportPolicy {
    /// Refuses `url` unless this policy allows its scheme and host.
    pub fn check(self, url: &Url) -> Result<(), UpdateError> {
        let allowed = match url.scheme() {
            "https" => true,
            "http" => self == Self::LoopbackHttp && is_loopback(url),
            _ => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(UpdateError::InsecureUrl(url.clone()))
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(_)) | None => false,
    }
}

/// Whether `offered` is an update for `current`: strictly newer, so an
/// equal or older release (a downgrade) is never installed.
pub fn is_upgrade(current: &semver::Version, offered: &semver::Version) -> bool {
    offered > current
}

/// Where updates come from and under which transport policy.
#[derive(Clone, Debug)]
pub struct UpdateSource {
    endpoints: Vec<Url>,
    policy: TransportPolicy,
}

impl UpdateSource {
    /// A source with these endpoints, each checked against `policy`.
    pub fn new(endpoints: Vec<Url>, policy: TransportPolicy) -> Result<Self, UpdateError> {
        if endpoints.is_empty() {
            return Err(UpdateError::NoEndpoint);
        }
        for endpoint in &endpoints {
            policy.check(endpoint)?;
        }
        Ok(Self { endpoints, policy })
    }

    /// The app's source: the endpoints of `plugins.updater` in
    /// `Tauri.conf.json`, HTTPS only.
    pub fn from_config<R: Runtime>(app: &AppHandle<R>) -> Result<Self, UpdateError> {
        let endpoints = app
            .config()
            .plugins
            .0
            .get("updater")
            .and_then(|updater| updater.get("endpoints"))
            .and_then(|endpoints| endpoints.as_array())
            .map(|endpoints| {
                endpoints
                    .iter()
                    .filter_map(|endpoint| endpoint.as_str())
                    .filter_map(|endpoint| Url::parse(endpoint).ok())
                    .collect()
            })
            .unwrap_or_default();
        Self::new(endpoints, TransportPolicy::HttpsOnly)
    }

    /// The endpoints, in the order they are tried.
    pub fn endpoints(&self) -> &[Url] {
        &self.endpoints
    }
}

/// Asks the source whether a newer signed release exists. `Ok(None)`: none
/// newer (an older or equal offer counts as none).
pub async fn check<R: Runtime>(
    app: &AppHandle<R>,
    source: &UpdateSource,
) -> Result<Option<Update>, UpdateError> {
    let updater = app
        .updater_builder()
        .endpoints(source.endpoints.clone())?
        .version_comparator(|current, release| is_upgrade(&current, &release.version))
        .build()?;
    let Some(update) = updater.check().await? else {
        return Ok(None);
    };
    source.policy.check(&update.download_url)?;
    Ok(Some(update))
}

/// Downloads `update` and verifies its signature against the configured
/// public key and its signed version against the announced one. Returns
/// the verified bytes; nothing is installed.
pub async fn download_verified(
    update: &Update,
    policy: TransportPolicy,
    mut on_progress: impl FnMut(UpdateProgress),
) -> Result<Vec<u8>, UpdateError> {
    policy.check(&update.download_url)?;
    let mut downloaded = 0u64;
    let bytes = update
        .download(
            |chunk, total| {
                downloaded = downloaded.saturating_add(chunk as u64);
                on_progress(UpdateProgress { downloaded, total });
            },
            || {},
        )
        .await?;
    Ok(bytes)
}

/// What the UI shows about an update on offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct UpdateInfo {
    /// The offered version.
    pub version: String,
    /// The running version.
    pub current_version: String,
    /// The release notes, as plain text (never rendered as HTML).
    pub notes: Option<String>,
    /// When it was published, in seconds since the Unix epoch.
    #[ts(type = "number | null")]
    pub published_at: Option<i64>,
}

impl UpdateInfo {
    /// The UI's view of `update`.
    pub fn of(update: &Update) -> Self {
        Self {
            version: update.version.clone(),
            current_version: update.current_version.clone(),
            notes: update.body.clone(),
            published_at: update.date.map(|date| date.unix_timestamp()),
        }
    }
}

/// Download progress of the update being installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct UpdateProgress {
    /// Bytes downloaded so far.
    #[ts(type = "number")]
    pub downloaded: u64,
    /// The download's size, if the server said.
    #[ts(type = "number | null")]
    pub total: Option<u64>,
}

/// The update on offer, kept between `check_update` and `install_update`.
#[derive(Default)]
pub struct OfferedUpdate(Mutex<Option<Update>>);

/// Checks for an update now; remembers and returns what is on offer.
#[tauri::command]
pub async fn check_update<R: Runtime>(
    app: AppHandle<R>,
    offered: State<'_, OfferedUpdate>,
) -> Result<Option<UpdateInfo>, UpdateCommandError> {
    Ok(check_and_remember(&app, &offered).await?)
}

/// Installs the update on offer (the citizen consented), then restarts
/// the app into the new version.
#[tauri::command]
pub async fn install_update<R: Runtime>(
    app: AppHandle<R>,
    offered: State<'_, OfferedUpdate>,
) -> Result<(), UpdateCommandError> {
    let update = offered
        .0
        .lock()
        .await
        .take()
        .ok_or(UpdateError::NothingOnOffer)?;
    let bytes = download_verified(&update, TransportPolicy::HttpsOnly, |progress| {
        if let Err(error) = app.emit(UPDATE_PROGRESS, progress) {
            tracing::debug!(%error, "could not emit update progress");
        }
    })
    .await?;
    update.install(bytes).map_err(UpdateError::from)?;
    tracing::info!(version = %update.version, "update installed, restarting");
    app.restart()
}

async fn check_and_remember<R: Runtime>(
    app: &AppHandle<R>,
    offered: &OfferedUpdate,
) -> Result<Option<UpdateInfo>, UpdateError> {
    let source = UpdateSource::from_config(app)?;
    let update = check(app, &source).await?;
    let info = update.as_ref().map(UpdateInfo::of);
    *offered.0.lock().await = update;
    Ok(info)
}

/// Starts the background check: once now, then every [`CHECK_INTERVAL`].
/// Each offer is sent to the UI as [`UPDATE_AVAILABLE`].
pub fn spawn_periodic_check<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let mut ticks = tokio::time::interval(CHECK_INTERVAL);
        loop {
            ticks.tick().await;
            let offered = app.state::<OfferedUpdate>();
            match check_and_remember(&app, &offered).await {
                Ok(Some(info)) => {
                    tracing::info!(version = %info.version, "update on offer");
                    if let Err(error) = app.emit(UPDATE_AVAILABLE, info) {
                        tracing::warn!(%error, "could not emit update-available");
                    }
                }
                Ok(None) => tracing::debug!("no update"),
                Err(error) => tracing::info!(%error, "update check failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    #[test]
    fn https_only_refuses_plain_http_even_on_loopback() {
        let policy = TransportPolicy::HttpsOnly;
        assert!(
            policy
                .check(&url("https://example.invalid/latest.json"))
                .is_ok()
        );
        assert!(matches!(
            policy.check(&url("http://127.0.0.1:8080/latest.json")),
            Err(UpdateError::InsecureUrl(_))
        ));
        assert!(policy.check(&url("ftp://example.invalid/x")).is_err());
    }

    #[test]
    fn loopback_http_allows_only_loopback_addresses() {
        let policy = TransportPolicy::LoopbackHttp;
        assert!(
            policy
                .check(&url("http://127.0.0.1:8080/latest.json"))
                .is_ok()
        );
        assert!(policy.check(&url("http://[::1]:8080/latest.json")).is_ok());
        assert!(policy.check(&url("http://localhost/latest.json")).is_err());
        assert!(policy.check(&url("http://192.0.2.1/latest.json")).is_err());
    }

    #[test]
    fn only_strictly_newer_versions_are_upgrades() {
        let current = semver::Version::new(0, 2, 0);
        assert!(is_upgrade(&current, &semver::Version::new(0, 2, 1)));
        assert!(!is_upgrade(&current, &semver::Version::new(0, 2, 0)));
        assert!(!is_upgrade(&current, &semver::Version::new(0, 1, 9)));
        let pre = semver::Version::parse("0.2.0-rc.1").expect("version");
        assert!(!is_upgrade(&current, &pre));
    }

    #[test]
    fn a_source_needs_an_endpoint_and_checks_each() {
        assert!(matches!(
            UpdateSource::new(Vec::new(), TransportPolicy::HttpsOnly),
            Err(UpdateError::NoEndpoint)
        ));
        assert!(matches!(
            UpdateSource::new(
                vec![
                    url("https://a.invalid/l.json"),
                    url("http://b.invalid/l.json")
                ],
                TransportPolicy::HttpsOnly
            ),
            Err(UpdateError::InsecureUrl(_))
        ));
    }
}
