//! Trust: who the citizen's keys go to, and whether an authority is who its
//! request room says it is.
//!
//! "The ends need to know each other's keys from somewhere": an authority's
//! Matrix account proves itself with an X.509 certificate chain up to a
//! configured government root whose leaf signed the account's cross-signing
//! master key ([`master_key_signature`] describes the published format:
//! matrix-rust-sdk's experimental `io.element.x509` signature, read from the
//! master key itself or, while Synapse cannot store it there, from the
//! request room's certificate state event). The citizen's app checks it without any
//! emoji comparison and shows the typed [`AuthorityTrust`] per request
//! ([`CitizenClient::authority_trust`]). Room keys go only to cross-signed
//! devices ([`recipients`]), and messages from unverified senders are marked
//! ([`sender`]). The threat model is in docs/security.md.
//!
//! # Modules
//!
//! - [`verdict`]: [`AuthorityTrust`] and [`UntrustedReason`].
//! - [`anchors`]: [`TrustAnchors`], the configured roots and CRLs.
//! - [`signature`]: ECDSA checks against X.509 keys.
//! - [`chain`]: certification path validation.
//! - [`master_key_signature`]: the `io.element.x509` signature format.
//! - [`authority`]: names, the master key signature, `authority_trust`
//!   and the list's `stored_authority_trusts`.
//! - [`verdict_memo`]: [`AuthorityVerdicts`], one list's verdicts, each
//!   distinct input checked once.
//! - [`recipients`]: room key sharing and decryption settings.
//! - [`sender`]: [`SenderTrust`] of a decrypted message.

pub mod anchors;
pub mod authority;
pub mod chain;
pub mod master_key_signature;
pub mod recipients;
pub mod sender;
pub mod signature;
pub mod verdict;
pub mod verdict_memo;

use std::sync::Arc;

pub use anchors::{AnchorError, TrustAnchors};
pub use authority::{AuthorityClaim, AuthorityEvidence, evaluate_master_key};
pub use sender::SenderTrust;
pub use verdict::{AuthorityTrust, UntrustedReason};
pub use verdict_memo::{AuthorityVerdicts, VerdictKey};

use crate::session::CitizenClient;

impl CitizenClient {
    /// Sets the roots and revocation lists authorities are checked against.
    /// Until called, no authority is verified.
    pub fn set_trust_anchors(&self, anchors: TrustAnchors) {
        *self
            .trust_anchors
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(anchors);
    }

    /// The current trust anchors.
    pub fn trust_anchors(&self) -> Arc<TrustAnchors> {
        self.trust_anchors
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}
