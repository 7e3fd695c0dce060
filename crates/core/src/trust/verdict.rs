//! The typed outcome of checking an authority: [`AuthorityTrust`].
//!
//! This is what the UI shows per request: a verified authority with the name
//! its certificate gives, or an unverified one with the reason. It crosses
//! the IPC boundary as JSON (`{"state":"verified","authority_name":…}` /
//! `{"state":"unverified","reason":"expired","identity_changed":false}`).

use serde::{Deserialize, Serialize};

/// Whether the authority behind a request room is who the room says it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AuthorityTrust {
    /// A valid certificate chain up to a configured root names this
    /// authority and its Matrix account, and its leaf signed the account's
    /// current cross-signing master key.
    Verified {
        /// The authority's name as the certificate states it (organisation).
        authority_name: String,
    },
    /// Not verified. The UI must show this differently from a verified
    /// authority and say why.
    Unverified {
        /// Why the authority is not verified.
        reason: UntrustedReason,
        /// The authority's identity (master key) changed after it had been
        /// verified, and the new one has no valid certificate: a warning the
        /// UI must show prominently (a compromised server may be slipping
        /// in a key). Sending in the room fails until this is resolved.
        identity_changed: bool,
    },
}

impl AuthorityTrust {
    /// Whether the authority is verified.
    pub fn is_verified(&self) -> bool {
        matches!(self, Self::Verified { .. })
    }

    /// The reason, if unverified.
    pub fn reason(&self) -> Option<UntrustedReason> {
        match self {
            Self::Verified { .. } => None,
            Self::Unverified { reason, .. } => Some(*reason),
        }
    }

    pub(crate) fn unverified(reason: UntrustedReason) -> Self {
        Self::Unverified {
            reason,
            identity_changed: false,
        }
    }
}

/// Why an authority is not verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UntrustedReason {
    /// The authority's master key carries no X.509 signature.
    NoCertificate,
    /// A certificate in the chain is not signed by the certificate (or
    /// configured root) it names as its issuer, or an issuer is not a CA.
    ForgedChain,
    /// The certificate is self-signed and not a configured root.
    SelfSigned,
    /// The chain ends at a root that is not configured (another PKI).
    UnknownRoot,
    /// The certificate names another authority: another Matrix account, or
    /// another organisation than the request room claims.
    OtherAuthority,
    /// A certificate in the chain has expired.
    Expired,
    /// A certificate in the chain is not valid yet.
    NotYetValid,
    /// A certificate in the chain is on a configured revocation list.
    Revoked,
    /// The certificate is valid, but its signature does not cover the
    /// authority's current master key (the key was replaced).
    KeyMismatch,
    /// The signature entry cannot be parsed or uses an unsupported
    /// algorithm.
    Malformed,
    /// The authority's account has no cross-signing identity (yet).
    NoIdentity,
    /// The room carries no request metadata naming an authority.
    NotARequestRoom,
}
