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
use crate::cvc::{AccessRight, Chat, CvCertificate, CvDate, CvPublicKey, Role, TrustAnchor};
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

/// The card side of EAC: trusted CVCA, date, CA and RI keys, EF.CardSecurity.
pub struct FakeEac {
    /// The CVCA the card trusts.
    pub trust_anchor: TrustAnchor,
    /// The card's current date for certificate expiry.
    pub today: CvDate,
    /// The CA key pair's curve.
    pub ca_curve: Curve,
    /// The static CA private key.
    pub ca_secret: Zeroizing<Vec<u8>>,
    /// The RI private key (key reference 0x84).
    pub ri_secret: Zeroizing<Vec<u8>>,
    /// EF.CardAccess (replaces the PACE-only one).
    pub card_access: Vec<u8>,
    /// EF.CardSecurity.
    pub card_security: Vec<u8>,
}

impl std::fmt::Debug for FakeEac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeEac").finish_non_exhaustive()
    }
}

impl FakeEac {
    /// From a test PKI (trusted CVCA) and chip fixture; the card's date is 2026-06-01.
    pub fn from_fixture(
        pki: &crate::test_pki::TestPki,
        chip: &crate::test_pki::CardSecurityFixture,
    ) -> Self {
        Self {
            trust_anchor: TrustAnchor::from_certificate(&pki.cvca)
                .unwrap_or_else(|e| unreachable!("test CVCA: {e}")),
            today: CvDate {
                year: 2026,
                month: 6,
                day: 1,
            },
            ca_curve: chip.ca_key.curve,
            ca_secret: Zeroizing::new(chip.ca_key.secret().to_vec()),
            ri_secret: Zeroizing::new(chip.ri_key.secret().to_vec()),
            card_access: chip.card_access.clone(),
            card_security: chip.ef_card_security.clone(),
        }
    }
}

/// A certificate the card imported with PSO:Verify Certificate.
#[derive(Clone)]
struct Imported {
    chr: crate::cvc::CertificateReference,
    key: CvPublicKey,
    curve: Curve,
    chat: Chat,
    role: Role,
}

#[derive(Default)]
struct EacState {
    imported: Vec<Imported>,
    selected: Option<Imported>,
    terminal: Option<Imported>,
    comp_ephemeral: Option<Vec<u8>>,
    aux: Option<Vec<u8>>,
    challenge: Option<[u8; 8]>,
    ta_chat: Option<Chat>,
    ca_done: bool,
    ga: GaMode,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum GaMode {
    #[default]
    Pace,
    Ca,
    Ri,
}

/// The fake card. Its secrets are plain test values.
pub struct FakeCard {
    eac: Option<FakeEac>,
    eac_state: EacState,
    pace_ephemeral: Option<Vec<u8>>,
    pace_chat: Option<Chat>,
    pending_sm: Option<SecureMessaging>,
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
            eac: None,
            eac_state: EacState::default(),
            pace_ephemeral: None,
            pace_chat: None,
            pending_sm: None,
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

    /// A brainpoolP256r1 card that also runs TA, CA and RI.
    pub fn with_eac(pin: &str, can: &str, puk: &str, eac: FakeEac) -> Self {
        let mut card = Self::new(pin, can, puk);
        card.card_access = eac.card_access.clone();
        card.eac = Some(eac);
        card
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
        self.eac_state = EacState::default();
        self.pace_ephemeral = None;
        self.pace_chat = None;
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
            if let Some(new) = self.pending_sm.take() {
                // Chip Authentication: new keys after this response.
                self.sm = Some(new);
            } else if self.sm.is_none() {
                // A new PACE inside SM replaces the channel after its last step.
                self.sm = Some(sm);
            }
            return protected.unwrap_or_else(|_| ResponseApdu::new(vec![], StatusWord(0x6F00)));
        }
        // A plain command ends any secure channel (the CAN stays authenticated).
        self.sm = None;
        self.authenticated = None;
        self.eac_state = EacState::default();
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
            (0xB0, 0x9D, 0) if secure && self.eac.is_some() => {
                if self.eac_state.ta_chat.is_none() {
                    return sw(0x6982);
                }
                let file = self
                    .eac
                    .as_ref()
                    .map(|e| e.card_security.clone())
                    .unwrap_or_default();
                let n = cmd.le().unwrap_or(256).min(file.len());
                ResponseApdu::new(
                    file.get(..n).unwrap_or_default().to_vec(),
                    StatusWord(0x9000),
                )
            }
            (0x22, 0xC1, 0xA4) => {
                self.eac_state.ga = GaMode::Pace;
                self.mse_set_at(cmd)
            }
            (0x86, 0x00, 0x00) if self.eac_state.ga != GaMode::Pace => {
                self.eac_general_authenticate(cmd)
            }
            (0x86, 0x00, 0x00) => self.general_authenticate(cmd),
            (0x22, 0x81, 0xB6) if secure => self.set_dst(cmd),
            (0x2A, 0x00, 0xBE) if secure => self.verify_certificate(cmd),
            (0x22, 0x81, 0xA4) if secure => self.ta_set_at(cmd),
            (0x84, 0x00, 0x00) if secure => {
                let mut r = [0u8; 8];
                if getrandom::fill(&mut r).is_err() {
                    return sw(0x6F00);
                }
                self.eac_state.challenge = Some(r);
                ResponseApdu::new(r.to_vec(), SW_OK)
            }
            (0x82, 0x00, 0x00) if secure => self.external_authenticate(cmd),
            (0x22, 0x41, 0xA4) if secure => self.ca_ri_set_at(cmd),
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
        self.pace_chat = tlv::find(&objs, 0x7F4C).and_then(|t| Chat::parse(t.raw).ok());
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
                self.eac_state = EacState::default();
                self.pace_ephemeral = Some(own);
                self.sm = Some(SecureMessaging::new(keys));
                Ok((reply(0x86, &card_token), false))
            }
        }
    }

    fn set_dst(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let Some(eac) = &self.eac else {
            return ResponseApdu::new(vec![], StatusWord(0x6D00));
        };
        let Ok(objs) = tlv::parse_all(cmd.data()) else {
            return ResponseApdu::new(vec![], StatusWord(0x6A80));
        };
        let Some(car) = tlv::find(&objs, 0x83) else {
            return ResponseApdu::new(vec![], StatusWord(0x6A80));
        };
        let anchor = Imported {
            chr: eac.trust_anchor.chr.clone(),
            key: eac.trust_anchor.key.clone(),
            curve: eac.trust_anchor.curve,
            chat: eac.trust_anchor.chat.clone(),
            role: Role::Cvca,
        };
        let found = std::iter::once(anchor)
            .chain(self.eac_state.imported.iter().cloned())
            .find(|i| i.chr.as_bytes() == car.value);
        match found {
            Some(i) => {
                self.eac_state.selected = Some(i);
                ResponseApdu::new(vec![], SW_OK)
            }
            None => ResponseApdu::new(vec![], StatusWord(0x6A88)),
        }
    }

    fn verify_certificate(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let sw = |v| ResponseApdu::new(vec![], StatusWord(v));
        let (Some(eac), Some(issuer)) = (&self.eac, self.eac_state.selected.clone()) else {
            return sw(0x6985);
        };
        let Ok(cert) = CvCertificate::parse(&tlv::encode(0x7F21, cmd.data())) else {
            return sw(0x6A80);
        };
        let b = &cert.body;
        if b.car != issuer.chr || cert.verify_signature(&issuer.key, issuer.curve).is_err() {
            return sw(0x6300);
        }
        let role_ok = match issuer.role {
            Role::Cvca => true,
            Role::DvOfficialDomestic | Role::DvNonOfficialForeign => b.chat.role == Role::Terminal,
            Role::Terminal => false,
        };
        if !role_ok || (b.chat.role != Role::Cvca && b.expiry < eac.today) {
            return sw(0x6300);
        }
        let curve = b.public_key.curve.unwrap_or(issuer.curve);
        self.eac_state.imported.push(Imported {
            chr: b.chr.clone(),
            key: b.public_key.clone(),
            curve,
            chat: b.chat.intersect(&issuer.chat),
            role: b.chat.role,
        });
        sw(0x9000)
    }

    fn ta_set_at(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let sw = |v| ResponseApdu::new(vec![], StatusWord(v));
        let Ok(objs) = tlv::parse_all(cmd.data()) else {
            return sw(0x6A80);
        };
        let (Some(chr), Some(comp)) = (tlv::find(&objs, 0x83), tlv::find(&objs, 0x91)) else {
            return sw(0x6A80);
        };
        let terminal = self
            .eac_state
            .imported
            .iter()
            .find(|i| i.chr.as_bytes() == chr.value && i.role == Role::Terminal)
            .cloned();
        let Some(terminal) = terminal else {
            return sw(0x6A88);
        };
        self.eac_state.terminal = Some(terminal);
        self.eac_state.comp_ephemeral = Some(comp.value.to_vec());
        self.eac_state.aux = tlv::find(&objs, 0x67).map(|t| t.raw.to_vec());
        sw(0x9000)
    }

    fn external_authenticate(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let sw = |v| ResponseApdu::new(vec![], StatusWord(v));
        let st = &self.eac_state;
        let (Some(t), Some(r), Some(comp), Some(eph)) = (
            &st.terminal,
            st.challenge,
            &st.comp_ephemeral,
            &self.pace_ephemeral,
        ) else {
            return sw(0x6985);
        };
        let Ok(id_picc) = crate::ec::compress(self.params.curve, eph) else {
            return sw(0x6F00);
        };
        let mut msg = id_picc;
        msg.extend(r);
        msg.extend(comp);
        if let Some(aux) = &st.aux {
            msg.extend(aux);
        }
        if t.key.verify(t.curve, &msg, cmd.data()).is_err() {
            self.eac_state.challenge = None;
            return sw(0x6300);
        }
        let chat = match &self.pace_chat {
            Some(p) => t.chat.intersect(p),
            None => t.chat.clone(),
        };
        self.eac_state.ta_chat = Some(chat);
        self.eac_state.challenge = None;
        sw(0x9000)
    }

    fn ca_ri_set_at(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let sw = |v| ResponseApdu::new(vec![], StatusWord(v));
        let Ok(objs) = tlv::parse_all(cmd.data()) else {
            return sw(0x6A80);
        };
        let Some(oid) = tlv::find(&objs, 0x80) else {
            return sw(0x6A80);
        };
        let ca_oid = crate::ca::ID_CA_ECDH_AES_CBC_CMAC_128;
        let ri_oid = crate::ri::ID_RI_ECDH_SHA_256;
        let Some(chat) = &self.eac_state.ta_chat else {
            return sw(0x6982);
        };
        if oid.value == ca_oid.as_bytes() {
            self.eac_state.ga = GaMode::Ca;
            sw(0x9000)
        } else if oid.value == ri_oid.as_bytes() {
            if !self.eac_state.ca_done || !chat.has(AccessRight::RestrictedIdentification) {
                return sw(0x6982);
            }
            if tlv::find(&objs, 0x84).map(|t| t.value) != Some(&[0x84][..]) {
                return sw(0x6A88);
            }
            self.eac_state.ga = GaMode::Ri;
            sw(0x9000)
        } else {
            sw(0x6A80)
        }
    }

    fn eac_general_authenticate(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let sw = |v| ResponseApdu::new(vec![], StatusWord(v));
        let Some(eac) = &self.eac else {
            return sw(0x6985);
        };
        let Ok((outer, _)) = tlv::Tlv::parse(cmd.data()) else {
            return sw(0x6A80);
        };
        let Ok(objs) = outer.children() else {
            return sw(0x6A80);
        };
        match self.eac_state.ga {
            GaMode::Ca => {
                let Some(pk) = tlv::find(&objs, 0x80) else {
                    return sw(0x6A80);
                };
                let comp = crate::ec::compress(eac.ca_curve, pk.value).ok();
                if comp.is_none() || comp != self.eac_state.comp_ephemeral {
                    return sw(0x6A80);
                }
                let Ok(shared) = crate::ec::ecdh(eac.ca_curve, &eac.ca_secret, pk.value) else {
                    return sw(0x6A80);
                };
                let mut nonce = [0u8; 8];
                if getrandom::fill(&mut nonce).is_err() {
                    return sw(0x6F00);
                }
                let oid = crate::ca::ID_CA_ECDH_AES_CBC_CMAC_128;
                let keys = crate::ca::derive_keys(&shared, &nonce, KeySize::Aes128);
                let Ok(token) = auth_token(keys.mac(), &oid, pk.value) else {
                    return sw(0x6F00);
                };
                self.pending_sm = Some(SecureMessaging::new(keys));
                self.eac_state.ca_done = true;
                self.eac_state.ga = GaMode::Pace;
                let mut inner = tlv::encode(0x81, &nonce);
                inner.extend(tlv::encode(0x82, &token));
                ResponseApdu::new(tlv::encode(0x7C, &inner), SW_OK)
            }
            GaMode::Ri => {
                let point = tlv::find(&objs, 0xA0)
                    .and_then(|a| a.children().ok())
                    .and_then(|c| tlv::find(&c, 0x86).map(|t| t.value.to_vec()));
                let Some(point) = point else {
                    return sw(0x6A80);
                };
                let Ok(shared) = crate::ec::ecdh(eac.ca_curve, &eac.ri_secret, &point) else {
                    return sw(0x6A80);
                };
                use sha2::Digest;
                let id = sha2::Sha256::digest(shared.as_slice());
                ResponseApdu::new(tlv::encode(0x7C, &tlv::encode(0x81, &id)), SW_OK)
            }
            GaMode::Pace => sw(0x6985),
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
