//! The settings screen's part of the IPC contract: the account (pseudonym,
//! devices, recovery), this computer's preferences, the recovery key export
//! and logout. The recovery key crosses to the UI only when the citizen asks
//! to reveal it ([`RevealedRecoveryKey`]); the export writes it to a file
//! from Rust. The eID attestation's state ([`EidAttestationDto`]) is also
//! read on its own by the overview, which points to a missing one.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The account as the settings screen shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AccountDto {
    /// The Matrix user id: a pseudonym, not the citizen's name.
    pub user_id: String,
    /// This device's id.
    pub device_id: String,
    /// The account's devices, this one first.
    pub devices: Vec<DeviceDto>,
    /// Whether this device can read the account's encrypted history.
    pub recovery: RecoveryStatusDto,
    /// Whether the account's master key is attested by the login service
    /// (the eID attestation authorities may require before sending
    /// notices), and whether this device can renew it.
    pub eid_attestation: EidAttestationDto,
}

/// The account's eID attestation as the citizen is told about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EidAttestationDto {
    /// Valid, expired or missing.
    pub status: EidAttestationStatusDto,
    /// Whether this device can obtain a fresh one with the ID card
    /// (`eid_attestation_start`, `eid_attestation_renew`): it holds the
    /// account's master key. A new device must be recovered first.
    pub renewable: bool,
}

/// The best eID attestation of the account's current master key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "state",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum EidAttestationStatusDto {
    /// Authorities accept it until then.
    Valid {
        /// When it expires, in milliseconds since the epoch.
        #[ts(type = "number")]
        expires_at_ms: u64,
    },
    /// It expired: authorities that require one withhold notices.
    Expired {
        /// When it expired, in milliseconds since the epoch.
        #[ts(type = "number")]
        expired_at_ms: u64,
    },
    /// None (e.g. a login without the ID card, a ticket that expired, a
    /// login service that did not answer): authorities that require one
    /// withhold notices.
    Missing,
}

/// One device of the account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeviceDto {
    /// The Matrix device id.
    pub device_id: String,
    /// The device's own name, if it gave one.
    pub display_name: Option<String>,
    /// Whether this is the device the app runs on.
    pub this_device: bool,
    /// Whether the device is verified.
    pub verified: bool,
}

/// Whether this device can read the account's encrypted history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum RecoveryStatusDto {
    /// Not known yet (still being set up, or offline).
    Unknown,
    /// Key backup is set up and this device has the keys.
    Enabled,
    /// The account has no key backup.
    Disabled,
    /// The account has a key backup, but this device needs the recovery key.
    NeedsRecoveryKey,
}

/// Which update releases the app looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum UpdateChannelDto {
    /// Released versions only.
    Stable,
    /// Pre-releases as well.
    Beta,
}

/// Settings of this computer's app (the language stays in the UI).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PreferencesDto {
    /// Whether the app shows desktop notifications.
    pub notifications: bool,
    /// Which update releases the app looks for (stored; the updater reads it).
    pub update_channel: UpdateChannelDto,
}

/// What became of a recovery key export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum RecoveryKeyExport {
    /// The key was written to the file the citizen chose.
    Saved,
    /// The citizen closed the save dialog.
    Cancelled,
    /// This device holds no recovery key (the account's recovery was set up
    /// on another device).
    NotAvailable,
}

/// The recovery key, sent to the UI only because the citizen asked to see
/// it. `None` when this device holds none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RevealedRecoveryKey {
    /// The key as the citizen would type it in.
    pub recovery_key: Option<String>,
}
