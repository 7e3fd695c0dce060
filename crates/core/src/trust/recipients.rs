//! Who gets room keys, and which senders' messages are decrypted: the
//! matrix-sdk settings the citizen's client is built with.
//!
//! [`ROOM_KEY_RECIPIENTS`] is matrix-sdk's identity-based strategy (MSC4153,
//! "exclude insecure devices"): a room key goes only to devices their
//! owner's cross-signing identity signed, never to a user without an
//! identity, and sending fails with
//! `SessionRecipientCollectionError::VerifiedUserChangedIdentity` when a
//! user the citizen verified (an authority verified by certificate, see
//! [`super::authority`]) has replaced their identity. A device the
//! homeserver adds to an authority's account (a second login without the
//! cross-signing keys) therefore never receives the citizen's room keys.
//!
//! Decryption accepts unverified senders ([`DECRYPTION`]); messages are
//! marked instead (see [`super::sender`]).

use matrix_sdk_crypto::{CollectStrategy, DecryptionSettings, TrustRequirement};

/// The room key sharing strategy of every citizen client.
pub const ROOM_KEY_RECIPIENTS: CollectStrategy = CollectStrategy::IdentityBasedStrategy;

/// The decryption settings of every citizen client.
pub fn decryption_settings() -> DecryptionSettings {
    DecryptionSettings {
        sender_device_trust_requirement: TrustRequirement::Untrusted,
    }
}
