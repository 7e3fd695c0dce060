//! End-to-end encryption by default: cross-signing, key backup, recovery.
//!
//! At the first login of an account the client bootstraps cross-signing
//! (matrix-sdk does this when the device is set up) and enables recovery:
//! server-side key backup plus secret storage, protected by a recovery key
//! that goes into the keychain. A later device of the same account finds
//! recovery already set up and reports [`RecoveryStatus::NeedsRecoveryKey`];
//! [`CitizenClient::recover`] with the key unlocks the backup so old
//! messages can be decrypted.

use matrix_sdk::encryption::recovery::RecoveryState;
use matrix_sdk::ruma::events::GlobalAccountDataEventType;
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::keychain::SecretString;
use crate::session::{CitizenClient, blocking};

/// Whether this device can read the account's encrypted history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryStatus {
    /// Not known yet (the device is still being set up, or offline).
    Unknown,
    /// Backup and secret storage are set up and this device has the keys.
    Enabled,
    /// The account has no backup or secret storage.
    Disabled,
    /// The account has recovery, but this device needs the recovery key.
    NeedsRecoveryKey,
}

impl CitizenClient {
    /// Called once after every fresh login: waits for matrix-sdk's device
    /// set-up (keys upload, cross-signing bootstrap) and, for an account that
    /// has no recovery yet, enables it and keeps the recovery key.
    pub(crate) async fn set_up_encryption_after_login(&self) -> Result<(), CoreError> {
        let encryption = self.client.encryption();
        encryption.wait_for_e2ee_initialization_tasks().await;

        if self.recovery_exists_on_server().await? {
            tracing::info!("account already has recovery; this device needs the recovery key");
            return Ok(());
        }
        let recovery_key = SecretString::new(
            encryption
                .recovery()
                .enable()
                .wait_for_backups_to_upload()
                .await?,
        );
        let keychain = self.keychain.clone();
        blocking(move || keychain.set_recovery_key(&recovery_key)).await??;
        tracing::info!("enabled key backup and recovery");
        Ok(())
    }

    /// Asks the server (not the not-yet-synced local state) whether the
    /// account has a key backup or a default secret-storage key.
    async fn recovery_exists_on_server(&self) -> Result<bool, CoreError> {
        let encryption = self.client.encryption();
        if encryption
            .backups()
            .fetch_exists_on_server()
            .await
            .map_err(CoreError::from)?
        {
            return Ok(true);
        }
        let default_key = self
            .client
            .account()
            .fetch_account_data(GlobalAccountDataEventType::SecretStorageDefaultKey)
            .await?;
        // A disabled recovery leaves an empty event behind.
        Ok(default_key.is_some_and(|raw| raw.json().get() != "{}"))
    }

    /// Whether this device can read the account's encrypted history.
    pub fn recovery_status(&self) -> RecoveryStatus {
        match self.client.encryption().recovery().state() {
            RecoveryState::Enabled => RecoveryStatus::Enabled,
            RecoveryState::Disabled => RecoveryStatus::Disabled,
            RecoveryState::Incomplete => RecoveryStatus::NeedsRecoveryKey,
            _ => RecoveryStatus::Unknown,
        }
    }

    /// Unlocks recovery on this device with the recovery key (from another
    /// device, or typed in by the citizen) and keeps it in the keychain.
    /// Old messages then decrypt from the key backup.
    pub async fn recover(&self, recovery_key: &SecretString) -> Result<(), CoreError> {
        self.client
            .encryption()
            .recovery()
            .recover(recovery_key.expose())
            .await?;
        let keychain = self.keychain.clone();
        let recovery_key = recovery_key.clone();
        blocking(move || keychain.set_recovery_key(&recovery_key)).await??;
        tracing::info!("recovered secrets from secret storage");
        Ok(())
    }

    /// The recovery key kept in the keychain, to show the citizen once for
    /// safekeeping. Never log it.
    pub async fn recovery_key(&self) -> Result<Option<SecretString>, CoreError> {
        let keychain = self.keychain.clone();
        Ok(blocking(move || keychain.recovery_key()).await??)
    }

    /// Whether the account's cross-signing identity is complete on this
    /// device (master, self-signing and user-signing keys).
    pub async fn cross_signing_complete(&self) -> bool {
        self.client
            .encryption()
            .cross_signing_status()
            .await
            .is_some_and(|status| status.is_complete())
    }

    /// Waits until the room keys this device holds are uploaded to the key
    /// backup, e.g. before the citizen logs out of their only device.
    pub async fn wait_for_backup_upload(&self) -> Result<(), CoreError> {
        self.client
            .encryption()
            .backups()
            .wait_for_steady_state()
            .await?;
        Ok(())
    }
}
