//! Whether the authority behind a request is verified, as the UI shows it:
//! on the request page's header and as a marker in the overview.
//!
//! The reasons are a closed set the UI translates; nothing in here is text
//! from the homeserver or the authority except a verified authority's name,
//! which comes from its certificate (checked up to a configured root).

use serde::Serialize;
use ts_rs::TS;

/// The authority's trust: `{ state: "verified", name }` or
/// `{ state: "unverified", reason }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "state",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum AuthorityTrustDto {
    /// A certificate chain up to a configured government root names this
    /// authority and its Matrix account, and vouches for its current keys.
    Verified {
        /// The authority's name as its certificate states it.
        name: String,
    },
    /// Not verified; the UI warns and says why.
    Unverified {
        /// Why.
        reason: UntrustedReasonDto,
    },
}

/// Why an authority is not verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum UntrustedReasonDto {
    /// This installation has no government root to check against (the
    /// pilot ships none; `AMTSBOTE_TRUST_ROOTS` configures one).
    NoRootsConfigured,
    /// The configured roots could not be read (the log says why).
    RootsUnreadable,
    /// The authority's identity changed after it had been verified, and the
    /// new one has no valid certificate: possibly an impostor.
    IdentityChanged,
    /// The authority published no certificate.
    NoCertificate,
    /// The certificate names another authority or another account.
    NameMismatch,
    /// The certificate has expired.
    Expired,
    /// The certificate is not valid yet.
    NotYetValid,
    /// The certificate was revoked.
    Revoked,
    /// The certificate chains to a root that is not configured (or is
    /// self-signed).
    OtherRoot,
    /// The chain's signatures do not hold.
    InvalidChain,
    /// The certificate does not vouch for the authority's current keys.
    KeyMismatch,
    /// The certificate or its signature cannot be read.
    Malformed,
    /// The authority's account has no cross-signing identity.
    NoIdentity,
    /// The room names no authority.
    NotARequestRoom,
    /// The check could not be done (e.g. the keys could not be loaded); the
    /// log says why.
    CheckFailed,
}
