//! The settings screen's commands: the account (pseudonym, devices,
//! recovery), this computer's preferences, the recovery key export and
//! logout. Thin adapters over g2c-core ([`g2c_core::account`], recovery,
//! logout).
//!
//! The recovery key leaves Rust only in two ways the citizen asked for: the
//! export writes it to a file the citizen picks in the native save dialog,
//! and [`reveal_recovery_key`] shows it in the window on request.

use std::path::PathBuf;

use g2c_core::RecoveryStatus;
use g2c_core::account::{DeviceInfo, Preferences, UpdateChannel};
use tauri::{Emitter as _, Manager as _, State};

use super::command_error;
use crate::ipc::{
    AccountDto, CommandError, DeviceDto, PreferencesDto, REQUESTS_CHANGED, RecoveryKeyExport,
    RecoveryStatusDto, RequestsChanged, RevealedRecoveryKey, SessionState, UpdateChannelDto,
};
use crate::session::Core;

/// The account: pseudonym, this device, all devices and their
/// verification, and whether this device can read the encrypted history.
#[tauri::command]
pub async fn account_overview(core: State<'_, Core>) -> Result<AccountDto, CommandError> {
    let slot = core.client().read().await;
    let client = slot.as_ref().ok_or(CommandError::NotLoggedIn)?;
    let devices = client.devices().await.map_err(command_error)?;
    Ok(AccountDto {
        user_id: client.user_id(),
        device_id: client.device_id(),
        devices: devices.into_iter().map(device_dto).collect(),
        recovery: recovery_dto(client.recovery_status()),
        eid_attestation: super::login::attestation_dto(
            client
                .eid_attestation_state()
                .await
                .map_err(command_error)?,
        ),
    })
}

/// This computer's preferences (notifications, update channel).
#[tauri::command]
pub async fn preferences(core: State<'_, Core>) -> Result<PreferencesDto, CommandError> {
    let preferences = Preferences::load(core.profile())
        .await
        .map_err(command_error)?;
    Ok(preferences_dto(&preferences))
}

/// Stores this computer's preferences and returns them as stored.
#[tauri::command]
pub async fn set_preferences(
    core: State<'_, Core>,
    preferences: PreferencesDto,
) -> Result<PreferencesDto, CommandError> {
    let stored = Preferences {
        notifications: preferences.notifications,
        update_channel: match preferences.update_channel {
            UpdateChannelDto::Stable => UpdateChannel::Stable,
            UpdateChannelDto::Beta => UpdateChannel::Beta,
        },
    };
    stored.save(core.profile()).await.map_err(command_error)?;
    tracing::info!(
        notifications = stored.notifications,
        channel = ?stored.update_channel,
        "preferences saved"
    );
    Ok(preferences_dto(&stored))
}

/// Writes the recovery key to a file the citizen chooses in the native
/// save dialog. `dialog_title` and `file_name` come from the UI, in the
/// citizen's language.
#[tauri::command]
pub async fn export_recovery_key<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    core: State<'_, Core>,
    dialog_title: String,
    file_name: String,
) -> Result<RecoveryKeyExport, CommandError> {
    let key = {
        let slot = core.client().read().await;
        let client = slot.as_ref().ok_or(CommandError::NotLoggedIn)?;
        client.recovery_key().await.map_err(command_error)?
    };
    let Some(key) = key else {
        return Ok(RecoveryKeyExport::NotAvailable);
    };
    let Some(path) = choose_save_path(&app, &dialog_title, &file_name).await else {
        return Ok(RecoveryKeyExport::Cancelled);
    };
    write_private_file(&path, &[key.expose().as_bytes(), b"\n"])
        .await
        .map_err(|error| {
            tracing::warn!(%error, "could not write the recovery key file");
            CommandError::Internal
        })?;
    tracing::info!("recovery key exported to a file");
    Ok(RecoveryKeyExport::Saved)
}

/// The recovery key, because the citizen asked to see it in the window.
#[tauri::command]
pub async fn reveal_recovery_key(
    core: State<'_, Core>,
) -> Result<RevealedRecoveryKey, CommandError> {
    let slot = core.client().read().await;
    let client = slot.as_ref().ok_or(CommandError::NotLoggedIn)?;
    let key = client.recovery_key().await.map_err(command_error)?;
    tracing::info!("recovery key revealed on the citizen's request");
    Ok(RevealedRecoveryKey {
        recovery_key: key.map(|key| key.expose().to_owned()),
    })
}

/// Logs out: revokes this device on the server (if reachable) and deletes
/// the local store and the keychain entries. Preferences stay.
#[tauri::command]
pub async fn log_out<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    core: State<'_, Core>,
) -> Result<SessionState, CommandError> {
    let client = core
        .client()
        .write()
        .await
        .take()
        .ok_or(CommandError::NotLoggedIn)?;
    let report = client.logout().await.map_err(command_error)?;
    tracing::info!(server_revoked = report.server_revoked, "logged out");
    if let Err(error) = app.emit(
        REQUESTS_CHANGED,
        RequestsChanged {
            room_ids: Vec::new(),
        },
    ) {
        tracing::warn!(%error, "could not emit requests-changed");
    }
    Ok(SessionState::LoggedOut)
}

fn device_dto(device: DeviceInfo) -> DeviceDto {
    DeviceDto {
        device_id: device.device_id,
        display_name: device.display_name,
        this_device: device.this_device,
        verified: device.verified,
    }
}

fn recovery_dto(status: RecoveryStatus) -> RecoveryStatusDto {
    match status {
        RecoveryStatus::Unknown => RecoveryStatusDto::Unknown,
        RecoveryStatus::Enabled => RecoveryStatusDto::Enabled,
        RecoveryStatus::Disabled => RecoveryStatusDto::Disabled,
        RecoveryStatus::NeedsRecoveryKey => RecoveryStatusDto::NeedsRecoveryKey,
    }
}

fn preferences_dto(preferences: &Preferences) -> PreferencesDto {
    PreferencesDto {
        notifications: preferences.notifications,
        update_channel: match preferences.update_channel {
            UpdateChannel::Stable => UpdateChannelDto::Stable,
            UpdateChannel::Beta => UpdateChannelDto::Beta,
        },
    }
}

/// In builds with the `dev-login` feature only: the save dialog answers
/// with this path instead of opening, since WebDriver cannot see native
/// dialogs.
#[cfg(feature = "dev-login")]
pub const TEST_SAVE_PATH_ENV: &str = "AMTSBOTE_TEST_SAVE_PATH";

/// Asks the citizen where to save, in the native dialog over the main
/// window. `None` when the dialog was closed.
async fn choose_save_path<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    title: &str,
    file_name: &str,
) -> Option<PathBuf> {
    #[cfg(feature = "dev-login")]
    if let Some(path) = std::env::var_os(TEST_SAVE_PATH_ENV) {
        return Some(PathBuf::from(path));
    }
    let mut dialog = rfd::AsyncFileDialog::new()
        .set_title(title)
        .set_file_name(file_name)
        .add_filter("Text", &["txt"]);
    if let Some(window) = app.get_webview_window(crate::MAIN_WINDOW) {
        dialog = dialog.set_parent(&window);
    }
    dialog
        .save_file()
        .await
        .map(|handle| handle.path().to_path_buf())
}

/// Writes `parts` to `path`, readable only by the citizen where the OS has
/// such permissions. In parts, so no extra copy of the secret is built.
async fn write_private_file(path: &std::path::Path, parts: &[&[u8]]) -> std::io::Result<()> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    for part in parts {
        tokio::io::AsyncWriteExt::write_all(&mut file, part).await?;
    }
    tokio::io::AsyncWriteExt::flush(&mut file).await?;
    Ok(())
}
