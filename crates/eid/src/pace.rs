//! PACE v2 with ECDH Generic Mapping, terminal side (BSI TR-03110-2 3.2, -3 A.3, B.1;
//! ICAO Doc 9303-11 4.4).
//!
//! [`Pace`] is a sans-I/O state machine: [`Pace::start`] gives the first
//! command (MSE:Set AT), [`Pace::on_response`] consumes each response and
//! gives the next command, until the card's authentication token has been
//! verified and [`PaceOutcome`] holds the secure-messaging keys.
//! [`establish`] drives it over a [`CardTransport`].
//!
//! Supported: id-PACE-ECDH-GM-AES-CBC-CMAC-128/192/256 on the standardized
//! domain parameters brainpoolP256r1 (13), brainpoolP384r1 (16), NIST P-256
//! (12) and P-384 (15). DH, Integrated Mapping, Chip Authentication Mapping,
//! 3DES and other curves are refused with [`PaceError::Unsupported`] naming them.

use der::asn1::ObjectIdentifier;
use elliptic_curve::point::AffineCoordinates;
use elliptic_curve::sec1::{FromSec1Point, ModulusSize, ToSec1Point};
use elliptic_curve::{CurveArithmetic, FieldBytes, FieldBytesSize, Generate, Group, NonZeroScalar};
use subtle::ConstantTimeEq;
use thiserror::Error;
use tracing::debug;
use zeroize::{Zeroize, Zeroizing};

use crate::apdu::{ApduError, CommandApdu, ResponseApdu, Status, StatusWord};
use crate::card_access::{ID_PACE, PaceInfo, SecurityInfos};
use crate::crypto::{self, CryptoError, KeySize};
use crate::secrets::Password;
use crate::sm::SessionKeys;
use crate::tlv::{self, Tlv, TlvError};
use crate::transport::{CardTransport, TransportError};

/// The password a PACE run uses, as key reference of MSE:Set AT (tag 83).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum PasswordKind {
    /// Machine readable zone (01).
    Mrz = 1,
    /// Card access number (02).
    Can = 2,
    /// eID PIN (03).
    Pin = 3,
    /// PIN unblocking key (04).
    Puk = 4,
}

impl PasswordKind {
    /// From a key reference byte.
    pub fn from_reference(r: u8) -> Option<Self> {
        match r {
            1 => Some(Self::Mrz),
            2 => Some(Self::Can),
            3 => Some(Self::Pin),
            4 => Some(Self::Puk),
            _ => None,
        }
    }
}

/// The elliptic curves this crate runs PACE on (standardized domain parameter ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// NIST P-256 / secp256r1 (12).
    NistP256,
    /// brainpoolP256r1 (13), the German eID card's curve.
    BrainpoolP256r1,
    /// NIST P-384 / secp384r1 (15).
    NistP384,
    /// brainpoolP384r1 (16).
    BrainpoolP384r1,
}

impl Curve {
    /// The curve of a standardized domain parameter id (TR-03110-3 A.2.1.1).
    pub fn from_parameter_id(id: u32) -> Result<Self, PaceError> {
        let unsupported = |name: &str| {
            Err(PaceError::Unsupported(format!(
                "domain parameters {id} ({name})"
            )))
        };
        match id {
            12 => Ok(Self::NistP256),
            13 => Ok(Self::BrainpoolP256r1),
            15 => Ok(Self::NistP384),
            16 => Ok(Self::BrainpoolP384r1),
            0 => unsupported("1024-bit MODP group, DH"),
            1 => unsupported("2048-bit MODP group with 224-bit subgroup, DH"),
            2 => unsupported("2048-bit MODP group with 256-bit subgroup, DH"),
            8 => unsupported("NIST P-192"),
            9 => unsupported("brainpoolP192r1"),
            10 => unsupported("NIST P-224"),
            11 => unsupported("brainpoolP224r1"),
            14 => unsupported("brainpoolP320r1"),
            17 => unsupported("brainpoolP512r1: no RustCrypto arithmetic"),
            18 => unsupported("NIST P-521"),
            _ => unsupported("unknown"),
        }
    }

    /// The standardized domain parameter id.
    pub fn parameter_id(self) -> u32 {
        match self {
            Self::NistP256 => 12,
            Self::BrainpoolP256r1 => 13,
            Self::NistP384 => 15,
            Self::BrainpoolP384r1 => 16,
        }
    }
}

/// A PACE protocol and domain parameters this crate supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceParameters {
    /// The protocol OID (sent in MSE:Set AT and in the authentication tokens).
    pub protocol: ObjectIdentifier,
    /// The AES key size of the protocol.
    pub key_size: KeySize,
    /// The curve.
    pub curve: Curve,
    /// Whether MSE:Set AT names the domain parameters (tag 84); needed when the
    /// card offers several.
    pub send_parameter_id: bool,
}

fn protocol_name(mapping: u32, cipher: u32) -> String {
    let m = match mapping {
        1 => "DH-GM",
        2 => "ECDH-GM",
        3 => "DH-IM",
        4 => "ECDH-IM",
        6 => "ECDH-CAM",
        _ => "unknown-mapping",
    };
    let c = match cipher {
        1 => "3DES-CBC-CBC",
        2 => "AES-CBC-CMAC-128",
        3 => "AES-CBC-CMAC-192",
        4 => "AES-CBC-CMAC-256",
        _ => "unknown-cipher",
    };
    format!("id-PACE-{m}-{c}")
}

impl PaceParameters {
    /// The parameters of one PACEInfo, or why it is unsupported.
    pub fn from_info(info: &PaceInfo) -> Result<Self, PaceError> {
        let arcs: Vec<u32> = info.protocol.arcs().collect();
        let base = ID_PACE.arcs().count();
        let (Some(mapping), Some(cipher), true) = (
            arcs.get(base).copied(),
            arcs.get(base + 1).copied(),
            arcs.len() == base + 2,
        ) else {
            return Err(PaceError::Unsupported(format!(
                "protocol {}",
                info.protocol
            )));
        };
        let name = protocol_name(mapping, cipher);
        if info.version != 2 {
            return Err(PaceError::Unsupported(format!(
                "{name} version {}",
                info.version
            )));
        }
        if mapping != 2 {
            return Err(PaceError::Unsupported(name));
        }
        let key_size = match cipher {
            2 => KeySize::Aes128,
            3 => KeySize::Aes192,
            4 => KeySize::Aes256,
            _ => return Err(PaceError::Unsupported(name)),
        };
        let Some(id) = info.parameter_id else {
            return Err(PaceError::Unsupported(format!(
                "{name} with explicit domain parameters"
            )));
        };
        Ok(Self {
            protocol: info.protocol,
            key_size,
            curve: Curve::from_parameter_id(id)?,
            send_parameter_id: false,
        })
    }

    /// The first supported PACE variant of EF.CardAccess.
    pub fn select(infos: &SecurityInfos) -> Result<Self, PaceError> {
        let count = infos.pace_infos().count();
        let mut last_error = PaceError::Unsupported("no PACEInfo in EF.CardAccess".into());
        for info in infos.pace_infos() {
            match Self::from_info(info) {
                Ok(mut p) => {
                    p.send_parameter_id = count > 1;
                    return Ok(p);
                }
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }
}

/// Why PACE failed.
#[derive(Debug, Error)]
pub enum PaceError {
    /// The card offers only variants this crate does not implement.
    #[error("unsupported PACE variant: {0}")]
    Unsupported(String),
    /// The password was wrong; the card may say how many tries are left.
    #[error("wrong password ({retries_left:?} tries left)")]
    WrongPassword {
        /// Tries left (from 63Cx), if the card said.
        retries_left: Option<u8>,
    },
    /// The password's retry counter is exhausted (PIN blocked, PUK used up).
    #[error("the password is blocked")]
    Blocked,
    /// The password is deactivated (eID function switched off).
    #[error("the password is deactivated")]
    Deactivated,
    /// The PIN is suspended: PACE with the CAN must come first.
    #[error("the PIN is suspended; the CAN is needed first")]
    Suspended,
    /// The card answered a step with an unexpected status word.
    #[error("the card refused {step}: {sw}")]
    Card {
        /// The protocol step.
        step: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// A response lacks a data object or is malformed.
    #[error("malformed card response in {step}: {source}")]
    Malformed {
        /// The protocol step.
        step: &'static str,
        /// The TLV problem.
        source: TlvError,
    },
    /// A public key from the card is not a valid point (or is the identity).
    #[error("the card sent an invalid public key")]
    InvalidPoint,
    /// The card's ephemeral key equals ours (reflection attack).
    #[error("the card reflected the terminal's public key")]
    Reflection,
    /// The card's authentication token is wrong: not the card we share the password with.
    #[error("the card's authentication token is invalid")]
    CardTokenInvalid,
    /// A cryptographic length error (a malformed nonce).
    #[error("cryptographic error: {0}")]
    Crypto(#[from] CryptoError),
    /// The random number generator failed.
    #[error("no randomness available")]
    Random,
    /// The state machine was driven out of order.
    #[error("PACE driven out of order")]
    OutOfOrder,
    /// Building an APDU failed.
    #[error("APDU error: {0}")]
    Apdu(#[from] ApduError),
    /// The link to the card failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// The authentication token: AES-CMAC over the public key data object
/// `7F49 { 06 OID, 86 point }`, truncated to 8 bytes.
pub(crate) fn auth_token(
    k_mac: &[u8],
    protocol: &ObjectIdentifier,
    point: &[u8],
) -> Result<[u8; 8], CryptoError> {
    let mut inner = tlv::encode(0x06, protocol.as_bytes());
    inner.extend(tlv::encode(0x86, point));
    let mac = crypto::cmac(k_mac, &tlv::encode(0x7F49, &inner))?;
    let mut out = [0u8; 8];
    out.copy_from_slice(mac.get(..8).unwrap_or(&[0; 8]));
    Ok(out)
}

/// One side of ECDH Generic Mapping, independent of the curve type.
pub(crate) trait GenericMapping: Send {
    /// Generates the mapping key pair; returns the encoded public key.
    fn mapping_public_key(&mut self) -> Result<Vec<u8>, PaceError>;
    /// Computes G' = s·G + H from the nonce and the peer's mapping key, generates the
    /// ephemeral key pair on G' and returns its encoded public key.
    fn map(&mut self, nonce: &[u8], peer_mapping_key: &[u8]) -> Result<Vec<u8>, PaceError>;
    /// The x-coordinate of our ephemeral secret times the peer's ephemeral key.
    fn shared_secret(&self, peer_ephemeral_key: &[u8]) -> Result<Zeroizing<Vec<u8>>, PaceError>;
    /// The mapped generator (for tests).
    #[cfg(test)]
    fn mapped_generator(&self) -> Option<Vec<u8>>;
}

struct EcGm<C: CurveArithmetic> {
    mapping_secret: Option<C::Scalar>,
    ephemeral_secret: Option<C::Scalar>,
    /// Pre-set secrets (mapping, ephemeral) for known-answer tests.
    fixed: Option<(C::Scalar, C::Scalar)>,
    generator: Option<C::ProjectivePoint>,
}

impl<C: CurveArithmetic> Drop for EcGm<C> {
    fn drop(&mut self) {
        if let Some(s) = self.mapping_secret.as_mut() {
            s.zeroize();
        }
        if let Some(s) = self.ephemeral_secret.as_mut() {
            s.zeroize();
        }
        if let Some((a, b)) = self.fixed.as_mut() {
            a.zeroize();
            b.zeroize();
        }
    }
}

fn random_scalar<C: CurveArithmetic>() -> Result<C::Scalar, PaceError> {
    NonZeroScalar::<C>::try_generate()
        .map(C::Scalar::from)
        .map_err(|_| PaceError::Random)
}

impl<C> EcGm<C>
where
    C: CurveArithmetic,
    C::AffinePoint: FromSec1Point<C> + ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    fn new(fixed: Option<(&[u8], &[u8])>) -> Result<Self, PaceError> {
        let fixed = match fixed {
            Some((m, e)) => Some((scalar_from_bytes::<C>(m)?, scalar_from_bytes::<C>(e)?)),
            None => None,
        };
        Ok(Self {
            mapping_secret: None,
            ephemeral_secret: None,
            fixed,
            generator: None,
        })
    }

    fn decode_point(bytes: &[u8]) -> Result<C::ProjectivePoint, PaceError> {
        let p = C::AffinePoint::from_sec1_bytes(bytes).map_err(|_| PaceError::InvalidPoint)?;
        let p = C::ProjectivePoint::from(p);
        if bool::from(p.is_identity()) {
            return Err(PaceError::InvalidPoint);
        }
        Ok(p)
    }

    fn encode_point(p: C::ProjectivePoint) -> Vec<u8> {
        let a: C::AffinePoint = p.into();
        a.to_sec1_point(false).as_bytes().to_vec()
    }
}

fn scalar_from_bytes<C: CurveArithmetic>(bytes: &[u8]) -> Result<C::Scalar, PaceError> {
    use elliptic_curve::ff::PrimeField;
    let mut repr = FieldBytes::<C>::default();
    let offset = repr
        .len()
        .checked_sub(bytes.len())
        .ok_or(PaceError::InvalidPoint)?;
    repr.get_mut(offset..)
        .ok_or(PaceError::InvalidPoint)?
        .copy_from_slice(bytes);
    let s: Option<C::Scalar> = C::Scalar::from_repr(repr).into();
    s.ok_or(PaceError::InvalidPoint)
}

impl<C> GenericMapping for EcGm<C>
where
    C: CurveArithmetic,
    C::AffinePoint: FromSec1Point<C> + ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    fn mapping_public_key(&mut self) -> Result<Vec<u8>, PaceError> {
        let sk = match &self.fixed {
            Some((m, _)) => *m,
            None => random_scalar::<C>()?,
        };
        self.mapping_secret = Some(sk);
        Ok(Self::encode_point(C::ProjectivePoint::generator() * sk))
    }

    fn map(&mut self, nonce: &[u8], peer_mapping_key: &[u8]) -> Result<Vec<u8>, PaceError> {
        let sk = self.mapping_secret.take().ok_or(PaceError::OutOfOrder)?;
        let peer = Self::decode_point(peer_mapping_key)?;
        let h = peer * sk;
        let mut s = scalar_from_bytes::<C>(nonce)?;
        let g = C::ProjectivePoint::generator() * s + h;
        s.zeroize();
        if bool::from(h.is_identity()) || bool::from(g.is_identity()) {
            return Err(PaceError::InvalidPoint);
        }
        let eph = match &self.fixed {
            Some((_, e)) => *e,
            None => random_scalar::<C>()?,
        };
        self.ephemeral_secret = Some(eph);
        self.generator = Some(g);
        Ok(Self::encode_point(g * eph))
    }

    fn shared_secret(&self, peer_ephemeral_key: &[u8]) -> Result<Zeroizing<Vec<u8>>, PaceError> {
        let sk = self.ephemeral_secret.ok_or(PaceError::OutOfOrder)?;
        let peer = Self::decode_point(peer_ephemeral_key)?;
        let k = peer * sk;
        if bool::from(k.is_identity()) {
            return Err(PaceError::InvalidPoint);
        }
        let a: C::AffinePoint = k.into();
        Ok(Zeroizing::new(a.x().to_vec()))
    }

    #[cfg(test)]
    fn mapped_generator(&self) -> Option<Vec<u8>> {
        self.generator.map(Self::encode_point)
    }
}

/// A Generic Mapping engine for `curve`; `fixed` pre-sets (mapping, ephemeral) secrets.
pub(crate) fn new_mapping(
    curve: Curve,
    fixed: Option<(&[u8], &[u8])>,
) -> Result<Box<dyn GenericMapping>, PaceError> {
    Ok(match curve {
        Curve::BrainpoolP256r1 => Box::new(EcGm::<bp256::BrainpoolP256r1>::new(fixed)?),
        Curve::BrainpoolP384r1 => Box::new(EcGm::<bp384::BrainpoolP384r1>::new(fixed)?),
        Curve::NistP256 => Box::new(EcGm::<p256::NistP256>::new(fixed)?),
        Curve::NistP384 => Box::new(EcGm::<p384::NistP384>::new(fixed)?),
    })
}

/// The MSE:Set AT command that selects PACE (TR-03110-3 B.11.1).
pub fn mse_set_at(
    params: &PaceParameters,
    kind: PasswordKind,
    chat: Option<&[u8]>,
) -> Result<CommandApdu, ApduError> {
    let mut data = tlv::encode(0x80, params.protocol.as_bytes());
    data.extend(tlv::encode(0x83, &[kind as u8]));
    if params.send_parameter_id {
        data.extend(tlv::encode(0x84, &[params.curve.parameter_id() as u8]));
    }
    if let Some(chat) = chat {
        data.extend_from_slice(chat);
    }
    CommandApdu::new(0x00, 0x22, 0xC1, 0xA4).with_data(data)
}

fn general_authenticate(last: bool, inner: &[u8]) -> Result<CommandApdu, ApduError> {
    CommandApdu::new(if last { 0x00 } else { 0x10 }, 0x86, 0x00, 0x00)
        .with_data(tlv::encode(0x7C, inner))?
        .with_le(256)
}

/// The dynamic authentication data (7C) children of a GENERAL AUTHENTICATE response.
fn dynamic_data<'a>(step: &'static str, resp: &'a ResponseApdu) -> Result<Vec<Tlv<'a>>, PaceError> {
    let malformed = |source| PaceError::Malformed { step, source };
    let (outer, rest) = Tlv::parse(resp.data()).map_err(malformed)?;
    if outer.tag != tlv::Tag(0x7C) || !rest.is_empty() {
        return Err(malformed(TlvError::Missing(0x7C)));
    }
    outer.children().map_err(malformed)
}

fn required<'a>(step: &'static str, objects: &[Tlv<'a>], tag: u32) -> Result<&'a [u8], PaceError> {
    tlv::require(objects, tag)
        .map(|t| t.value)
        .map_err(|source| PaceError::Malformed { step, source })
}

/// The result of a successful PACE run.
#[derive(Debug)]
pub struct PaceOutcome {
    /// The secure-messaging session keys.
    pub keys: SessionKeys,
    /// The retry counter MSE:Set AT reported (63Cx), if any.
    pub retries_left: Option<u8>,
    /// The most recent certification authority reference (87), if the card sent one.
    pub car: Option<Vec<u8>>,
    /// The previous certification authority reference (88), if any.
    pub previous_car: Option<Vec<u8>>,
    /// The PACE curve.
    pub curve: Curve,
    /// The card's ephemeral public key (84); Terminal Authentication signs its
    /// compression as ID_PICC.
    pub card_ephemeral_key: Vec<u8>,
}

impl PaceOutcome {
    /// What the eID service needs for Terminal Authentication (no secrets).
    pub fn session_info(&self) -> crate::ta::PaceSessionInfo {
        let reference = |r: &Option<Vec<u8>>| {
            r.as_deref()
                .and_then(|b| crate::cvc::CertificateReference::new(b).ok())
        };
        crate::ta::PaceSessionInfo {
            id_picc: crate::ec::compress(self.curve, &self.card_ephemeral_key).unwrap_or_default(),
            car: reference(&self.car),
            previous_car: reference(&self.previous_car),
        }
    }
}

enum State {
    Init,
    MseSent,
    NonceRequested,
    MappingSent {
        nonce: Zeroizing<Vec<u8>>,
    },
    EphemeralSent {
        own_key: Vec<u8>,
    },
    TokenSent {
        keys: SessionKeys,
        expected: [u8; 8],
        card_key: Vec<u8>,
    },
    Finished,
}

/// The PACE state machine (terminal side, sans I/O).
pub struct Pace {
    params: PaceParameters,
    kind: PasswordKind,
    password_key: Zeroizing<Vec<u8>>,
    chat: Option<Vec<u8>>,
    mapping: Box<dyn GenericMapping>,
    state: State,
    retries_left: Option<u8>,
}

impl std::fmt::Debug for Pace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pace")
            .field("params", &self.params)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// What to do after a response.
#[derive(Debug)]
pub enum PaceStep {
    /// Send this command and feed the response to [`Pace::on_response`].
    Send(CommandApdu),
    /// PACE succeeded.
    Done(PaceOutcome),
}

impl Pace {
    /// A PACE run with `password`; `chat` is the complete certificate holder
    /// authorization template (7F4C …) for an authentication terminal, if any.
    pub fn new(
        params: &PaceParameters,
        password: Password<'_>,
        chat: Option<&[u8]>,
    ) -> Result<Self, PaceError> {
        Self::build(params, password, chat, None)
    }

    fn build(
        params: &PaceParameters,
        password: Password<'_>,
        chat: Option<&[u8]>,
        fixed: Option<(&[u8], &[u8])>,
    ) -> Result<Self, PaceError> {
        let password_key = crypto::kdf(&password.pace_secret(), crypto::KDF_PI, params.key_size);
        Ok(Self {
            params: params.clone(),
            kind: password.kind(),
            password_key,
            chat: chat.map(<[u8]>::to_vec),
            mapping: new_mapping(params.curve, fixed)?,
            state: State::Init,
            retries_left: None,
        })
    }

    /// Like [`Pace::new`] with fixed mapping and ephemeral secrets (known-answer tests).
    #[cfg(test)]
    pub(crate) fn with_fixed_keys(
        params: &PaceParameters,
        password: Password<'_>,
        mapping_secret: &[u8],
        ephemeral_secret: &[u8],
    ) -> Result<Self, PaceError> {
        Self::build(
            params,
            password,
            None,
            Some((mapping_secret, ephemeral_secret)),
        )
    }

    /// The first command: MSE:Set AT.
    pub fn start(&mut self) -> Result<CommandApdu, PaceError> {
        if !matches!(self.state, State::Init) {
            return Err(PaceError::OutOfOrder);
        }
        debug!(kind = ?self.kind, curve = ?self.params.curve, "PACE: MSE:Set AT");
        self.state = State::MseSent;
        Ok(mse_set_at(&self.params, self.kind, self.chat.as_deref())?)
    }

    fn check_ga_status(&self, step: &'static str, sw: StatusWord) -> Result<(), PaceError> {
        match sw.status() {
            Status::Success => Ok(()),
            Status::AuthenticationBlocked => Err(PaceError::Blocked),
            Status::RetriesLeft(0) => Err(PaceError::Blocked),
            Status::Deactivated | Status::ReferenceDataNotUsable => Err(PaceError::Deactivated),
            Status::SecurityStatusNotSatisfied | Status::ConditionsNotSatisfied
                if self.kind == PasswordKind::Pin =>
            {
                Err(PaceError::Suspended)
            }
            _ => Err(PaceError::Card { step, sw }),
        }
    }

    /// Consumes the response to the last command; gives the next one or the outcome.
    /// Any error ends the run.
    pub fn on_response(&mut self, resp: &ResponseApdu) -> Result<PaceStep, PaceError> {
        let state = std::mem::replace(&mut self.state, State::Finished);
        let sw = resp.sw();
        match state {
            State::MseSent => {
                debug!(%sw, "PACE: MSE:Set AT answered");
                match sw.status() {
                    Status::Success => {}
                    Status::RetriesLeft(0) => return Err(PaceError::Blocked),
                    Status::RetriesLeft(n) => self.retries_left = Some(n),
                    Status::Deactivated => return Err(PaceError::Deactivated),
                    Status::AuthenticationBlocked => return Err(PaceError::Blocked),
                    _ => {
                        return Err(PaceError::Card {
                            step: "MSE:Set AT",
                            sw,
                        });
                    }
                }
                self.state = State::NonceRequested;
                Ok(PaceStep::Send(general_authenticate(false, &[])?))
            }
            State::NonceRequested => {
                const STEP: &str = "GENERAL AUTHENTICATE (nonce)";
                self.check_ga_status(STEP, sw)?;
                let objs = dynamic_data(STEP, resp)?;
                let encrypted = required(STEP, &objs, 0x80)?;
                let nonce = crypto::cbc_decrypt(&self.password_key, &[0; 16], encrypted)?;
                let own = self.mapping.mapping_public_key()?;
                debug!("PACE: nonce received, sending mapping key");
                self.state = State::MappingSent { nonce };
                Ok(PaceStep::Send(general_authenticate(
                    false,
                    &tlv::encode(0x81, &own),
                )?))
            }
            State::MappingSent { nonce } => {
                const STEP: &str = "GENERAL AUTHENTICATE (mapping)";
                self.check_ga_status(STEP, sw)?;
                let objs = dynamic_data(STEP, resp)?;
                let card_key = required(STEP, &objs, 0x82)?;
                let own = self.mapping.map(&nonce, card_key)?;
                debug!("PACE: generator mapped, sending ephemeral key");
                let cmd = general_authenticate(false, &tlv::encode(0x83, &own))?;
                self.state = State::EphemeralSent { own_key: own };
                Ok(PaceStep::Send(cmd))
            }
            State::EphemeralSent { own_key } => {
                const STEP: &str = "GENERAL AUTHENTICATE (key agreement)";
                self.check_ga_status(STEP, sw)?;
                let objs = dynamic_data(STEP, resp)?;
                let card_key = required(STEP, &objs, 0x84)?;
                if bool::from(card_key.ct_eq(&own_key)) {
                    return Err(PaceError::Reflection);
                }
                let shared = self.mapping.shared_secret(card_key)?;
                let keys = SessionKeys::derive(&shared, self.params.key_size);
                let token = auth_token(keys.mac(), &self.params.protocol, card_key)?;
                let expected = auth_token(keys.mac(), &self.params.protocol, &own_key)?;
                debug!("PACE: keys agreed, sending authentication token");
                self.state = State::TokenSent {
                    keys,
                    expected,
                    card_key: card_key.to_vec(),
                };
                Ok(PaceStep::Send(general_authenticate(
                    true,
                    &tlv::encode(0x85, &token),
                )?))
            }
            State::TokenSent {
                keys,
                expected,
                card_key,
            } => {
                const STEP: &str = "GENERAL AUTHENTICATE (mutual authentication)";
                debug!(%sw, "PACE: token answered");
                match sw.status() {
                    Status::Success => {}
                    Status::VerificationFailed => {
                        return Err(PaceError::WrongPassword { retries_left: None });
                    }
                    // 63C0 here: this wrong password used the last try.
                    Status::RetriesLeft(n) => {
                        return Err(PaceError::WrongPassword {
                            retries_left: Some(n),
                        });
                    }
                    _ => self.check_ga_status(STEP, sw)?,
                }
                let objs = dynamic_data(STEP, resp)?;
                let token = required(STEP, &objs, 0x86)?;
                if !bool::from(token.ct_eq(&expected)) {
                    return Err(PaceError::CardTokenInvalid);
                }
                let value = |tag| tlv::find(&objs, tag).map(|t| t.value.to_vec());
                debug!("PACE: established");
                Ok(PaceStep::Done(PaceOutcome {
                    keys,
                    retries_left: self.retries_left,
                    car: value(0x87),
                    previous_car: value(0x88),
                    curve: self.params.curve,
                    card_ephemeral_key: card_key,
                }))
            }
            State::Init | State::Finished => Err(PaceError::OutOfOrder),
        }
    }
}

/// Runs PACE over `transport` to the end.
pub fn establish(
    transport: &mut dyn CardTransport,
    mut pace: Pace,
) -> Result<PaceOutcome, PaceError> {
    let mut cmd = pace.start()?;
    loop {
        let resp = transport.transmit(&cmd)?;
        match pace.on_response(&resp)? {
            PaceStep::Send(next) => cmd = next,
            PaceStep::Done(outcome) => return Ok(outcome),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apdu::StatusWord;
    use crate::crypto::tests::hex;
    use crate::secrets::Mrz;

    const OID_ECDH_GM_AES128: &str = "0.4.0.127.0.7.2.2.4.2.2";

    fn icao_params() -> PaceParameters {
        PaceParameters {
            protocol: ObjectIdentifier::new_unwrap(OID_ECDH_GM_AES128),
            key_size: KeySize::Aes128,
            curve: Curve::BrainpoolP256r1,
            send_parameter_id: true,
        }
    }

    fn resp(hex_str: &str) -> ResponseApdu {
        ResponseApdu::parse(&hex(hex_str)).unwrap()
    }

    fn send(step: PaceStep) -> CommandApdu {
        match step {
            PaceStep::Send(c) => c,
            PaceStep::Done(_) => panic!("finished early"),
        }
    }

    /// ICAO Doc 9303-11 Appendix G.1: PACE ECDH-GM on brainpoolP256r1, MRZ password.
    #[test]
    fn icao_worked_example() {
        let mrz = Mrz::new("T22000129", "640812", "101031").unwrap();
        let mut pace = Pace::with_fixed_keys(
            &icao_params(),
            Password::Mrz(&mrz),
            &hex("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99"),
            &hex("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595"),
        )
        .unwrap();
        assert_eq!(*pace.password_key, hex("89DED1B26624EC1E634C1989302849DD"));
        let mse = pace.start().unwrap();
        assert_eq!(
            mse.to_bytes(),
            hex("0022C1A412800A04007F0007020204020283010184010D")
        );

        let ga1 = send(pace.on_response(&resp("9000")).unwrap());
        assert_eq!(ga1.to_bytes(), hex("10860000027C0000"));

        let ga2 = send(
            pace.on_response(&resp("7C12801095A3A016522EE98D01E76CB6B98B42C39000"))
                .unwrap(),
        );
        let pk_map_ifd = "047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E\
                          544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D";
        assert_eq!(
            ga2.to_bytes(),
            hex(&format!("10860000457C438141{pk_map_ifd}00"))
        );

        let pk_map_ic = "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57\
                         30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54";
        let ga3 = send(
            pace.on_response(&resp(&format!("7C438241{pk_map_ic}9000")))
                .unwrap(),
        );
        assert_eq!(
            pace.mapping.mapped_generator().unwrap(),
            hex(
                "048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2\
                 8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522"
            )
        );
        let pk_dh_ifd = "042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C\
                         3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462";
        assert_eq!(
            ga3.to_bytes(),
            hex(&format!("10860000457C438341{pk_dh_ifd}00"))
        );

        let pk_dh_ic = "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB\
                        7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094";
        let shared = pace.mapping.shared_secret(&hex(pk_dh_ic)).unwrap();
        assert_eq!(
            *shared,
            hex("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925")
        );
        let ga4 = send(
            pace.on_response(&resp(&format!("7C438441{pk_dh_ic}9000")))
                .unwrap(),
        );
        assert_eq!(ga4.to_bytes(), hex("008600000C7C0A8508C2B0BD78D94BA86600"));

        let done = pace
            .on_response(&resp("7C0A86083ABB9674BCE93C089000"))
            .unwrap();
        let PaceStep::Done(outcome) = done else {
            panic!("not done")
        };
        assert_eq!(
            outcome.keys.enc(),
            &hex("F5F0E35C0D7161EE6724EE513A0D9A7F")[..]
        );
        assert_eq!(
            outcome.keys.mac(),
            &hex("FE251C7858B356B24514B3BD5F4297D1")[..]
        );
        assert_eq!(outcome.car, None);
    }

    #[test]
    fn icao_token_input_and_values() {
        let kmac = hex("FE251C7858B356B24514B3BD5F4297D1");
        let oid = ObjectIdentifier::new_unwrap(OID_ECDH_GM_AES128);
        let pk_dh_ic = hex(
            "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB\
             7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094",
        );
        assert_eq!(
            auth_token(&kmac, &oid, &pk_dh_ic).unwrap().to_vec(),
            hex("C2B0BD78D94BA866")
        );
    }

    fn run_to_token(pace: &mut Pace) {
        pace.start().unwrap();
        send(pace.on_response(&resp("9000")).unwrap());
        send(
            pace.on_response(&resp("7C12801095A3A016522EE98D01E76CB6B98B42C39000"))
                .unwrap(),
        );
        let pk_map_ic = "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57\
                         30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54";
        send(
            pace.on_response(&resp(&format!("7C438241{pk_map_ic}9000")))
                .unwrap(),
        );
        let pk_dh_ic = "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB\
                        7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094";
        send(
            pace.on_response(&resp(&format!("7C438441{pk_dh_ic}9000")))
                .unwrap(),
        );
    }

    fn icao_pace() -> Pace {
        let mrz = Mrz::new("T22000129", "640812", "101031").unwrap();
        Pace::with_fixed_keys(
            &icao_params(),
            Password::Mrz(&mrz),
            &hex("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99"),
            &hex("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595"),
        )
        .unwrap()
    }

    #[test]
    fn wrong_card_token_is_refused() {
        let mut pace = icao_pace();
        run_to_token(&mut pace);
        let r = pace.on_response(&resp("7C0A86083ABB9674BCE93C099000"));
        assert!(matches!(r, Err(PaceError::CardTokenInvalid)));
        // The machine is finished after an error.
        assert!(matches!(
            pace.on_response(&resp("9000")),
            Err(PaceError::OutOfOrder)
        ));
    }

    #[test]
    fn wrong_password_reports_the_counter() {
        let mut pace = icao_pace();
        run_to_token(&mut pace);
        assert!(matches!(
            pace.on_response(&resp("63C2")),
            Err(PaceError::WrongPassword {
                retries_left: Some(2)
            })
        ));
        let mut pace = icao_pace();
        run_to_token(&mut pace);
        assert!(matches!(
            pace.on_response(&resp("63C0")),
            Err(PaceError::WrongPassword {
                retries_left: Some(0)
            })
        ));
    }

    #[test]
    fn mse_status_words() {
        let mut pace = icao_pace();
        pace.start().unwrap();
        assert!(matches!(
            pace.on_response(&resp("6283")),
            Err(PaceError::Deactivated)
        ));
        let mut pace = icao_pace();
        pace.start().unwrap();
        send(pace.on_response(&resp("63C1")).unwrap());
        assert_eq!(pace.retries_left, Some(1));
        let mut pace = icao_pace();
        pace.start().unwrap();
        assert!(matches!(
            pace.on_response(&resp("6A80")),
            Err(PaceError::Card {
                sw: StatusWord(0x6A80),
                ..
            })
        ));
    }

    #[test]
    fn malformed_and_hostile_responses() {
        for bad in [
            "9000",
            "7C009000",
            "7C0380019000",
            "7C12801095A3A0169000",
            "7C05800301029000",
            "7D009000",
        ] {
            let mut pace = icao_pace();
            pace.start().unwrap();
            send(pace.on_response(&resp("9000")).unwrap());
            assert!(pace.on_response(&resp(bad)).is_err(), "{bad} accepted");
        }
        // Invalid mapping point (not on the curve) and the identity.
        for bad in [
            "7C4382410400000000000000000000000000000000000000000000000000000000000000000000\
             000000000000000000000000000000000000000000000000000000009000",
            "7C0382010000009000",
        ] {
            let mut pace = icao_pace();
            pace.start().unwrap();
            send(pace.on_response(&resp("9000")).unwrap());
            send(
                pace.on_response(&resp("7C12801095A3A016522EE98D01E76CB6B98B42C39000"))
                    .unwrap(),
            );
            assert!(pace.on_response(&resp(bad)).is_err());
        }
    }

    #[test]
    fn reflected_key_is_refused() {
        let mut pace = icao_pace();
        pace.start().unwrap();
        send(pace.on_response(&resp("9000")).unwrap());
        send(
            pace.on_response(&resp("7C12801095A3A016522EE98D01E76CB6B98B42C39000"))
                .unwrap(),
        );
        let pk_map_ic = "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57\
                         30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54";
        let ga3 = send(
            pace.on_response(&resp(&format!("7C438241{pk_map_ic}9000")))
                .unwrap(),
        );
        let own = tlv::parse_all(&ga3.data()[2..]).unwrap()[0].value.to_vec();
        let mut reflected = tlv::encode(0x7C, &tlv::encode(0x84, &own));
        reflected.extend([0x90, 0x00]);
        assert!(matches!(
            pace.on_response(&ResponseApdu::parse(&reflected).unwrap()),
            Err(PaceError::Reflection)
        ));
    }

    #[test]
    fn parameter_selection() {
        let info = |oid: &str, version, id| PaceInfo {
            protocol: ObjectIdentifier::new_unwrap(oid),
            version,
            parameter_id: id,
        };
        let p = PaceParameters::from_info(&info("0.4.0.127.0.7.2.2.4.2.4", 2, Some(16))).unwrap();
        assert_eq!(
            (p.key_size, p.curve),
            (KeySize::Aes256, Curve::BrainpoolP384r1)
        );
        let err = |i| PaceParameters::from_info(&i).unwrap_err().to_string();
        assert!(
            err(info("0.4.0.127.0.7.2.2.4.1.2", 2, Some(0)))
                .contains("id-PACE-DH-GM-AES-CBC-CMAC-128")
        );
        assert!(err(info("0.4.0.127.0.7.2.2.4.4.2", 2, Some(13))).contains("id-PACE-ECDH-IM"));
        assert!(err(info("0.4.0.127.0.7.2.2.4.6.2", 2, Some(13))).contains("id-PACE-ECDH-CAM"));
        assert!(err(info("0.4.0.127.0.7.2.2.4.2.1", 2, Some(13))).contains("3DES"));
        assert!(err(info("0.4.0.127.0.7.2.2.4.2.2", 2, Some(17))).contains("brainpoolP512r1"));
        assert!(err(info("0.4.0.127.0.7.2.2.4.2.2", 1, Some(13))).contains("version 1"));
        assert!(err(info("0.4.0.127.0.7.2.2.4.2.2", 2, None)).contains("explicit"));

        let infos = SecurityInfos::parse(crate::card_access::tests::NPA_CARD_ACCESS).unwrap();
        let p = PaceParameters::select(&infos).unwrap();
        assert_eq!(p.curve, Curve::BrainpoolP256r1);
        assert!(!p.send_parameter_id);
    }

    /// Both sides of Generic Mapping agree on every supported curve.
    #[test]
    fn generic_mapping_agrees_on_all_curves() {
        for curve in [
            Curve::NistP256,
            Curve::BrainpoolP256r1,
            Curve::NistP384,
            Curve::BrainpoolP384r1,
        ] {
            let mut a = new_mapping(curve, None).unwrap();
            let mut b = new_mapping(curve, None).unwrap();
            let nonce = [0x42u8; 16];
            let (ma, mb) = (
                a.mapping_public_key().unwrap(),
                b.mapping_public_key().unwrap(),
            );
            let ea = a.map(&nonce, &mb).unwrap();
            let eb = b.map(&nonce, &ma).unwrap();
            assert_eq!(a.mapped_generator(), b.mapped_generator(), "{curve:?}");
            let (sa, sb) = (a.shared_secret(&eb).unwrap(), b.shared_secret(&ea).unwrap());
            assert_eq!(sa, sb, "{curve:?}");
            // Different nonces give different generators.
            let mut c = new_mapping(curve, None).unwrap();
            c.mapping_public_key().unwrap();
            c.map(&[0x43; 16], &mb).unwrap();
            assert_ne!(c.mapped_generator(), a.mapped_generator());
        }
    }
}
