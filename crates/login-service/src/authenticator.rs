//! The eID authentication step, as the OpenID Connect side sees it.
//!
//! [`EidAuthenticator`] is the seam between the provider and the eID
//! protocols: sans-I/O, it turns what the app reports after PACE into
//! batches of command APDUs and, at the end, the card's sector-specific
//! pseudonym. The implementation is [`crate::eac::EacAuthenticator`]
//! (Terminal Authentication v2, passive authentication of EF.CardSecurity,
//! Chip Authentication v2 and Restricted Identification from g2c-eid).

use crate::relay::{Hello, SecureMessaging, Start};

/// The card's Restricted Identification result: a stable pseudonym for this
/// card in the service's sector. One type with the card side's (zeroized on
/// drop, `Debug` shows no bytes), so the pseudonym that leaves the EAC
/// session is the very value RI produced.
pub use g2c_eid::ri::SectorPseudonym;

/// What the service wants from the card next.
#[derive(Debug)]
pub enum EidStep {
    /// Send these commands and come back with the responses.
    Transmit {
        /// Who protects the commands.
        secure_messaging: SecureMessaging,
        /// The command APDUs.
        commands: Vec<Vec<u8>>,
    },
    /// The authentication succeeded.
    Done(SectorPseudonym),
}

/// Why an eID authentication failed. Messages are safe to log.
#[derive(Debug, thiserror::Error)]
pub enum EidError {
    /// What the app reported after PACE is unusable (EF.CardAccess, ID_PICC,
    /// CARs).
    #[error("unusable PACE result: {0}")]
    BadStart(String),
    /// The card answered a command with an error status.
    #[error("the card refused a command (status {status:04X})")]
    Card {
        /// The status word.
        status: u16,
    },
    /// The card did not accept the terminal: its CV certificate chain (an
    /// unknown or expired CVCA, DV or terminal certificate) or its signature.
    #[error("the card did not accept the terminal: {0}")]
    TerminalRejected(String),
    /// EF.CardSecurity is not signed by a document signer under a trusted
    /// CSCA (or is forged or unreadable): the service refuses the card.
    #[error("the card is not trusted: {0}")]
    UntrustedCard(String),
    /// A response did not verify (Chip Authentication token, signature,
    /// secure messaging MAC, Restricted Identification).
    #[error("eID authentication failed: {0}")]
    Verification(String),
    /// The responses do not match the commands (count, format).
    #[error("protocol error: {0}")]
    Protocol(String),
}

/// One eID authentication in progress: a sans-I/O state machine.
pub trait EidSession: Send {
    /// Takes the card's responses to the last batch and says what is next.
    fn step(&mut self, responses: Vec<Vec<u8>>) -> Result<EidStep, EidError>;
}

/// The eID service: the terminal's identity and the start of sessions.
pub trait EidAuthenticator: Send + Sync {
    /// The terminal certificate, description and CHAT shown before the PIN.
    fn hello(&self) -> Hello;

    /// Starts a session with what the app reports after PACE and returns it
    /// with its first step.
    fn begin(&self, start: &Start) -> Result<(Box<dyn EidSession>, EidStep), EidError>;
}
