//! The values of the eID login: card readers, what the service asks for,
//! and why a login attempt failed. No secret crosses here in this
//! direction; the PIN, CAN and PUK go the other way, once, as command
//! arguments, and are zeroized in Rust after use.

use serde::Serialize;
use ts_rs::TS;

/// One card reader and whether a card lies on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CardReaderDto {
    /// The reader's name as the smart card service reports it.
    pub name: String,
    /// Whether a card is present.
    pub card_present: bool,
}

/// The card readers, as the `readers-changed` event and `eid_readers`
/// report them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReadersDto {
    /// Whether the smart card service (pcscd, WinSCard) answers at all.
    pub service_available: bool,
    /// The readers, in the service's order.
    pub readers: Vec<CardReaderDto>,
}

/// A right the service asks for, as a stable code the UI translates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "right",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum AccessRightDto {
    /// The sector-specific pseudonym (Restricted Identification).
    Pseudonym,
    /// Age verification.
    AgeVerification,
    /// Place-of-residence verification.
    PlaceVerification,
    /// Reading a data group (1–22).
    ReadDataGroup {
        /// The data group's number.
        number: u8,
    },
    /// Any other right, with the card's own label.
    Other {
        /// An English label.
        label: String,
    },
}

/// What the citizen is asked to consent to: from the service's terminal
/// certificate and certificate description, checked in Rust.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EidConsentDto {
    /// The service provider.
    pub provider_name: String,
    /// Its web address, if the description names one.
    pub provider_url: Option<String>,
    /// Who issued the provider's certificate.
    pub issuer_name: String,
    /// Plain-text terms of usage; `null` if the terms are in a format the
    /// app does not show (HTML, PDF).
    pub terms: Option<String>,
    /// The rights the service needs.
    pub required_rights: Vec<AccessRightDto>,
    /// First day of the certificate's validity (YYYY-MM-DD).
    pub valid_from: String,
    /// Last day of validity.
    pub valid_until: String,
}

/// Why an eID step failed, as a code the UI explains.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[serde(
    tag = "code",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum EidErrorDto {
    /// The smart card service does not answer.
    #[error("no smart card service")]
    NoReaderService,
    /// No card on the chosen reader.
    #[error("no card")]
    NoCard,
    /// The card on the reader is not a (supported) eID card.
    #[error("not an eID card")]
    NotAnEidCard,
    /// The card was removed or the reader failed mid-operation.
    #[error("card removed")]
    CardRemoved,
    /// The PIN was wrong.
    #[error("wrong PIN")]
    WrongPin {
        /// Tries left (0–2) as the card reported them; `null` if the card
        /// did not say.
        retries_left: Option<u8>,
    },
    /// The PIN is suspended: the CAN is needed.
    #[error("PIN suspended")]
    PinSuspended,
    /// The PIN is blocked: the PUK is needed.
    #[error("PIN blocked")]
    PinBlocked,
    /// The PUK is used up: only the citizens' office can help.
    #[error("PUK exhausted")]
    PukExhausted,
    /// The CAN was wrong.
    #[error("wrong CAN")]
    WrongCan,
    /// The PUK was wrong.
    #[error("wrong PUK")]
    WrongPuk,
    /// The online-ID function is switched off.
    #[error("eID deactivated")]
    Deactivated,
    /// A PIN, CAN or PUK has the wrong number of digits.
    #[error("invalid input")]
    InvalidInput {
        /// `pin`, `can` or `puk`.
        field: String,
    },
    /// The service's certificate does not hold together; nothing was sent.
    #[error("invalid service certificate")]
    ServiceCertificateInvalid,
    /// The service refused (its code, e.g. `card_not_trusted`).
    #[error("refused by the service")]
    ServiceRefused {
        /// The relay protocol's error code.
        reason: String,
    },
    /// The homeserver does not offer the eID login or is not configured.
    #[error("homeserver not available")]
    HomeserverUnavailable,
    /// A network failure.
    #[error("network error")]
    Network,
    /// The homeserver refused the login token.
    #[error("login failed")]
    LoginFailed,
    /// No login is in progress (start it first).
    #[error("no login in progress")]
    NoLoginInProgress,
    /// Someone is already logged in.
    #[error("already logged in")]
    AlreadyLoggedIn,
    /// The OS keychain is missing or locked.
    #[error("keychain unavailable")]
    KeychainUnavailable,
    /// Renewing the eID attestation needs a logged-in account.
    #[error("not logged in")]
    NotLoggedIn,
    /// This device does not hold the account's master key (a new device
    /// before its recovery): it cannot have it attested.
    #[error("no master key on this device")]
    NoMasterKey,
    /// The card was fine, but the login service issued no attestation for
    /// this account (e.g. the card belongs to another account, or the
    /// ticket expired).
    #[error("attestation not issued")]
    AttestationNotIssued,
    /// Anything else; details are in the log.
    #[error("internal error")]
    Internal,
}
