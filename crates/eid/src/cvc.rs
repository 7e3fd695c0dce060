//! Card Verifiable certificates (BSI TR-03110-3 C, -4 2.2): parsing, CHAT, chain verification.
//!
//! ```text
//! 7F21 CV certificate
//!   7F4E body: 5F29 profile (00), 42 CAR, 7F49 public key, 5F20 CHR,
//!              7F4C CHAT, 5F25 effective date, 5F24 expiry date, [65 extensions]
//!   5F37 signature (plain r || s over the encoded body)
//! ```
//!
//! Public keys are ECDSA keys (`id-TA-ECDSA-SHA-*`); a CVCA certificate
//! carries the explicit domain parameters (81–85, 87), DV and terminal
//! certificates usually only the point (86) and inherit the curve.
//! [`verify_chain`] checks a chain CVCA → (link CVCAs) → DV → terminal as
//! the card does: CAR = previous CHR, signature with the previous key, role
//! order, dates, and the effective rights (the AND of all CHATs).
//! [`Chat`] turns the authorization bitmap into a typed set a UI can show;
//! [`CertificateDescription`] parses the service's description (issuer,
//! subject, terms of usage) and is bound to the terminal certificate by the
//! hash in its extension.

use std::collections::BTreeSet;
use std::fmt;

use der::asn1::ObjectIdentifier;
use sha2::Digest;
use thiserror::Error;

use crate::ec::{self, EcError};
use crate::pace::Curve;
use crate::tlv::{self, Tlv, TlvError};

/// id-TA-ECDSA: 0.4.0.127.0.7.2.2.2.2 (the SHA variant is the last arc).
pub const ID_TA_ECDSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.2.2");
/// id-TA-ECDSA-SHA-256, the German eID infrastructure's algorithm.
pub const ID_TA_ECDSA_SHA_256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.2.2.3");
/// id-AT: CHAT of an authentication terminal.
pub const ID_AT: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.3.1.2.2");
/// id-IS: CHAT of an inspection system.
pub const ID_IS: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.3.1.2.1");
/// id-ST: CHAT of a signature terminal.
pub const ID_ST: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.3.1.2.3");
/// id-description: certificate extension with the hash of the certificate description.
pub const ID_DESCRIPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.3.1.3.1");
/// id-sector: certificate extension with the hashes of the terminal sector's public keys.
pub const ID_SECTOR: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.3.1.3.2");
/// id-plainFormat: terms of usage as UTF-8 text.
pub const ID_PLAIN_FORMAT: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.3.1.3.1.1");
/// id-htmlFormat: terms of usage as HTML.
pub const ID_HTML_FORMAT: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.3.1.3.1.2");
/// id-pdfFormat: terms of usage as PDF.
pub const ID_PDF_FORMAT: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.3.1.3.1.3");

/// Errors parsing or verifying CV certificates.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CvcError {
    /// The encoding is not valid BER-TLV.
    #[error("malformed CV certificate: {0}")]
    Malformed(#[from] TlvError),
    /// A required data object is missing or has the wrong tag.
    #[error("CV certificate field {0} is missing or misplaced")]
    Missing(&'static str),
    /// A field has an invalid value.
    #[error("CV certificate field {0} is invalid")]
    Invalid(&'static str),
    /// The certificate profile identifier is not 0.
    #[error("unsupported certificate profile {0}")]
    Profile(u8),
    /// The public key algorithm is not id-TA-ECDSA-SHA-224/256/384/512.
    #[error("unsupported public key algorithm {0}")]
    Algorithm(String),
    /// Explicit domain parameters that are not one of the supported curves.
    #[error("unsupported elliptic-curve domain parameters")]
    UnknownDomainParameters,
    /// A public key without domain parameters and none to inherit.
    #[error("no domain parameters for the key of {0}")]
    NoDomainParameters(CertificateReference),
    /// A public key is not a point of its curve.
    #[error("elliptic-curve error: {0}")]
    Ec(#[from] EcError),
    /// The certificate's signature does not verify with the issuer's key.
    #[error("the signature of {0} does not verify")]
    BadSignature(CertificateReference),
    /// The CAR does not name the previous certificate's holder.
    #[error("certificate {found_chr} names authority {found_car}, expected {expected}")]
    CarMismatch {
        /// The CHR of the previous certificate (or trust anchor).
        expected: CertificateReference,
        /// The CAR of the offending certificate.
        found_car: CertificateReference,
        /// The CHR of the offending certificate.
        found_chr: CertificateReference,
    },
    /// Roles out of order (e.g. a terminal certificate signing another one).
    #[error("certificate {0} has a role that may not appear here")]
    RoleOrder(CertificateReference),
    /// A certificate of a different terminal type than the trust anchor.
    #[error("certificate {0} is for a different terminal type")]
    TerminalType(CertificateReference),
    /// A certificate is expired at the date of the check.
    #[error("certificate {chr} expired on {expiry}")]
    Expired {
        /// The expired certificate.
        chr: CertificateReference,
        /// Its expiration date.
        expiry: CvDate,
    },
    /// A certificate is not yet valid at the date of the check.
    #[error("certificate {chr} is valid only from {effective}")]
    NotYetValid {
        /// The certificate.
        chr: CertificateReference,
        /// Its effective date.
        effective: CvDate,
    },
    /// The chain is empty or does not end in a terminal certificate.
    #[error("the chain does not end with a terminal certificate")]
    NoTerminal,
    /// The certificate description does not match the hash in the certificate.
    #[error("the certificate description does not match the certificate")]
    DescriptionMismatch,
    /// The certificate has no description extension.
    #[error("the certificate has no description extension")]
    NoDescription,
}

/// A certification authority or certificate holder reference (CAR / CHR):
/// country code, holder mnemonic and sequence number, ISO 8859-1.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CertificateReference(Vec<u8>);

impl CertificateReference {
    /// From the encoded value (1–16 printable ISO 8859-1 bytes).
    pub fn new(bytes: &[u8]) -> Result<Self, CvcError> {
        if bytes.is_empty() || bytes.len() > 16 || bytes.iter().any(|b| *b < 0x20 || *b == 0x7F) {
            return Err(CvcError::Invalid("certificate reference"));
        }
        Ok(Self(bytes.to_vec()))
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The two-letter country code.
    pub fn country_code(&self) -> String {
        self.0.iter().take(2).map(|b| char::from(*b)).collect()
    }

    /// The holder mnemonic (between country code and the five-character sequence number).
    pub fn mnemonic(&self) -> String {
        let end = self.0.len().saturating_sub(5).max(2);
        self.0
            .get(2..end)
            .unwrap_or_default()
            .iter()
            .map(|b| char::from(*b))
            .collect()
    }

    /// The five-character sequence number.
    pub fn sequence_number(&self) -> String {
        let start = self.0.len().saturating_sub(5).max(2);
        self.0
            .get(start..)
            .unwrap_or_default()
            .iter()
            .map(|b| char::from(*b))
            .collect()
    }
}

impl fmt::Display for CertificateReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0
            .iter()
            .try_for_each(|b| write!(f, "{}", char::from(*b)))
    }
}

impl fmt::Debug for CertificateReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertificateReference({self})")
    }
}

/// A CV certificate date (six unpacked BCD digits `YYMMDD`, 20YY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CvDate {
    /// The year (2000–2099).
    pub year: u16,
    /// The month (1–12).
    pub month: u8,
    /// The day (1–31).
    pub day: u8,
}

impl CvDate {
    /// A date, if valid.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, CvcError> {
        if !(2000..=2099).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day)
        {
            return Err(CvcError::Invalid("date"));
        }
        Ok(Self { year, month, day })
    }

    /// Parses the six-byte encoding.
    pub fn parse(bytes: &[u8]) -> Result<Self, CvcError> {
        let [y1, y2, m1, m2, d1, d2] = bytes else {
            return Err(CvcError::Invalid("date"));
        };
        if [y1, y2, m1, m2, d1, d2].iter().any(|d| **d > 9) {
            return Err(CvcError::Invalid("date"));
        }
        Self::new(
            2000 + u16::from(*y1) * 10 + u16::from(*y2),
            m1 * 10 + m2,
            d1 * 10 + d2,
        )
    }

    /// The six-byte encoding.
    pub fn to_bytes(self) -> [u8; 6] {
        let y = (self.year % 100) as u8;
        [
            y / 10,
            y % 10,
            self.month / 10,
            self.month % 10,
            self.day / 10,
            self.day % 10,
        ]
    }
}

impl fmt::Display for CvDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The hash of an id-TA-ECDSA-SHA-* algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha224 => sha2::Sha224::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// The hash of an id-TA-ECDSA-SHA-* OID.
    pub fn from_ta_oid(oid: &ObjectIdentifier) -> Result<Self, CvcError> {
        let arcs: Vec<u32> = oid.arcs().collect();
        let base: Vec<u32> = ID_TA_ECDSA.arcs().collect();
        match arcs.split_last() {
            Some((last, prefix)) if prefix == base.as_slice() => match last {
                2 => Ok(Self::Sha224),
                3 => Ok(Self::Sha256),
                4 => Ok(Self::Sha384),
                5 => Ok(Self::Sha512),
                _ => Err(CvcError::Algorithm(oid.to_string())),
            },
            _ => Err(CvcError::Algorithm(oid.to_string())),
        }
    }
}

/// An ECDSA public key from a CV certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CvPublicKey {
    /// The algorithm OID (id-TA-ECDSA-SHA-*).
    pub algorithm: ObjectIdentifier,
    /// The hash of the algorithm.
    pub hash: HashAlgorithm,
    /// The curve, if the key carries explicit domain parameters.
    pub curve: Option<Curve>,
    /// The public point (86) as encoded.
    pub point: Vec<u8>,
}

impl CvPublicKey {
    fn parse(t: &Tlv<'_>) -> Result<Self, CvcError> {
        let objs = t.children()?;
        let oid = tlv::find(&objs, 0x06).ok_or(CvcError::Missing("public key OID"))?;
        let algorithm =
            ObjectIdentifier::from_bytes(oid.value).map_err(|_| CvcError::Invalid("OID"))?;
        let hash = HashAlgorithm::from_ta_oid(&algorithm)?;
        let point = tlv::find(&objs, 0x86)
            .ok_or(CvcError::Missing("public point"))?
            .value
            .to_vec();
        let curve = match (
            tlv::find(&objs, 0x81),
            tlv::find(&objs, 0x82),
            tlv::find(&objs, 0x83),
            tlv::find(&objs, 0x84),
        ) {
            (Some(p), Some(a), Some(b), Some(g)) => Some(
                ec::curve_from_parameters(p.value, a.value, b.value, g.value)
                    .ok_or(CvcError::UnknownDomainParameters)?,
            ),
            (None, None, None, None) => None,
            _ => return Err(CvcError::Missing("domain parameters")),
        };
        if let Some(c) = curve {
            ec::validate_point(c, &point)?;
        }
        Ok(Self {
            algorithm,
            hash,
            curve,
            point,
        })
    }

    /// The encoded public key data object 7F49, with explicit domain parameters if `curve` is set.
    pub fn to_tlv(&self) -> Vec<u8> {
        let mut inner = tlv::encode(0x06, self.algorithm.as_bytes());
        if let Some(c) = self.curve {
            let d = ec::domain_parameters(c);
            inner.extend(tlv::encode(0x81, &d.prime));
            inner.extend(tlv::encode(0x82, &d.a));
            inner.extend(tlv::encode(0x83, &d.b));
            inner.extend(tlv::encode(0x84, &d.generator));
            inner.extend(tlv::encode(0x85, &d.order));
            inner.extend(tlv::encode(0x86, &self.point));
            inner.extend(tlv::encode(0x87, &[d.cofactor]));
        } else {
            inner.extend(tlv::encode(0x86, &self.point));
        }
        tlv::encode(0x7F49, &inner)
    }

    /// Verifies a plain ECDSA signature over `message` with this key on `curve`.
    pub fn verify(&self, curve: Curve, message: &[u8], signature: &[u8]) -> Result<(), EcError> {
        ec::verify_prehash(curve, &self.point, &self.hash.digest(message), signature)
    }
}

/// The type of terminal a CHAT authorizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalType {
    /// Inspection system (id-IS, border control).
    Inspection,
    /// Authentication terminal (id-AT, online eID services).
    Authentication,
    /// Signature terminal (id-ST).
    Signature,
}

/// The role in the PKI (the two most significant bits of the CHAT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Country verifying CA (11).
    Cvca,
    /// Document verifier, official domestic (10).
    DvOfficialDomestic,
    /// Document verifier, non-official / foreign (01).
    DvNonOfficialForeign,
    /// Terminal (00).
    Terminal,
}

impl Role {
    fn from_bits(b: u8) -> Self {
        match b >> 6 {
            3 => Self::Cvca,
            2 => Self::DvOfficialDomestic,
            1 => Self::DvNonOfficialForeign,
            _ => Self::Terminal,
        }
    }

    fn bits(self) -> u8 {
        match self {
            Self::Cvca => 0xC0,
            Self::DvOfficialDomestic => 0x80,
            Self::DvNonOfficialForeign => 0x40,
            Self::Terminal => 0,
        }
    }

    fn is_dv(self) -> bool {
        matches!(self, Self::DvOfficialDomestic | Self::DvNonOfficialForeign)
    }
}

/// One access right of an authentication terminal (TR-03110-4 C.4.2, bit numbers from
/// the least significant bit of the 5-byte bitmap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessRight {
    /// Age verification (bit 0).
    AgeVerification,
    /// Community ID (place of residence) verification (bit 1).
    CommunityIdVerification,
    /// Restricted Identification: a sector-specific pseudonym (bit 2).
    RestrictedIdentification,
    /// Privileged terminal (bit 3).
    PrivilegedTerminal,
    /// CAN allowed (bit 4).
    CanAllowed,
    /// PIN management (bit 5).
    PinManagement,
    /// Install certificate (bit 6).
    InstallCertificate,
    /// Install qualified certificate (bit 7).
    InstallQualifiedCertificate,
    /// Read data group 1–21 (bits 8–28).
    ReadDataGroup(u8),
    /// Write data group 17–21 (bits 37–33).
    WriteDataGroup(u8),
    /// A bit this crate does not name (29–32).
    Reserved(u8),
}

impl AccessRight {
    /// The bit number of this right.
    pub fn bit(self) -> u8 {
        match self {
            Self::AgeVerification => 0,
            Self::CommunityIdVerification => 1,
            Self::RestrictedIdentification => 2,
            Self::PrivilegedTerminal => 3,
            Self::CanAllowed => 4,
            Self::PinManagement => 5,
            Self::InstallCertificate => 6,
            Self::InstallQualifiedCertificate => 7,
            Self::ReadDataGroup(n) => 7 + n,
            Self::WriteDataGroup(n) => 54u8.saturating_sub(n),
            Self::Reserved(b) => b,
        }
    }

    /// The right of a bit number (0–37).
    pub fn from_bit(bit: u8) -> Option<Self> {
        Some(match bit {
            0 => Self::AgeVerification,
            1 => Self::CommunityIdVerification,
            2 => Self::RestrictedIdentification,
            3 => Self::PrivilegedTerminal,
            4 => Self::CanAllowed,
            5 => Self::PinManagement,
            6 => Self::InstallCertificate,
            7 => Self::InstallQualifiedCertificate,
            8..=28 => Self::ReadDataGroup(bit - 7),
            29..=32 => Self::Reserved(bit),
            33..=37 => Self::WriteDataGroup(54 - bit),
            _ => return None,
        })
    }

    /// A short English description for a consent screen.
    pub fn label(self) -> String {
        match self {
            Self::AgeVerification => "Age verification".into(),
            Self::CommunityIdVerification => "Place of residence verification".into(),
            Self::RestrictedIdentification => "Pseudonym (restricted identification)".into(),
            Self::PrivilegedTerminal => "Privileged terminal".into(),
            Self::CanAllowed => "CAN allowed".into(),
            Self::PinManagement => "PIN management".into(),
            Self::InstallCertificate => "Install certificate".into(),
            Self::InstallQualifiedCertificate => "Install qualified certificate".into(),
            Self::ReadDataGroup(n) => format!("Read {}", data_group_name(n)),
            Self::WriteDataGroup(n) => format!("Write {}", data_group_name(n)),
            Self::Reserved(b) => format!("Reserved right (bit {b})"),
        }
    }
}

/// The content of an eID data group, for display.
pub fn data_group_name(n: u8) -> String {
    let name = match n {
        1 => "document type",
        2 => "issuing state",
        3 => "date of expiry",
        4 => "given names",
        5 => "family names",
        6 => "religious or artistic name",
        7 => "doctoral degree",
        8 => "date of birth",
        9 => "place of birth",
        10 => "nationality",
        11 => "sex",
        12 => "optional data",
        13 => "birth name",
        14 => "written signature",
        15 => "date of issuance",
        17 => "address",
        18 => "community ID",
        19 => "residence permit I",
        20 => "residence permit II",
        21 => "optional data (DG21)",
        _ => return format!("data group {n}"),
    };
    format!("{name} (DG{n})")
}

/// A certificate holder authorization template (7F4C { 06 OID, 53 bitmap }).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    /// The terminal type (from the OID).
    pub terminal_type: TerminalType,
    /// The role in the PKI.
    pub role: Role,
    /// The authorization bits below the role (big-endian, role bits cleared).
    bits: u64,
    /// The length of the bitmap in bytes (5 for authentication terminals).
    len: usize,
}

impl Chat {
    /// An authentication terminal CHAT with `role` and `rights`.
    pub fn authentication(role: Role, rights: &[AccessRight]) -> Self {
        let bits = rights
            .iter()
            .fold(0u64, |acc, r| acc | (1u64 << r.bit().min(37)));
        Self {
            terminal_type: TerminalType::Authentication,
            role,
            bits,
            len: 5,
        }
    }

    /// Parses a CHAT data object (with its 7F4C tag).
    pub fn parse(bytes: &[u8]) -> Result<Self, CvcError> {
        let (t, rest) = Tlv::parse(bytes)?;
        if t.tag != tlv::Tag(0x7F4C) || !rest.is_empty() {
            return Err(CvcError::Missing("CHAT"));
        }
        Self::from_tlv(&t)
    }

    fn from_tlv(t: &Tlv<'_>) -> Result<Self, CvcError> {
        let objs = t.children()?;
        let oid = tlv::find(&objs, 0x06).ok_or(CvcError::Missing("CHAT OID"))?;
        let oid = ObjectIdentifier::from_bytes(oid.value).map_err(|_| CvcError::Invalid("OID"))?;
        let terminal_type = if oid == ID_AT {
            TerminalType::Authentication
        } else if oid == ID_IS {
            TerminalType::Inspection
        } else if oid == ID_ST {
            TerminalType::Signature
        } else {
            return Err(CvcError::Invalid("CHAT terminal type"));
        };
        let map = tlv::find(&objs, 0x53)
            .ok_or(CvcError::Missing("CHAT bitmap"))?
            .value;
        let (first, _) = map.split_first().ok_or(CvcError::Invalid("CHAT bitmap"))?;
        if map.len() > 8 {
            return Err(CvcError::Invalid("CHAT bitmap"));
        }
        let all = map.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let role_shift = (map.len() * 8 - 2) as u32;
        Ok(Self {
            terminal_type,
            role: Role::from_bits(*first),
            bits: all & ((1u64 << role_shift) - 1),
            len: map.len(),
        })
    }

    /// The encoded CHAT (7F4C …).
    pub fn to_tlv(&self) -> Vec<u8> {
        let oid = match self.terminal_type {
            TerminalType::Authentication => ID_AT,
            TerminalType::Inspection => ID_IS,
            TerminalType::Signature => ID_ST,
        };
        let mut map: Vec<u8> = self.bits.to_be_bytes()[8 - self.len..].to_vec();
        if let Some(b) = map.first_mut() {
            *b |= self.role.bits();
        }
        let mut inner = tlv::encode(0x06, oid.as_bytes());
        inner.extend(tlv::encode(0x53, &map));
        tlv::encode(0x7F4C, &inner)
    }

    /// Whether the right is granted.
    pub fn has(&self, right: AccessRight) -> bool {
        self.terminal_type == TerminalType::Authentication && self.bits & (1 << right.bit()) != 0
    }

    /// The granted rights of an authentication terminal, in bit order.
    pub fn rights(&self) -> BTreeSet<AccessRight> {
        if self.terminal_type != TerminalType::Authentication {
            return BTreeSet::new();
        }
        (0..38)
            .filter(|b| self.bits & (1u64 << b) != 0)
            .filter_map(AccessRight::from_bit)
            .collect()
    }

    /// The rights both CHATs grant, with the role of `self`.
    pub fn intersect(&self, other: &Chat) -> Chat {
        Chat {
            bits: self.bits & other.bits,
            ..self.clone()
        }
    }

    /// This CHAT restricted to `rights` (e.g. what the user agreed to).
    pub fn restrict_to(&self, rights: &[AccessRight]) -> Chat {
        self.intersect(&Chat::authentication(self.role, rights))
    }
}

/// A certificate extension (65 { 73 { 06 OID, hashes … } }).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateExtension {
    /// id-description: the hash of the certificate description.
    Description {
        /// The hash (with the certificate's signature hash).
        hash: Vec<u8>,
    },
    /// id-sector: hashes of the terminal sector's public keys for restricted identification.
    Sector {
        /// The hash of the first sector public key (80), if any.
        first_key_hash: Option<Vec<u8>>,
        /// The hash of the second sector public key (81), if any.
        second_key_hash: Option<Vec<u8>>,
    },
    /// Any other extension, kept raw.
    Other {
        /// The extension OID.
        oid: ObjectIdentifier,
        /// The whole discretionary data template.
        raw: Vec<u8>,
    },
}

impl CertificateExtension {
    fn parse(t: &Tlv<'_>) -> Result<Self, CvcError> {
        let objs = t.children()?;
        let oid = tlv::find(&objs, 0x06).ok_or(CvcError::Missing("extension OID"))?;
        let oid = ObjectIdentifier::from_bytes(oid.value).map_err(|_| CvcError::Invalid("OID"))?;
        let value = |tag| tlv::find(&objs, tag).map(|t| t.value.to_vec());
        Ok(if oid == ID_DESCRIPTION {
            Self::Description {
                hash: value(0x80).ok_or(CvcError::Missing("description hash"))?,
            }
        } else if oid == ID_SECTOR {
            Self::Sector {
                first_key_hash: value(0x80),
                second_key_hash: value(0x81),
            }
        } else {
            Self::Other {
                oid,
                raw: t.raw.to_vec(),
            }
        })
    }

    fn to_tlv(&self) -> Vec<u8> {
        match self {
            Self::Description { hash } => {
                let mut v = tlv::encode(0x06, ID_DESCRIPTION.as_bytes());
                v.extend(tlv::encode(0x80, hash));
                tlv::encode(0x73, &v)
            }
            Self::Sector {
                first_key_hash,
                second_key_hash,
            } => {
                let mut v = tlv::encode(0x06, ID_SECTOR.as_bytes());
                if let Some(h) = first_key_hash {
                    v.extend(tlv::encode(0x80, h));
                }
                if let Some(h) = second_key_hash {
                    v.extend(tlv::encode(0x81, h));
                }
                tlv::encode(0x73, &v)
            }
            Self::Other { raw, .. } => raw.clone(),
        }
    }
}

/// The body of a CV certificate (7F4E).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateBody {
    /// Certification authority reference: who signed.
    pub car: CertificateReference,
    /// The holder's public key.
    pub public_key: CvPublicKey,
    /// Certificate holder reference.
    pub chr: CertificateReference,
    /// The holder's authorization.
    pub chat: Chat,
    /// First day of validity.
    pub effective: CvDate,
    /// Last day of validity.
    pub expiry: CvDate,
    /// Certificate extensions.
    pub extensions: Vec<CertificateExtension>,
}

impl CertificateBody {
    /// The encoded body (7F4E …), the input of the signature.
    pub fn to_tlv(&self) -> Vec<u8> {
        let mut v = tlv::encode(0x5F29, &[0]);
        v.extend(tlv::encode(0x42, self.car.as_bytes()));
        v.extend(self.public_key.to_tlv());
        v.extend(tlv::encode(0x5F20, self.chr.as_bytes()));
        v.extend(self.chat.to_tlv());
        v.extend(tlv::encode(0x5F25, &self.effective.to_bytes()));
        v.extend(tlv::encode(0x5F24, &self.expiry.to_bytes()));
        if !self.extensions.is_empty() {
            let ext: Vec<u8> = self.extensions.iter().flat_map(|e| e.to_tlv()).collect();
            v.extend(tlv::encode(0x65, &ext));
        }
        tlv::encode(0x7F4E, &v)
    }

    /// The hash of the certificate description from the extension, if any.
    pub fn description_hash(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            CertificateExtension::Description { hash } => Some(hash.as_slice()),
            _ => None,
        })
    }
}

/// A parsed CV certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CvCertificate {
    /// The body.
    pub body: CertificateBody,
    /// The plain ECDSA signature `r || s`.
    pub signature: Vec<u8>,
    body_encoded: Vec<u8>,
    encoded: Vec<u8>,
}

fn expect<'a>(
    objs: &mut std::slice::Iter<'_, Tlv<'a>>,
    tag: u32,
    name: &'static str,
) -> Result<Tlv<'a>, CvcError> {
    match objs.next() {
        Some(t) if t.tag == tlv::Tag(tag) => Ok(*t),
        _ => Err(CvcError::Missing(name)),
    }
}

impl CvCertificate {
    /// Parses an encoded certificate (7F21 …); the fields must be in the specified order.
    pub fn parse(bytes: &[u8]) -> Result<Self, CvcError> {
        let (outer, rest) = Tlv::parse(bytes)?;
        if outer.tag != tlv::Tag(0x7F21) || !rest.is_empty() {
            return Err(CvcError::Missing("7F21"));
        }
        let parts = outer.children()?;
        let [body_tlv, sig] = parts.as_slice() else {
            return Err(CvcError::Missing("body and signature"));
        };
        if body_tlv.tag != tlv::Tag(0x7F4E) {
            return Err(CvcError::Missing("7F4E body"));
        }
        if sig.tag != tlv::Tag(0x5F37) {
            return Err(CvcError::Missing("5F37 signature"));
        }
        let fields = body_tlv.children()?;
        let mut it = fields.iter();
        let profile = expect(&mut it, 0x5F29, "profile identifier")?;
        if profile.value != [0] {
            return Err(CvcError::Profile(
                profile.value.first().copied().unwrap_or(0xFF),
            ));
        }
        let car = CertificateReference::new(expect(&mut it, 0x42, "CAR")?.value)?;
        let public_key = CvPublicKey::parse(&expect(&mut it, 0x7F49, "public key")?)?;
        let chr = CertificateReference::new(expect(&mut it, 0x5F20, "CHR")?.value)?;
        let chat = Chat::from_tlv(&expect(&mut it, 0x7F4C, "CHAT")?)?;
        let effective = CvDate::parse(expect(&mut it, 0x5F25, "effective date")?.value)?;
        let expiry = CvDate::parse(expect(&mut it, 0x5F24, "expiration date")?.value)?;
        let mut extensions = Vec::new();
        match it.next() {
            None => {}
            Some(t) if t.tag == tlv::Tag(0x65) => {
                for e in t.children()? {
                    extensions.push(CertificateExtension::parse(&e)?);
                }
                if it.next().is_some() {
                    return Err(CvcError::Invalid("trailing body fields"));
                }
            }
            Some(_) => return Err(CvcError::Invalid("trailing body fields")),
        }
        if expiry < effective {
            return Err(CvcError::Invalid("expiry before effective date"));
        }
        Ok(Self {
            body: CertificateBody {
                car,
                public_key,
                chr,
                chat,
                effective,
                expiry,
                extensions,
            },
            signature: sig.value.to_vec(),
            body_encoded: body_tlv.raw.to_vec(),
            encoded: bytes.to_vec(),
        })
    }

    /// Assembles a certificate from a body and its signature.
    pub fn from_parts(body: CertificateBody, signature: Vec<u8>) -> Result<Self, CvcError> {
        let mut inner = body.to_tlv();
        inner.extend(tlv::encode(0x5F37, &signature));
        Self::parse(&tlv::encode(0x7F21, &inner))
    }

    /// The complete encoding (7F21 …).
    pub fn to_bytes(&self) -> &[u8] {
        &self.encoded
    }

    /// The encoded body (7F4E …), as signed.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body_encoded
    }

    /// Body and signature objects: the data of PSO:Verify Certificate.
    pub fn verify_certificate_data(&self) -> Vec<u8> {
        let mut v = self.body_encoded.clone();
        v.extend(tlv::encode(0x5F37, &self.signature));
        v
    }

    /// The holder reference.
    pub fn chr(&self) -> &CertificateReference {
        &self.body.chr
    }

    /// The authority reference.
    pub fn car(&self) -> &CertificateReference {
        &self.body.car
    }

    /// Verifies the signature with the issuer's `key` on `curve`.
    pub fn verify_signature(&self, key: &CvPublicKey, curve: Curve) -> Result<(), CvcError> {
        key.verify(curve, &self.body_encoded, &self.signature)
            .map_err(|e| match e {
                EcError::InvalidPoint(_) => CvcError::Ec(e),
                _ => CvcError::BadSignature(self.body.chr.clone()),
            })
    }

    /// Checks a certificate description against the hash in the description extension.
    pub fn check_description(&self, description: &[u8]) -> Result<(), CvcError> {
        let hash = self
            .body
            .description_hash()
            .ok_or(CvcError::NoDescription)?;
        if self.body.public_key.hash.digest(description) == hash {
            Ok(())
        } else {
            Err(CvcError::DescriptionMismatch)
        }
    }
}

/// A trusted CVCA: its reference, key with domain parameters, and CHAT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    /// The CVCA's holder reference.
    pub chr: CertificateReference,
    /// The CVCA's public key.
    pub key: CvPublicKey,
    /// The curve of the CVCA's domain parameters.
    pub curve: Curve,
    /// The CVCA's CHAT (its terminal type bounds the chain).
    pub chat: Chat,
}

impl TrustAnchor {
    /// A trust anchor from a self-signed CVCA certificate (the signature is checked).
    pub fn from_certificate(cert: &CvCertificate) -> Result<Self, CvcError> {
        let curve = cert
            .body
            .public_key
            .curve
            .ok_or_else(|| CvcError::NoDomainParameters(cert.body.chr.clone()))?;
        if cert.body.chat.role != Role::Cvca {
            return Err(CvcError::RoleOrder(cert.body.chr.clone()));
        }
        cert.verify_signature(&cert.body.public_key, curve)?;
        Ok(Self {
            chr: cert.body.chr.clone(),
            key: cert.body.public_key.clone(),
            curve,
            chat: cert.body.chat.clone(),
        })
    }
}

/// The result of a verified chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedChain {
    /// The terminal certificate.
    pub terminal: CvCertificate,
    /// The curve of the terminal's key.
    pub curve: Curve,
    /// The effective authorization: the AND of all CHATs in the chain.
    pub effective_chat: Chat,
}

/// Verifies `chain` (link CVCAs, DV, terminal, in that order) from `anchor`, as of `today`.
///
/// Every certificate must name the previous holder as CAR, verify with its key,
/// be valid on `today` (a DV or terminal certificate; CVCA link certificates
/// only need a valid signature), have the same terminal type and follow the
/// role order CVCA* → DV → terminal.
pub fn verify_chain(
    anchor: &TrustAnchor,
    chain: &[CvCertificate],
    today: CvDate,
) -> Result<VerifiedChain, CvcError> {
    let mut key = anchor.key.clone();
    let mut curve = anchor.curve;
    let mut chr = anchor.chr.clone();
    let mut chat = anchor.chat.clone();
    let mut previous_role = Role::Cvca;
    for cert in chain {
        let b = &cert.body;
        if b.car != chr {
            return Err(CvcError::CarMismatch {
                expected: chr,
                found_car: b.car.clone(),
                found_chr: b.chr.clone(),
            });
        }
        if b.chat.terminal_type != anchor.chat.terminal_type {
            return Err(CvcError::TerminalType(b.chr.clone()));
        }
        let allowed = match previous_role {
            Role::Cvca => true,
            r if r.is_dv() => b.chat.role == Role::Terminal,
            _ => false,
        };
        if !allowed {
            return Err(CvcError::RoleOrder(b.chr.clone()));
        }
        cert.verify_signature(&key, curve)?;
        if b.chat.role != Role::Cvca {
            if today > b.expiry {
                return Err(CvcError::Expired {
                    chr: b.chr.clone(),
                    expiry: b.expiry,
                });
            }
            if today < b.effective {
                return Err(CvcError::NotYetValid {
                    chr: b.chr.clone(),
                    effective: b.effective,
                });
            }
        }
        if let Some(c) = b.public_key.curve {
            if b.chat.role != Role::Cvca && c != curve {
                return Err(CvcError::UnknownDomainParameters);
            }
            curve = c;
        }
        ec::validate_point(curve, &b.public_key.point)?;
        chat = b.chat.intersect(&chat);
        key = b.public_key.clone();
        chr = b.chr.clone();
        previous_role = b.chat.role;
    }
    match chain.last() {
        Some(t) if t.body.chat.role == Role::Terminal => Ok(VerifiedChain {
            terminal: t.clone(),
            curve,
            effective_chat: chat,
        }),
        _ => Err(CvcError::NoTerminal),
    }
}

/// The terms of usage of a certificate description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermsOfUsage {
    /// Plain UTF-8 text.
    Plain(String),
    /// HTML (display sanitised!).
    Html(String),
    /// A PDF document.
    Pdf(Vec<u8>),
    /// An unknown format, raw.
    Other(Vec<u8>),
}

/// A certificate description (TR-03110-4 2.2.6): who runs the service and on what terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDescription {
    /// The format OID (id-plainFormat, id-htmlFormat, id-pdfFormat).
    pub description_type: ObjectIdentifier,
    /// The issuer (the DV) name.
    pub issuer_name: String,
    /// The issuer URL.
    pub issuer_url: Option<String>,
    /// The service provider's name.
    pub subject_name: String,
    /// The service provider's URL.
    pub subject_url: Option<String>,
    /// The terms of usage.
    pub terms_of_usage: TermsOfUsage,
    /// The redirect URL.
    pub redirect_url: Option<String>,
    /// Hashes of the service's TLS certificates.
    pub comm_certificates: Vec<Vec<u8>>,
}

impl CertificateDescription {
    /// Parses the DER-encoded description.
    pub fn parse(bytes: &[u8]) -> Result<Self, CvcError> {
        let (outer, rest) = Tlv::parse(bytes)?;
        if outer.tag != tlv::Tag(0x30) || !rest.is_empty() {
            return Err(CvcError::Missing("CertificateDescription SEQUENCE"));
        }
        let objs = outer.children()?;
        let oid = tlv::find(&objs, 0x06).ok_or(CvcError::Missing("descriptionType"))?;
        let description_type =
            ObjectIdentifier::from_bytes(oid.value).map_err(|_| CvcError::Invalid("OID"))?;
        let inner = |tag: u32| -> Result<Option<Tlv<'_>>, CvcError> {
            match tlv::find(&objs, tag) {
                None => Ok(None),
                Some(t) => {
                    let (i, rest) = Tlv::parse(t.value)?;
                    if !rest.is_empty() {
                        return Err(CvcError::Invalid("CertificateDescription field"));
                    }
                    Ok(Some(i))
                }
            }
        };
        let text = |tag: u32| -> Result<Option<String>, CvcError> {
            inner(tag)?
                .map(|t| {
                    String::from_utf8(t.value.to_vec())
                        .map_err(|_| CvcError::Invalid("CertificateDescription text"))
                })
                .transpose()
        };
        let terms = inner(0xA5)?.ok_or(CvcError::Missing("termsOfUsage"))?;
        let terms_of_usage = if description_type == ID_PLAIN_FORMAT {
            TermsOfUsage::Plain(
                String::from_utf8(terms.value.to_vec())
                    .map_err(|_| CvcError::Invalid("termsOfUsage"))?,
            )
        } else if description_type == ID_HTML_FORMAT {
            TermsOfUsage::Html(
                String::from_utf8(terms.value.to_vec())
                    .map_err(|_| CvcError::Invalid("termsOfUsage"))?,
            )
        } else if description_type == ID_PDF_FORMAT {
            TermsOfUsage::Pdf(terms.value.to_vec())
        } else {
            TermsOfUsage::Other(terms.raw.to_vec())
        };
        let comm_certificates = match inner(0xA7)? {
            Some(set) => set
                .children()?
                .into_iter()
                .map(|t| t.value.to_vec())
                .collect(),
            None => Vec::new(),
        };
        Ok(Self {
            description_type,
            issuer_name: text(0xA1)?.ok_or(CvcError::Missing("issuerName"))?,
            issuer_url: text(0xA2)?,
            subject_name: text(0xA3)?.ok_or(CvcError::Missing("subjectName"))?,
            subject_url: text(0xA4)?,
            terms_of_usage,
            redirect_url: text(0xA6)?,
            comm_certificates,
        })
    }

    /// The DER encoding (plain-text terms: UTF8String).
    pub fn to_der(&self) -> Vec<u8> {
        let field = |n: u32, tag: u32, v: &[u8]| tlv::encode(n, &tlv::encode(tag, v));
        let mut v = tlv::encode(0x06, self.description_type.as_bytes());
        v.extend(field(0xA1, 0x0C, self.issuer_name.as_bytes()));
        if let Some(u) = &self.issuer_url {
            v.extend(field(0xA2, 0x13, u.as_bytes()));
        }
        v.extend(field(0xA3, 0x0C, self.subject_name.as_bytes()));
        if let Some(u) = &self.subject_url {
            v.extend(field(0xA4, 0x13, u.as_bytes()));
        }
        v.extend(match &self.terms_of_usage {
            TermsOfUsage::Plain(t) => field(0xA5, 0x0C, t.as_bytes()),
            TermsOfUsage::Html(t) => field(0xA5, 0x16, t.as_bytes()),
            TermsOfUsage::Pdf(b) => field(0xA5, 0x04, b),
            TermsOfUsage::Other(raw) => tlv::encode(0xA5, raw),
        });
        if let Some(u) = &self.redirect_url {
            v.extend(field(0xA6, 0x13, u.as_bytes()));
        }
        if !self.comm_certificates.is_empty() {
            let set: Vec<u8> = self
                .comm_certificates
                .iter()
                .flat_map(|c| tlv::encode(0x04, c))
                .collect();
            v.extend(field(0xA7, 0x31, &set));
        }
        tlv::encode(0x30, &v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pki::TestPki;

    fn today() -> CvDate {
        CvDate::new(2026, 6, 1).unwrap()
    }

    #[test]
    fn chat_bits_round_trip_and_labels() {
        let rights = [
            AccessRight::AgeVerification,
            AccessRight::RestrictedIdentification,
            AccessRight::ReadDataGroup(1),
            AccessRight::ReadDataGroup(4),
            AccessRight::ReadDataGroup(21),
            AccessRight::WriteDataGroup(17),
        ];
        let chat = Chat::authentication(Role::Terminal, &rights);
        let enc = chat.to_tlv();
        // 7F4C 0E 06 09 <id-AT> 53 05 <bitmap>
        assert_eq!(&enc[..2], &[0x7F, 0x4C]);
        let map = &enc[enc.len() - 5..];
        // bit 37 (write DG17), bit 28 (DG21), bit 11 (DG4), bit 8 (DG1), bits 2, 0.
        assert_eq!(map, &[0x20, 0x10, 0x00, 0x09, 0x05]);
        let back = Chat::parse(&enc).unwrap();
        assert_eq!(back, chat);
        assert_eq!(back.rights().into_iter().collect::<Vec<_>>(), {
            let mut r = rights.to_vec();
            r.sort();
            r
        });
        assert!(back.has(AccessRight::ReadDataGroup(4)));
        assert!(!back.has(AccessRight::ReadDataGroup(5)));
        assert_eq!(
            AccessRight::ReadDataGroup(4).label(),
            "Read given names (DG4)"
        );
        // The real eID-Server CHAT of a DV: role 10, everything readable.
        let dv = Chat::parse(&crate::crypto::tests::hex(
            "7F4C12060904007F0007030102025305801FFFFFF7",
        ))
        .unwrap();
        assert_eq!(dv.role, Role::DvOfficialDomestic);
        assert!(dv.has(AccessRight::ReadDataGroup(17)));
        assert!(!dv.has(AccessRight::PrivilegedTerminal));
        let narrowed = dv.restrict_to(&[AccessRight::AgeVerification, AccessRight::CanAllowed]);
        assert_eq!(
            narrowed.rights().into_iter().collect::<Vec<_>>(),
            vec![AccessRight::AgeVerification, AccessRight::CanAllowed]
        );
    }

    #[test]
    fn dates_and_references() {
        let d = CvDate::parse(&[2, 6, 1, 2, 3, 1]).unwrap();
        assert_eq!(d.to_string(), "2026-12-31");
        assert_eq!(d.to_bytes(), [2, 6, 1, 2, 3, 1]);
        assert!(CvDate::parse(&[2, 6, 1, 3, 0, 1]).is_err());
        assert!(CvDate::parse(&[2, 6, 1, 2, 3]).is_err());
        assert!(CvDate::parse(&[2, 0x0A, 1, 2, 3, 1]).is_err());
        let r = CertificateReference::new(b"DETESTeID00005").unwrap();
        assert_eq!(
            (r.country_code(), r.mnemonic(), r.sequence_number()),
            ("DE".into(), "TESTeID".into(), "00005".into())
        );
        assert!(CertificateReference::new(b"").is_err());
        assert!(CertificateReference::new(&[0x44, 0x01]).is_err());
    }

    #[test]
    fn parse_round_trip_and_chain() {
        let pki = TestPki::generate(Curve::BrainpoolP256r1);
        let anchor = TrustAnchor::from_certificate(&pki.cvca).unwrap();
        assert_eq!(anchor.curve, Curve::BrainpoolP256r1);
        let t = CvCertificate::parse(pki.terminal.to_bytes()).unwrap();
        assert_eq!(t, pki.terminal);
        assert_eq!(t.body.public_key.curve, None);
        assert_eq!(t.body.public_key.hash, HashAlgorithm::Sha256);
        let v = verify_chain(&anchor, &pki.chain(), today()).unwrap();
        assert_eq!(v.terminal.chr(), pki.terminal.chr());
        assert_eq!(v.curve, Curve::BrainpoolP256r1);
        // The DV grants less than the terminal asks for: the effective CHAT is the AND.
        assert!(v.effective_chat.has(AccessRight::RestrictedIdentification));
        assert!(!v.effective_chat.has(AccessRight::PinManagement));
        assert!(pki.terminal.body.chat.has(AccessRight::PinManagement));
        // Description bound by hash.
        let desc_der = pki.description.to_der();
        pki.terminal.check_description(&desc_der).unwrap();
        let parsed = CertificateDescription::parse(&desc_der).unwrap();
        assert_eq!(parsed, pki.description);
        assert!(
            matches!(parsed.terms_of_usage, TermsOfUsage::Plain(ref s) if s.contains("Amtsbote"))
        );
        let mut other = pki.description.clone();
        other.subject_name = "Evil".into();
        assert_eq!(
            pki.terminal.check_description(&other.to_der()),
            Err(CvcError::DescriptionMismatch)
        );
    }

    #[test]
    fn chain_errors() {
        let pki = TestPki::generate(Curve::BrainpoolP256r1);
        let anchor = TrustAnchor::from_certificate(&pki.cvca).unwrap();
        // Missing DV: the terminal's CAR does not name the CVCA.
        assert!(matches!(
            verify_chain(&anchor, std::slice::from_ref(&pki.terminal), today()),
            Err(CvcError::CarMismatch { .. })
        ));
        // DV only: no terminal.
        assert_eq!(
            verify_chain(&anchor, std::slice::from_ref(&pki.dv), today()),
            Err(CvcError::NoTerminal)
        );
        // Expired and not yet valid.
        assert!(matches!(
            verify_chain(&anchor, &pki.chain(), CvDate::new(2031, 1, 1).unwrap()),
            Err(CvcError::Expired { .. })
        ));
        assert!(matches!(
            verify_chain(&anchor, &pki.chain(), CvDate::new(2020, 1, 1).unwrap()),
            Err(CvcError::NotYetValid { .. })
        ));
        // A flipped signature bit.
        let mut sig = pki.terminal.signature.clone();
        sig[5] ^= 1;
        let forged = CvCertificate::from_parts(pki.terminal.body.clone(), sig).unwrap();
        assert!(matches!(
            verify_chain(&anchor, &[pki.dv.clone(), forged], today()),
            Err(CvcError::BadSignature(_))
        ));
        // A different CVCA with the same name.
        let other = TestPki::generate(Curve::BrainpoolP256r1);
        let other_anchor = TrustAnchor::from_certificate(&other.cvca).unwrap();
        assert!(matches!(
            verify_chain(&other_anchor, &pki.chain(), today()),
            Err(CvcError::BadSignature(_))
        ));
        // Terminal signing a terminal.
        let t2 = pki.issue_terminal_from_terminal();
        assert!(matches!(
            verify_chain(
                &anchor,
                &[pki.dv.clone(), pki.terminal.clone(), t2],
                today()
            ),
            Err(CvcError::RoleOrder(_))
        ));
    }

    #[test]
    fn hostile_encodings_never_panic() {
        let pki = TestPki::generate(Curve::BrainpoolP256r1);
        let good = pki.terminal.to_bytes().to_vec();
        for n in 0..good.len() {
            let _ = CvCertificate::parse(&good[..n]);
            let mut flipped = good.clone();
            flipped[n] ^= 0x80;
            let _ = CvCertificate::parse(&flipped);
        }
        assert!(CvCertificate::parse(&good[..good.len() - 1]).is_err());
        let desc = pki.description.to_der();
        for n in 0..desc.len() {
            let _ = CertificateDescription::parse(&desc[..n]);
        }
        assert!(matches!(
            Chat::parse(&crate::crypto::tests::hex("7F4C0706022A03530100")),
            Err(CvcError::Invalid(_))
        ));
    }
}
