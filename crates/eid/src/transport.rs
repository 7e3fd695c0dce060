//! The link to a card: anything that can send a command APDU and return the response.
//!
//! [`CardTransport`] is implemented by the PC/SC reader and by the fake card;
//! protocol code (PACE, secure messaging, PIN management) is written against
//! it and never against a concrete reader.

use thiserror::Error;

use crate::apdu::{ApduError, CommandApdu, ResponseApdu};

/// Errors of the link to the card.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    /// The card was removed (or reset) during the exchange.
    #[error("the card was removed")]
    CardRemoved,
    /// There is no card on the reader.
    #[error("no card on the reader")]
    NoCard,
    /// The reader disappeared or cannot be used.
    #[error("the card reader is unavailable")]
    ReaderUnavailable,
    /// The smart card service (pcscd) is not running.
    #[error("the smart card service is not running")]
    ServiceUnavailable,
    /// The response was not a valid APDU.
    #[error("invalid response: {0}")]
    Apdu(#[from] ApduError),
    /// Any other failure of the link, with a description.
    #[error("card communication failed: {0}")]
    Other(String),
}

/// Sends raw command APDUs to a card and returns the raw responses.
pub trait CardTransport {
    /// Sends one command and returns the response (data followed by SW1 SW2).
    fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;

    /// Sends a [`CommandApdu`] and parses the [`ResponseApdu`].
    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        let raw = self.transmit_raw(&command.to_bytes())?;
        Ok(ResponseApdu::parse(&raw)?)
    }
}

impl<T: CardTransport + ?Sized> CardTransport for &mut T {
    fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit_raw(command)
    }
}
