//! The eID service's side of an online authentication behind a relay:
//! TA v2 → EF.CardSecurity (passive authentication) → CA v2 → Restricted Identification.
//!
//! [`EacSession`] is sans-I/O and speaks in *batches* of command APDUs, the
//! unit of the login-service relay protocol: the citizen's client runs each
//! batch on the card in order and returns the responses, stopping at the
//! first error status. Before Chip Authentication the commands are plain and
//! the client wraps them in its PACE secure messaging
//! ([`Protection::Client`]); afterwards the service protects them end to end
//! with the CA keys ([`Protection::Service`]) and the client forwards them
//! unchanged (see [`crate::relay::ClientRelay`]).
//!
//! Batches: (1) TA certificates, MSE:Set AT, GET CHALLENGE; (2) EXTERNAL
//! AUTHENTICATE and READ BINARY EF.CardSecurity (more reads if the card
//! returns it in parts); (3) CA MSE:Set AT and GENERAL AUTHENTICATE; (4) RI
//! MSE:Set AT and (5) RI GENERAL AUTHENTICATE, one per batch because each
//! end-to-end protected response must be verified before the next command's
//! send sequence counter is used.

use std::fmt;

use thiserror::Error;
use tracing::debug;

use crate::apdu::{ApduError, CommandApdu, ResponseApdu};
use crate::ca::{CaError, ChipAuthentication, EphemeralKey};
use crate::card_access::{CardAccessError, SecurityInfos};
use crate::card_security::{CardSecurity, CardSecurityError, EacInfos};
use crate::cvc::{CertificateReference, CvCertificate};
use crate::ec::EcError;
use crate::ri::{ID_RI_ECDH_SHA_256, RestrictedIdentification, RiError, SectorPseudonym};
use crate::sm::{SecureMessaging, SmError};
use crate::ta::{AuxiliaryData, PaceSessionInfo, TaError, TerminalAuthentication, TerminalKey};
use crate::tlv::Tlv;
use crate::transport::TransportError;

/// The most EF.CardSecurity may have (bytes); larger is refused.
const MAX_CARD_SECURITY: usize = 16 * 1024;

/// Who applies secure messaging to a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Plain commands; the client wraps them in its PACE secure messaging.
    Client,
    /// Commands protected end to end by the service; the client forwards them and
    /// drops its PACE keys.
    Service,
}

/// One batch of commands for the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Who protects the commands.
    pub protection: Protection,
    /// The encoded command APDUs, in order.
    pub commands: Vec<Vec<u8>>,
}

/// How EF.CardSecurity's document signer is checked.
#[derive(Debug, Clone)]
pub enum PassiveAuthentication {
    /// The DS certificate must be signed by one of these CSCA certificates.
    TrustList(Vec<x509_cert::Certificate>),
    /// Only the CMS signature with the embedded DS certificate is checked.
    /// For test cards only: anyone can make such a file.
    SignatureOnly,
}

/// The service's configuration for one authentication.
pub struct EacConfig {
    /// Link CVCA, DV and terminal certificates.
    pub chain: Vec<CvCertificate>,
    /// The terminal's private key.
    pub terminal_key: TerminalKey,
    /// Auxiliary data for TA, if any.
    pub auxiliary_data: Option<AuxiliaryData>,
    /// The terminal sector's public key for Restricted Identification (uncompressed point).
    pub sector_public_key: Vec<u8>,
    /// How EF.CardSecurity is checked.
    pub passive_authentication: PassiveAuthentication,
}

impl fmt::Debug for EacConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EacConfig")
            .field(
                "chain",
                &self.chain.iter().map(|c| c.chr()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Why the authentication failed. Messages carry no secrets.
#[derive(Debug, Error)]
pub enum EacError {
    /// EF.CardAccess (from the client) is unusable.
    #[error("EF.CardAccess: {0}")]
    CardAccess(#[from] CardAccessError),
    /// The card offers no Chip Authentication on a supported curve.
    #[error("the card offers no supported chip authentication")]
    NoChipAuthentication,
    /// Terminal Authentication failed.
    #[error("terminal authentication: {0}")]
    Ta(#[from] TaError),
    /// EF.CardSecurity is unreadable, forged or from an untrusted signer.
    #[error("EF.CardSecurity: {0}")]
    CardSecurity(#[from] CardSecurityError),
    /// Chip Authentication failed.
    #[error("chip authentication: {0}")]
    Ca(#[from] CaError),
    /// Restricted Identification failed.
    #[error("restricted identification: {0}")]
    Ri(#[from] RiError),
    /// End-to-end secure messaging failed.
    #[error("secure messaging: {0}")]
    Sm(#[from] SmError),
    /// Reading EF.CardSecurity failed.
    #[error("reading EF.CardSecurity failed: {0}")]
    Read(crate::apdu::StatusWord),
    /// The responses do not fit the batch (count, format).
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    /// An elliptic-curve error.
    #[error("elliptic-curve error: {0}")]
    Ec(#[from] EcError),
    /// Building an APDU failed.
    #[error("APDU error: {0}")]
    Apdu(#[from] ApduError),
}

impl From<TransportError> for EacError {
    fn from(_: TransportError) -> Self {
        Self::Protocol("malformed response APDU")
    }
}

/// What the service does next.
#[derive(Debug)]
pub enum EacStep {
    /// Send this batch through the client and call [`EacSession::step`] with the responses.
    Transmit(Batch),
    /// Authentication complete.
    Done(EacResult),
}

/// The result of a complete authentication.
#[derive(Debug)]
pub struct EacResult {
    /// The card's pseudonym in the service's sector.
    pub pseudonym: SectorPseudonym,
    /// The terminal certificate used.
    pub terminal: CertificateReference,
    /// The card's signed security infos.
    pub card_security: EacInfos,
}

enum State {
    TaBatch,
    ExternalAuthenticate,
    ReadingCardSecurity(Vec<u8>),
    Ca(Box<ChipAuthentication>),
    RiMse(RestrictedIdentification),
    RiGa(RestrictedIdentification, ResponseApdu),
    Finished,
}

/// One authentication in progress (service side, sans I/O).
pub struct EacSession {
    ta: TerminalAuthentication,
    config_pa: PassiveAuthentication,
    sector_public_key: Vec<u8>,
    ephemeral: Option<EphemeralKey>,
    card_security: Option<CardSecurity>,
    sm: Option<SecureMessaging>,
    terminal: Option<CertificateReference>,
    state: State,
}

impl fmt::Debug for EacSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EacSession").finish_non_exhaustive()
    }
}

fn encode(cmds: &[CommandApdu]) -> Vec<Vec<u8>> {
    cmds.iter().map(CommandApdu::to_bytes).collect()
}

fn read_binary(offset: usize) -> Result<CommandApdu, ApduError> {
    let cmd = if offset == 0 {
        // Short EF identifier 1D (EF.CardSecurity), offset 0.
        CommandApdu::new(0x00, 0xB0, 0x9D, 0x00)
    } else {
        let [hi, lo] = (offset as u16 & 0x7FFF).to_be_bytes();
        CommandApdu::new(0x00, 0xB0, hi, lo)
    };
    Ok(cmd.with_le(crate::apdu::EXTENDED_LE_MAX)?.extended())
}

/// The total length of a DER object from its first bytes, if the header is complete.
fn der_total_len(prefix: &[u8]) -> Option<usize> {
    let first = *prefix.get(1)?;
    if first < 0x80 {
        return Some(2 + usize::from(first));
    }
    let n = usize::from(first & 0x7F);
    if n == 0 || n > 3 {
        return None;
    }
    let len = prefix
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |a, b| (a << 8) | usize::from(*b));
    Some(2 + n + len)
}

impl EacSession {
    /// Starts with what the client reports after PACE and EF.CardAccess as read from the
    /// card; returns the session and its first batch.
    pub fn begin(
        config: EacConfig,
        pace: &PaceSessionInfo,
        card_access: &[u8],
    ) -> Result<(Self, Batch), EacError> {
        let infos = EacInfos::from_security_infos(&SecurityInfos::parse(card_access)?)?;
        let curve = infos.ca_curve().ok_or(EacError::NoChipAuthentication)?;
        let ephemeral = EphemeralKey::generate(curve)?;
        let mut ta = TerminalAuthentication::new(
            &config.chain,
            config.terminal_key,
            pace,
            curve,
            ephemeral.public_key(),
            config.auxiliary_data.as_ref(),
        )?;
        let cmds = ta.start_batch()?;
        debug!(commands = cmds.len(), "EAC: TA batch");
        Ok((
            Self {
                ta,
                config_pa: config.passive_authentication,
                sector_public_key: config.sector_public_key,
                ephemeral: Some(ephemeral),
                card_security: None,
                sm: None,
                terminal: None,
                state: State::TaBatch,
            },
            Batch {
                protection: Protection::Client,
                commands: encode(&cmds),
            },
        ))
    }

    /// Consumes the responses to the last batch. Any error ends the session.
    pub fn step(&mut self, responses: &[Vec<u8>]) -> Result<EacStep, EacError> {
        let parsed = responses
            .iter()
            .map(|r| ResponseApdu::parse(r))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| EacError::Protocol("malformed response APDU"))?;
        let state = std::mem::replace(&mut self.state, State::Finished);
        match state {
            State::TaBatch => {
                let ext = self.ta.on_batch(&parsed)?;
                self.state = State::ExternalAuthenticate;
                Ok(self.client_batch(vec![ext, read_binary(0)?]))
            }
            State::ExternalAuthenticate => {
                let [ext, read, ..] = parsed.as_slice() else {
                    if let Some(r) = parsed.first() {
                        self.ta.on_response(r)?;
                    }
                    return Err(EacError::Protocol("missing responses"));
                };
                match self.ta.on_response(ext)? {
                    crate::ta::TaStep::Done(o) => self.terminal = Some(o.terminal),
                    crate::ta::TaStep::Send(_) => return Err(EacError::Protocol("TA")),
                }
                self.card_security_part(Vec::new(), read)
            }
            State::ReadingCardSecurity(sofar) => {
                let read = parsed
                    .first()
                    .ok_or(EacError::Protocol("missing responses"))?;
                self.card_security_part(sofar, read)
            }
            State::Ca(mut ca) => {
                let out = ca.on_batch(&parsed)?;
                let mut sm = SecureMessaging::new(out.keys);
                let ri = self.restricted_identification()?;
                let [mse, _] = ri.commands()?;
                let protected = sm.protect(&mse)?;
                self.sm = Some(sm);
                self.state = State::RiMse(ri);
                debug!("EAC: chip authenticated; RI under end-to-end SM");
                Ok(EacStep::Transmit(Batch {
                    protection: Protection::Service,
                    commands: vec![protected.to_bytes()],
                }))
            }
            State::RiMse(ri) => {
                let sm = self.sm.as_mut().ok_or(EacError::Protocol("no SM"))?;
                let resp = sm.unprotect(
                    parsed
                        .first()
                        .ok_or(EacError::Protocol("missing responses"))?,
                )?;
                let [_, ga] = ri.commands()?;
                let protected = sm.protect(&ga)?;
                self.state = State::RiGa(ri, resp);
                Ok(EacStep::Transmit(Batch {
                    protection: Protection::Service,
                    commands: vec![protected.to_bytes()],
                }))
            }
            State::RiGa(ri, mse) => {
                let sm = self.sm.as_mut().ok_or(EacError::Protocol("no SM"))?;
                let ga = sm.unprotect(
                    parsed
                        .first()
                        .ok_or(EacError::Protocol("missing responses"))?,
                )?;
                let pseudonym = ri.finish(&mse, &ga)?;
                debug!("EAC: done");
                Ok(EacStep::Done(EacResult {
                    pseudonym,
                    terminal: self.terminal.clone().ok_or(EacError::Protocol("TA"))?,
                    card_security: self
                        .card_security
                        .as_ref()
                        .map(|c| c.eac.clone())
                        .unwrap_or_default(),
                }))
            }
            State::Finished => Err(EacError::Protocol("session is over")),
        }
    }

    /// The end-to-end secure messaging session after CA (to read data groups etc.).
    pub fn secure_messaging(&mut self) -> Option<&mut SecureMessaging> {
        self.sm.as_mut()
    }

    fn client_batch(&self, cmds: Vec<CommandApdu>) -> EacStep {
        EacStep::Transmit(Batch {
            protection: Protection::Client,
            commands: encode(&cmds),
        })
    }

    fn restricted_identification(&self) -> Result<RestrictedIdentification, EacError> {
        let info = self
            .card_security
            .as_ref()
            .and_then(|c| c.eac.restricted_identification.first())
            .ok_or(EacError::Ri(RiError::Empty))?;
        let protocol = if crate::ca::ca_key_size(&info.protocol).is_none() {
            info.protocol
        } else {
            ID_RI_ECDH_SHA_256
        };
        Ok(RestrictedIdentification::new(
            protocol,
            info.key_id,
            &self.sector_public_key,
        ))
    }

    fn card_security_part(
        &mut self,
        mut sofar: Vec<u8>,
        read: &ResponseApdu,
    ) -> Result<EacStep, EacError> {
        if !read.sw().is_success() && read.sw().0 != 0x6282 {
            return Err(EacError::Read(read.sw()));
        }
        sofar.extend_from_slice(read.data());
        let total = der_total_len(&sofar).ok_or(EacError::Protocol("EF.CardSecurity header"))?;
        if total > MAX_CARD_SECURITY {
            return Err(EacError::Protocol("EF.CardSecurity too large"));
        }
        if sofar.len() < total {
            if read.data().is_empty() {
                return Err(EacError::Protocol("EF.CardSecurity truncated"));
            }
            let next = read_binary(sofar.len())?;
            self.state = State::ReadingCardSecurity(sofar);
            return Ok(self.client_batch(vec![next]));
        }
        sofar.truncate(total);
        let _ = Tlv::parse(&sofar).map_err(|_| EacError::Protocol("EF.CardSecurity"))?;
        let cs = CardSecurity::parse(&sofar)?;
        if let PassiveAuthentication::TrustList(list) = &self.config_pa {
            cs.verify_signer(list)?;
        }
        let params = cs.eac.ca_parameters()?;
        let key = self
            .ephemeral
            .take()
            .ok_or(EacError::Protocol("ephemeral key used"))?;
        let mut ca = ChipAuthentication::new(params, key)?;
        let cmds = ca.start_batch()?;
        self.card_security = Some(cs);
        self.state = State::Ca(Box::new(ca));
        Ok(self.client_batch(cmds))
    }
}
