//! The account as the settings screen shows it: the account's devices with
//! their verification state, and the preferences kept on this computer
//! (notifications on or off, the update channel).
//!
//! Devices come from the local crypto store (kept current by sync), so the
//! list needs no extra request to the homeserver. Preferences are a small
//! JSON file in the profile's data directory: not secret, not synced to the
//! server, and kept across logouts (they belong to the computer, not the
//! account).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::session::{CitizenClient, Profile};

/// One device of the citizen's account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The Matrix device id.
    pub device_id: String,
    /// The name the device gave itself, if any.
    pub display_name: Option<String>,
    /// Whether this is the device the app runs on.
    pub this_device: bool,
    /// Whether the device is verified (cross-signed by the account, or
    /// trusted locally).
    pub verified: bool,
}

impl CitizenClient {
    /// The account's devices as the local crypto store knows them: this
    /// device first, then the others by id.
    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, CoreError> {
        let Some(user_id) = self.matrix().user_id().map(ToOwned::to_owned) else {
            return Ok(Vec::new());
        };
        let own_device = self.device_id();
        let devices = self
            .matrix()
            .encryption()
            .get_user_devices(&user_id)
            .await
            .map_err(CoreError::from)?;
        let mut infos: Vec<DeviceInfo> = devices
            .devices()
            .map(|device| {
                let device_id = device.device_id().to_string();
                DeviceInfo {
                    this_device: device_id == own_device,
                    display_name: device.display_name().map(ToOwned::to_owned),
                    verified: device.is_verified(),
                    device_id,
                }
            })
            .collect();
        if !infos.iter().any(|device| device.this_device) && !own_device.is_empty() {
            // Not in the store yet (keys not uploaded): still show it.
            infos.push(DeviceInfo {
                device_id: own_device,
                display_name: None,
                this_device: true,
                verified: false,
            });
        }
        infos.sort_by(|a, b| {
            b.this_device
                .cmp(&a.this_device)
                .then_with(|| a.device_id.cmp(&b.device_id))
        });
        Ok(infos)
    }
}

/// Which update releases the app looks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateChannel {
    /// Released versions only.
    #[default]
    Stable,
    /// Pre-releases as well.
    Beta,
}

/// Settings of this computer's app, independent of the account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    /// Whether the app shows desktop notifications.
    pub notifications: bool,
    /// Which update releases the app looks for.
    pub update_channel: UpdateChannel,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            notifications: true,
            update_channel: UpdateChannel::Stable,
        }
    }
}

impl Preferences {
    /// The file name in the profile's data directory.
    pub const FILE_NAME: &'static str = "preferences.json";

    /// Where `profile`'s preferences are stored.
    pub fn path(profile: &Profile) -> PathBuf {
        profile.data_dir().join(Self::FILE_NAME)
    }

    /// Reads `profile`'s preferences; the defaults when there is no file
    /// yet or it cannot be understood (a damaged file must not keep the app
    /// from starting; it is replaced at the next save).
    pub async fn load(profile: &Profile) -> Result<Self, CoreError> {
        let path = Self::path(profile);
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                tracing::warn!(%error, path = %path.display(), "unreadable preferences; using the defaults");
                Self::default()
            })),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(error) => Err(error.into()),
        }
    }

    /// Writes `profile`'s preferences: to a temporary file first, then
    /// renamed over the old one, so a crash never leaves half a file.
    pub async fn save(&self, profile: &Profile) -> Result<(), CoreError> {
        let path = Self::path(profile);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let temporary = temporary_path(&path);
        tokio::fs::write(&temporary, bytes).await?;
        tokio::fs::rename(&temporary, &path).await?;
        Ok(())
    }
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> (tempfile::TempDir, Profile) {
        let dir = tempfile::tempdir().expect("temp dir");
        let profile = Profile::new("test", dir.path().join("data"));
        (dir, profile)
    }

    #[tokio::test]
    async fn missing_preferences_are_the_defaults() {
        let (_dir, profile) = profile();
        let preferences = Preferences::load(&profile).await.expect("load");
        assert_eq!(preferences, Preferences::default());
        assert!(preferences.notifications);
        assert_eq!(preferences.update_channel, UpdateChannel::Stable);
    }

    #[tokio::test]
    async fn saved_preferences_load_back() {
        let (_dir, profile) = profile();
        let chosen = Preferences {
            notifications: false,
            update_channel: UpdateChannel::Beta,
        };
        chosen.save(&profile).await.expect("save");
        assert_eq!(Preferences::load(&profile).await.expect("load"), chosen);
        let text = std::fs::read_to_string(Preferences::path(&profile)).expect("file");
        assert!(text.contains("\"beta\""), "{text}");
        assert!(!temporary_path(&Preferences::path(&profile)).exists());
    }

    #[tokio::test]
    async fn a_damaged_file_falls_back_to_the_defaults() {
        let (_dir, profile) = profile();
        std::fs::create_dir_all(profile.data_dir()).expect("dir");
        std::fs::write(Preferences::path(&profile), b"{not json").expect("write");
        assert_eq!(
            Preferences::load(&profile).await.expect("load"),
            Preferences::default()
        );
    }

    #[tokio::test]
    async fn unknown_and_missing_fields_keep_the_rest() {
        let (_dir, profile) = profile();
        std::fs::create_dir_all(profile.data_dir()).expect("dir");
        std::fs::write(
            Preferences::path(&profile),
            br#"{"update_channel":"beta","from_a_newer_version":1}"#,
        )
        .expect("write");
        let preferences = Preferences::load(&profile).await.expect("load");
        assert_eq!(preferences.update_channel, UpdateChannel::Beta);
        assert!(preferences.notifications);
    }
}
