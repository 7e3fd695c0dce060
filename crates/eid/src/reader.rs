//! PC/SC readers through the `pcsc` crate (pcsclite on Linux, WinSCard on Windows).
//!
//! [`ReaderContext`] lists readers and connects to a card; [`PcscCard`]
//! implements [`CardTransport`]. [`ReaderWatcher`] blocks in
//! `SCardGetStatusChange` (including the PnP pseudo-reader for readers being
//! plugged in or out) until something changes: no busy polling. A blocked
//! wait can be ended from another thread with [`ReaderContext::cancel`].
//! PC/SC errors become [`ReaderError`] / [`TransportError`] variants a UI can
//! explain (card removed, reader unavailable, service not running).
//!
//! Only compiled here; it is exercised with real hardware or the virtual
//! reader (vpcd).

use std::ffi::CString;
use std::time::Duration;

use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};
use thiserror::Error;
use tracing::debug;

use crate::transport::{CardTransport, TransportError};

/// PC/SC failures, classified.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReaderError {
    /// The smart card service is not running (pcscd on Linux).
    #[error("the smart card service is not running")]
    ServiceUnavailable,
    /// The reader was unplugged or is unknown.
    #[error("the card reader is unavailable")]
    ReaderUnavailable,
    /// There is no card on the reader.
    #[error("no card on the reader")]
    NoCard,
    /// The card was removed or reset.
    #[error("the card was removed")]
    CardRemoved,
    /// The card does not answer.
    #[error("the card does not respond")]
    CardUnresponsive,
    /// A wait was cancelled with [`ReaderContext::cancel`].
    #[error("cancelled")]
    Cancelled,
    /// A reader name with an interior NUL byte.
    #[error("invalid reader name")]
    InvalidName,
    /// Any other PC/SC error.
    #[error("PC/SC error: {0}")]
    Pcsc(pcsc::Error),
}

impl From<pcsc::Error> for ReaderError {
    fn from(e: pcsc::Error) -> Self {
        use pcsc::Error as E;
        match e {
            E::NoService | E::ServiceStopped => Self::ServiceUnavailable,
            E::ReaderUnavailable | E::UnknownReader | E::NoReadersAvailable => {
                Self::ReaderUnavailable
            }
            E::NoSmartcard => Self::NoCard,
            E::RemovedCard | E::ResetCard => Self::CardRemoved,
            E::UnresponsiveCard | E::UnpoweredCard => Self::CardUnresponsive,
            E::Cancelled => Self::Cancelled,
            other => Self::Pcsc(other),
        }
    }
}

impl From<ReaderError> for TransportError {
    fn from(e: ReaderError) -> Self {
        match e {
            ReaderError::ServiceUnavailable => Self::ServiceUnavailable,
            ReaderError::ReaderUnavailable => Self::ReaderUnavailable,
            ReaderError::NoCard => Self::NoCard,
            ReaderError::CardRemoved => Self::CardRemoved,
            other => Self::Other(other.to_string()),
        }
    }
}

/// A PC/SC context (a connection to the smart card service).
#[derive(Clone)]
pub struct ReaderContext {
    context: Context,
}

impl std::fmt::Debug for ReaderContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReaderContext")
    }
}

impl ReaderContext {
    /// Connects to the smart card service.
    pub fn establish() -> Result<Self, ReaderError> {
        Ok(Self {
            context: Context::establish(Scope::User)?,
        })
    }

    /// The names of the connected readers (empty if there are none).
    pub fn list_readers(&self) -> Result<Vec<String>, ReaderError> {
        match self.context.list_readers_owned() {
            Ok(names) => Ok(names
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect()),
            Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// Connects to the card on `reader` (exclusive use during PACE and SM).
    pub fn connect(&self, reader: &str) -> Result<PcscCard, ReaderError> {
        let name = CString::new(reader).map_err(|_| ReaderError::InvalidName)?;
        let card = self
            .context
            .connect(&name, ShareMode::Exclusive, Protocols::ANY)?;
        debug!(reader, "connected to card");
        Ok(PcscCard { card: Some(card) })
    }

    /// Ends a blocked [`ReaderWatcher::wait`] on any clone of this context.
    pub fn cancel(&self) -> Result<(), ReaderError> {
        Ok(self.context.cancel()?)
    }

    /// A watcher for reader and card changes.
    pub fn watcher(&self) -> ReaderWatcher {
        ReaderWatcher {
            context: self.context.clone(),
            states: vec![ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE)],
        }
    }
}

/// A connected card.
pub struct PcscCard {
    card: Option<pcsc::Card>,
}

impl std::fmt::Debug for PcscCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PcscCard")
    }
}

impl PcscCard {
    /// The card's answer to reset.
    pub fn atr(&self) -> Result<Vec<u8>, ReaderError> {
        let card = self.card.as_ref().ok_or(ReaderError::CardRemoved)?;
        Ok(card.status2_owned()?.atr().to_vec())
    }

    /// Disconnects and resets the card (ending any secure channel).
    pub fn disconnect(mut self) -> Result<(), ReaderError> {
        match self.card.take() {
            Some(card) => card
                .disconnect(Disposition::ResetCard)
                .map_err(|(_, e)| e.into()),
            None => Ok(()),
        }
    }
}

impl CardTransport for PcscCard {
    fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let card = self.card.as_ref().ok_or(TransportError::CardRemoved)?;
        let mut buffer = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        let response = card
            .transmit(command, &mut buffer)
            .map_err(|e| TransportError::from(ReaderError::from(e)))?;
        Ok(response.to_vec())
    }
}

/// One reader's state after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderStatus {
    /// The reader name.
    pub name: String,
    /// Whether a card is present.
    pub card_present: bool,
    /// The card's ATR, if present.
    pub atr: Vec<u8>,
}

/// Watches readers and cards with `SCardGetStatusChange`.
pub struct ReaderWatcher {
    context: Context,
    states: Vec<ReaderState>,
}

impl std::fmt::Debug for ReaderWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderWatcher")
            .field("readers", &self.states.len().saturating_sub(1))
            .finish()
    }
}

fn is_pnp(state: &ReaderState) -> bool {
    state.name() == pcsc::PNP_NOTIFICATION()
}

impl ReaderWatcher {
    /// Blocks until a reader is plugged in or out or a card is inserted or
    /// removed, or until `timeout` (None: no timeout). Returns the status of
    /// all readers, or `None` on timeout.
    pub fn wait(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<ReaderStatus>>, ReaderError> {
        // Forget readers that disappeared, add new ones.
        self.states
            .retain(|s| is_pnp(s) || !s.event_state().intersects(State::UNKNOWN | State::IGNORE));
        let names = match self.context.list_readers_owned() {
            Ok(n) => n,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        for name in names {
            if !self.states.iter().any(|s| s.name() == name.as_c_str()) {
                self.states.push(ReaderState::new(name, State::UNAWARE));
            }
        }
        for state in &mut self.states {
            state.sync_current_state();
        }
        match self.context.get_status_change(timeout, &mut self.states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        Ok(Some(
            self.states
                .iter()
                .filter(|s| !is_pnp(s))
                .map(|s| ReaderStatus {
                    name: s.name().to_string_lossy().into_owned(),
                    card_present: s.event_state().contains(State::PRESENT),
                    atr: s.atr().to_vec(),
                })
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcsc_errors_map_to_citizen_level_errors() {
        assert_eq!(
            ReaderError::from(pcsc::Error::RemovedCard),
            ReaderError::CardRemoved
        );
        assert_eq!(
            ReaderError::from(pcsc::Error::ResetCard),
            ReaderError::CardRemoved
        );
        assert_eq!(
            ReaderError::from(pcsc::Error::NoService),
            ReaderError::ServiceUnavailable
        );
        assert_eq!(
            ReaderError::from(pcsc::Error::ReaderUnavailable),
            ReaderError::ReaderUnavailable
        );
        assert_eq!(
            ReaderError::from(pcsc::Error::NoSmartcard),
            ReaderError::NoCard
        );
        assert_eq!(
            TransportError::from(ReaderError::from(pcsc::Error::RemovedCard)),
            TransportError::CardRemoved
        );
        assert!(matches!(
            TransportError::from(ReaderError::Cancelled),
            TransportError::Other(_)
        ));
    }
}
