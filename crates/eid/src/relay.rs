//! The citizen's side of the relay: runs the service's command batches on the card.
//!
//! After PACE the client holds the PACE secure-messaging keys. For a
//! [`Protection::Client`] batch it wraps each plain command in that channel —
//! only the commands TA, CA and reading EF.CardSecurity need are allowed, so
//! a service cannot use the citizen's PACE channel for anything else (PIN
//! management, say). For a [`Protection::Service`] batch (after CA) it drops
//! the PACE keys for good and forwards the service's protected commands
//! unchanged. Each batch stops at the first response whose status is not
//! 90xx, 61xx or 63xx.

use thiserror::Error;
use tracing::debug;

use crate::apdu::{ApduError, CommandApdu};
use crate::eac::{Batch, Protection};
use crate::sm::{SecureMessaging, SessionKeys, SmError};
use crate::transport::{CardTransport, TransportError};

/// Why the client refused or failed a batch.
#[derive(Debug, Error)]
pub enum RelayError {
    /// The service asked for a command the client does not relay in its PACE channel.
    #[error("command INS {0:02X} is not allowed in the PACE channel")]
    Forbidden(u8),
    /// A client-protected batch after the PACE keys were dropped.
    #[error("the PACE channel is closed")]
    ChannelClosed,
    /// A command is not a valid APDU.
    #[error("invalid command: {0}")]
    Apdu(#[from] ApduError),
    /// Secure messaging with the card failed.
    #[error("secure messaging: {0}")]
    Sm(#[from] SmError),
    /// The card link failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// INS bytes a service may send through the PACE channel: MSE, PSO, GET CHALLENGE,
/// EXTERNAL AUTHENTICATE, GENERAL AUTHENTICATE, SELECT, READ BINARY.
const ALLOWED_INS: [u8; 7] = [0x22, 0x2A, 0x84, 0x82, 0x86, 0xA4, 0xB0];

/// Runs relay batches on a card after PACE.
#[derive(Debug)]
pub struct ClientRelay<T: CardTransport> {
    transport: T,
    pace: Option<SecureMessaging>,
}

fn continues(sw1: u8) -> bool {
    matches!(sw1, 0x90 | 0x61 | 0x63)
}

impl<T: CardTransport> ClientRelay<T> {
    /// A relay over `transport` with the PACE session keys.
    pub fn new(transport: T, pace_keys: SessionKeys) -> Self {
        Self {
            transport,
            pace: Some(SecureMessaging::new(pace_keys)),
        }
    }

    /// Runs one batch; returns the responses (possibly fewer than commands).
    pub fn run(&mut self, batch: &Batch) -> Result<Vec<Vec<u8>>, RelayError> {
        let mut out = Vec::with_capacity(batch.commands.len());
        for raw in &batch.commands {
            let cmd = CommandApdu::parse(raw)?;
            let resp = match batch.protection {
                Protection::Client => {
                    if !ALLOWED_INS.contains(&cmd.ins()) {
                        return Err(RelayError::Forbidden(cmd.ins()));
                    }
                    let sm = self.pace.as_mut().ok_or(RelayError::ChannelClosed)?;
                    let protected = sm.protect(&cmd)?;
                    let r = self.transport.transmit(&protected)?;
                    match sm.unprotect(&r) {
                        Ok(r) => r,
                        Err(e) => {
                            self.pace = None;
                            return Err(e.into());
                        }
                    }
                }
                Protection::Service => {
                    if self.pace.take().is_some() {
                        debug!("relay: PACE keys dropped, forwarding end-to-end SM");
                    }
                    self.transport.transmit(&cmd)?
                }
            };
            let sw1 = resp.sw().to_bytes()[0];
            out.push(resp.to_bytes());
            if !continues(sw1) {
                break;
            }
        }
        Ok(out)
    }

    /// The transport back.
    pub fn into_inner(self) -> T {
        self.transport
    }
}
