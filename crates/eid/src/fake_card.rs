//! An in-process eID card for tests (feature `fake-card`).
//!
//! [`FakeCard`] implements the card side of PACE ECDH Generic Mapping (on
//! any supported curve, brainpoolP256r1 / AES-128 by default), secure
//! messaging, READ BINARY of EF.CardAccess, MSE:Set AT retry-counter queries,
//! VERIFY, RESET RETRY COUNTER and CHANGE REFERENCE DATA, with the nPA's PIN
//! life cycle: 3 tries, suspended at 1 (the CAN must be used first), blocked
//! at 0 (the PUK unblocks, a limited number of times), deactivation.
//! [`Fault`]s simulate a removed card, a corrupted MAC or a truncated response
//! at a given exchange.

use crate::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::crypto::{self, KeySize};
use crate::pace::{Curve, GenericMapping, PaceParameters, PasswordKind, auth_token, new_mapping};
use crate::sm::{SecureMessaging, SessionKeys};
use crate::tlv;
use crate::transport::{CardTransport, TransportError};
use zeroize::Zeroizing;

/// A fault to inject at the n-th exchange (1-based, counting every `transmit_raw`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The card is removed: this and all later exchanges fail with `CardRemoved`.
    RemoveCardAt(usize),
    /// The last byte of the response data (inside the MAC of an SM response) is flipped.
    CorruptMacAt(usize),
    /// Only the first byte of the response arrives.
    TruncateAt(usize),
}

enum PaceStage {
    Nonce,
    Mapping {
        nonce: Zeroizing<Vec<u8>>,
    },
    Ephemeral {
        own: Vec<u8>,
    },
    Token {
        own: Vec<u8>,
        terminal: Vec<u8>,
        shared: Zeroizing<Vec<u8>>,
    },
}

struct CardPace {
    kind: PasswordKind,
    password_key: Zeroizing<Vec<u8>>,
    mapping: Box<dyn GenericMapping>,
    stage: PaceStage,
}

const SW_OK: StatusWord = StatusWord(0x9000);
const ECDH_GM_AES_128: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.2.2");

/// The fake card. Its secrets are plain test values.
pub struct FakeCard {
    params: PaceParameters,
    card_access: Vec<u8>,
    pin: Zeroizing<Vec<u8>>,
    can: Zeroizing<Vec<u8>>,
    puk: Zeroizing<Vec<u8>>,
    pin_retries: u8,
    puk_uses_left: u8,
    deactivated: bool,
    can_authenticated: bool,
    authenticated: Option<PasswordKind>,
    pace: Option<CardPace>,
    sm: Option<SecureMessaging>,
    faults: Vec<Fault>,
    exchanges: usize,
    removed: bool,
}

impl std::fmt::Debug for FakeCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeCard")
            .field("pin_retries", &self.pin_retries)
            .field("exchanges", &self.exchanges)
            .finish_non_exhaustive()
    }
}

/// The DER EF.CardAccess announcing exactly `params`.
pub fn card_access_for(params: &PaceParameters) -> Vec<u8> {
    let mut info = tlv::encode(0x06, params.protocol.as_bytes());
    info.extend(tlv::encode(0x02, &[2]));
    info.extend(tlv::encode(0x02, &[params.curve.parameter_id() as u8]));
    tlv::encode(0x31, &tlv::encode(0x30, &info))
}

impl FakeCard {
    /// A card with brainpoolP256r1 / AES-128 and the given PIN (5 digits for a
    /// transport PIN), CAN and PUK.
    pub fn new(pin: &str, can: &str, puk: &str) -> Self {
        let params = PaceParameters {
            protocol: ECDH_GM_AES_128,
            key_size: KeySize::Aes128,
            curve: Curve::BrainpoolP256r1,
            send_parameter_id: false,
        };
        Self::with_parameters(params, pin, can, puk)
    }

    /// A card running PACE with other parameters.
    pub fn with_parameters(params: PaceParameters, pin: &str, can: &str, puk: &str) -> Self {
        Self {
            card_access: card_access_for(&params),
            params,
            pin: Zeroizing::new(pin.as_bytes().to_vec()),
            can: Zeroizing::new(can.as_bytes().to_vec()),
            puk: Zeroizing::new(puk.as_bytes().to_vec()),
            pin_retries: 3,
            puk_uses_left: 10,
            deactivated: false,
            can_authenticated: false,
            authenticated: None,
            pace: None,
            sm: None,
            faults: Vec::new(),
            exchanges: 0,
            removed: false,
        }
    }

    /// Sets the PIN retry counter (3 operational, 1 suspended, 0 blocked).
    pub fn set_pin_retries(&mut self, n: u8) {
        self.pin_retries = n.min(3);
    }
    /// The PIN retry counter.
    pub fn pin_retries(&self) -> u8 {
        self.pin_retries
    }
    /// Sets how often the PUK may still unblock the PIN.
    pub fn set_puk_uses_left(&mut self, n: u8) {
        self.puk_uses_left = n;
    }
    /// Switches the eID function off or on.
    pub fn set_deactivated(&mut self, deactivated: bool) {
        self.deactivated = deactivated;
    }
    /// Whether the card's PIN currently equals `pin`.
    pub fn pin_is(&self, pin: &str) -> bool {
        self.pin.as_slice() == pin.as_bytes()
    }
    /// Adds a fault.
    pub fn inject(&mut self, fault: Fault) {
        self.faults.push(fault);
    }
    /// The number of exchanges so far.
    pub fn exchanges(&self) -> usize {
        self.exchanges
    }
    /// Puts a removed card back (a reset: no PACE, no SM, CAN forgotten).
    pub fn reinsert(&mut self) {
        self.removed = false;
        self.reset_session();
    }

    fn reset_session(&mut self) {
        self.pace = None;
        self.sm = None;
        self.authenticated = None;
        self.can_authenticated = false;
    }

    fn password(&self, kind: PasswordKind) -> Option<&[u8]> {
        match kind {
            PasswordKind::Pin => Some(&self.pin),
            PasswordKind::Can => Some(&self.can),
            PasswordKind::Puk => Some(&self.puk),
            PasswordKind::Mrz => None,
        }
    }

    /// Processes one raw command (without faults).
    fn process(&mut self, raw: &[u8]) -> ResponseApdu {
        let Ok(cmd) = CommandApdu::parse(raw) else {
            return ResponseApdu::new(vec![], StatusWord(0x6700));
        };
        if cmd.cla() & 0x0C == 0x0C {
            let Some(mut sm) = self.sm.take() else {
                return ResponseApdu::new(vec![], StatusWord(0x6987));
            };
            let Ok(plain) = sm.card_unprotect_command(&cmd) else {
                // SM error: the card ends the secure channel.
                self.authenticated = None;
                return ResponseApdu::new(vec![], StatusWord(0x6988));
            };
            let resp = self.handle(&plain, true);
            let protected = sm.card_protect_response(&resp, plain.ins() & 1 == 1);
            // A new PACE inside SM replaces the channel after its last step.
            if self.sm.is_none() {
                self.sm = Some(sm);
            }
            return protected.unwrap_or_else(|_| ResponseApdu::new(vec![], StatusWord(0x6F00)));
        }
        // A plain command ends any secure channel (the CAN stays authenticated).
        self.sm = None;
        self.authenticated = None;
        self.handle(&cmd, false)
    }

    fn handle(&mut self, cmd: &CommandApdu, secure: bool) -> ResponseApdu {
        let sw = |v| ResponseApdu::new(vec![], StatusWord(v));
        match (cmd.ins(), cmd.p1(), cmd.p2()) {
            (0xA4, _, _) => sw(0x9000),
            (0xB0, 0x9C, offset) => {
                let start = usize::from(offset);
                let Some(rest) = self.card_access.get(start..) else {
                    return sw(0x6B00);
                };
                let n = cmd.le().unwrap_or(256).min(rest.len());
                let data = rest.get(..n).unwrap_or_default().to_vec();
                let status = if n < cmd.le().unwrap_or(0) {
                    0x6282
                } else {
                    0x9000
                };
                ResponseApdu::new(data, StatusWord(status))
            }
            (0x22, 0xC1, 0xA4) => self.mse_set_at(cmd),
            (0x86, 0x00, 0x00) => self.general_authenticate(cmd),
            (0x20, 0x00, 0x03) => match self.pin_retries {
                3 if self.authenticated == Some(PasswordKind::Pin) => sw(0x9000),
                n => sw(0x63C0 | u16::from(n)),
            },
            (0x2C, 0x03, 0x03) if secure => {
                if self.authenticated != Some(PasswordKind::Puk) {
                    return sw(0x6982);
                }
                self.pin_retries = 3;
                self.puk_uses_left = self.puk_uses_left.saturating_sub(1);
                sw(0x9000)
            }
            (0x2C, 0x02, 0x03) | (0x24, 0x01, 0x03) if secure => {
                if self.authenticated != Some(PasswordKind::Pin) {
                    return sw(0x6982);
                }
                let new = cmd.data();
                if new.len() != 6 || !new.iter().all(u8::is_ascii_digit) {
                    return sw(0x6A80);
                }
                self.pin = Zeroizing::new(new.to_vec());
                sw(0x9000)
            }
            (0x2C | 0x24, _, _) => sw(0x6982),
            _ => sw(0x6D00),
        }
    }

    fn mse_set_at(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let sw = |v| ResponseApdu::new(vec![], StatusWord(v));
        self.pace = None;
        let Ok(objs) = tlv::parse_all(cmd.data()) else {
            return sw(0x6A80);
        };
        let (Some(oid), Some(reference)) = (tlv::find(&objs, 0x80), tlv::find(&objs, 0x83)) else {
            return sw(0x6A80);
        };
        if oid.value != self.params.protocol.as_bytes() {
            return sw(0x6A80);
        }
        let Some(kind) = reference
            .value
            .first()
            .copied()
            .and_then(PasswordKind::from_reference)
        else {
            return sw(0x6A88);
        };
        let Some(password) = self.password(kind) else {
            return sw(0x6A88);
        };
        let Ok(mapping) = new_mapping(self.params.curve, None) else {
            return sw(0x6F00);
        };
        let password_key = crypto::kdf(password, crypto::KDF_PI, self.params.key_size);
        self.pace = Some(CardPace {
            kind,
            password_key,
            mapping,
            stage: PaceStage::Nonce,
        });
        match kind {
            PasswordKind::Pin if self.deactivated => sw(0x6283),
            PasswordKind::Pin if self.pin_retries < 3 => sw(0x63C0 | u16::from(self.pin_retries)),
            PasswordKind::Puk if self.puk_uses_left == 0 => sw(0x63C0),
            _ => sw(0x9000),
        }
    }

    fn general_authenticate(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let Some(mut pace) = self.pace.take() else {
            return ResponseApdu::new(vec![], StatusWord(0x6985));
        };
        let result = self.ga_step(&mut pace, cmd);
        match result {
            Ok((resp, keep)) => {
                if keep {
                    self.pace = Some(pace);
                }
                resp
            }
            Err(v) => ResponseApdu::new(vec![], StatusWord(v)),
        }
    }

    /// One GENERAL AUTHENTICATE step; returns the response and whether PACE continues.
    fn ga_step(
        &mut self,
        pace: &mut CardPace,
        cmd: &CommandApdu,
    ) -> Result<(ResponseApdu, bool), u16> {
        let outer = tlv::Tlv::parse(cmd.data()).map_err(|_| 0x6A80u16)?.0;
        if outer.tag != tlv::Tag(0x7C) {
            return Err(0x6A80);
        }
        let objs = outer.children().map_err(|_| 0x6A80u16)?;
        let reply = |tag: u32, value: &[u8]| {
            ResponseApdu::new(tlv::encode(0x7C, &tlv::encode(tag, value)), SW_OK)
        };
        let stage = std::mem::replace(&mut pace.stage, PaceStage::Nonce);
        match stage {
            PaceStage::Nonce => {
                match pace.kind {
                    PasswordKind::Pin if self.deactivated => return Err(0x6984),
                    PasswordKind::Pin if self.pin_retries == 0 => return Err(0x6983),
                    PasswordKind::Pin if self.pin_retries == 1 && !self.can_authenticated => {
                        return Err(0x6985);
                    }
                    PasswordKind::Puk if self.puk_uses_left == 0 => return Err(0x6983),
                    _ => {}
                }
                let mut nonce = Zeroizing::new(vec![0u8; 16]);
                getrandom::fill(&mut nonce).map_err(|_| 0x6F00u16)?;
                let z = crypto::cbc_encrypt(&pace.password_key, &[0; 16], &nonce)
                    .map_err(|_| 0x6F00u16)?;
                pace.stage = PaceStage::Mapping { nonce };
                Ok((reply(0x80, &z), true))
            }
            PaceStage::Mapping { nonce } => {
                let terminal = tlv::require(&objs, 0x81).map_err(|_| 0x6A80u16)?;
                let own_mapping = pace.mapping.mapping_public_key().map_err(|_| 0x6F00u16)?;
                let own = pace
                    .mapping
                    .map(&nonce, terminal.value)
                    .map_err(|_| 0x6A80u16)?;
                pace.stage = PaceStage::Ephemeral { own };
                Ok((reply(0x82, &own_mapping), true))
            }
            PaceStage::Ephemeral { own } => {
                let terminal = tlv::require(&objs, 0x83).map_err(|_| 0x6A80u16)?;
                if terminal.value == own.as_slice() {
                    return Err(0x6A80);
                }
                let shared = pace
                    .mapping
                    .shared_secret(terminal.value)
                    .map_err(|_| 0x6A80u16)?;
                let resp = reply(0x84, &own);
                pace.stage = PaceStage::Token {
                    own,
                    terminal: terminal.value.to_vec(),
                    shared,
                };
                Ok((resp, true))
            }
            PaceStage::Token {
                own,
                terminal,
                shared,
            } => {
                let token = tlv::require(&objs, 0x85).map_err(|_| 0x6A80u16)?;
                let keys = SessionKeys::derive(&shared, self.params.key_size);
                let expected =
                    auth_token(keys.mac(), &self.params.protocol, &own).map_err(|_| 0x6F00u16)?;
                if token.value != expected.as_slice() {
                    return Err(self.wrong_password(pace.kind));
                }
                match pace.kind {
                    PasswordKind::Pin => self.pin_retries = 3,
                    PasswordKind::Can => self.can_authenticated = true,
                    _ => {}
                }
                let card_token = auth_token(keys.mac(), &self.params.protocol, &terminal)
                    .map_err(|_| 0x6F00u16)?;
                self.authenticated = Some(pace.kind);
                self.sm = Some(SecureMessaging::new(keys));
                Ok((reply(0x86, &card_token), false))
            }
        }
    }

    fn wrong_password(&mut self, kind: PasswordKind) -> u16 {
        match kind {
            PasswordKind::Pin => {
                self.pin_retries = self.pin_retries.saturating_sub(1);
                0x63C0 | u16::from(self.pin_retries)
            }
            _ => 0x6300,
        }
    }
}

impl CardTransport for FakeCard {
    fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.exchanges += 1;
        let n = self.exchanges;
        if self.removed || self.faults.contains(&Fault::RemoveCardAt(n)) {
            self.removed = true;
            self.reset_session();
            return Err(TransportError::CardRemoved);
        }
        let mut resp = self.process(command).to_bytes();
        if self.faults.contains(&Fault::CorruptMacAt(n)) && resp.len() > 2 {
            let i = resp.len() - 3;
            if let Some(b) = resp.get_mut(i) {
                *b ^= 0x01;
            }
        }
        if self.faults.contains(&Fault::TruncateAt(n)) {
            resp.truncate(1);
        }
        Ok(resp)
    }
}
