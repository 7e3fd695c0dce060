//! How far the sender of a decrypted message is verified: [`SenderTrust`],
//! for marking messages in the UI.
//!
//! matrix-sdk decrypts messages from unverified devices too (a request room
//! must not silently lose the authority's letters); the UI marks them
//! instead. Only [`SenderTrust::Verified`] is unmarked.

use matrix_sdk::deserialized_responses::{EncryptionInfo, VerificationLevel, VerificationState};
use serde::{Deserialize, Serialize};

/// The verification of a message's sender, from matrix-sdk's
/// [`VerificationState`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderTrust {
    /// Sent by a device its owner cross-signed, and the owner's identity is
    /// verified (for an authority: by its certificate, see
    /// [`super::authority`]).
    Verified,
    /// The device is cross-signed, but the owner's identity is not verified.
    UnverifiedIdentity,
    /// The owner's identity was verified, but has changed since.
    IdentityChanged,
    /// The device is not signed by its owner's identity (e.g. a device the
    /// server added).
    UnverifiedDevice,
    /// The device is unknown or the sender does not match the key.
    Unknown,
    /// The message was not encrypted.
    Unencrypted,
}

impl SenderTrust {
    /// The trust of a message given its encryption info (`None`: not
    /// encrypted).
    pub fn of(info: Option<&EncryptionInfo>) -> Self {
        let Some(info) = info else {
            return Self::Unencrypted;
        };
        match &info.verification_state {
            VerificationState::Verified => Self::Verified,
            VerificationState::Unverified(level) => match level {
                VerificationLevel::UnverifiedIdentity => Self::UnverifiedIdentity,
                VerificationLevel::VerificationViolation => Self::IdentityChanged,
                VerificationLevel::UnsignedDevice => Self::UnverifiedDevice,
                VerificationLevel::None(_) | VerificationLevel::MismatchedSender => Self::Unknown,
            },
        }
    }

    /// Whether the UI should mark the message.
    pub fn needs_mark(self) -> bool {
        self != Self::Verified
    }
}
