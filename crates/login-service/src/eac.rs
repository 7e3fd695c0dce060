//! The real eID step: [`EacAuthenticator`], an [`EidAuthenticator`] on
//! g2c-eid's service-side [`EacSession`].
//!
//! Per login: Terminal Authentication v2 with the configured CV chain and
//! key → EF.CardSecurity read and checked against the configured CSCA trust
//! list (passive authentication) → Chip Authentication v2 → Restricted
//! Identification with the configured sector public key, end to end under
//! the CA keys. The result is the card's [`SectorPseudonym`](crate::authenticator::SectorPseudonym); the provider
//! turns it into the `c-…` localpart.
//!
//! Files (see `docs/login-service.md`):
//!
//! - terminal CV chain: DER CV certificates, DV then terminal (as issued;
//!   link CVCA certificates first if the card may still know an older CVCA);
//! - terminal key: PKCS#8 (DER or PEM `PRIVATE KEY`), `id-ecPublicKey` with a
//!   named curve — the format `cvc-create` writes; it must belong to the
//!   terminal certificate;
//! - certificate description: DER, its hash must be in the terminal
//!   certificate;
//! - trust list: CSCA certificates, PEM (`CERTIFICATE` blocks) or one DER;
//! - sector public key: the uncompressed EC point (`04‖x‖y`), binary.

use std::path::{Path, PathBuf};

use der::Decode as _;
use der::asn1::ObjectIdentifier;
use g2c_eid::cvc::{
    AccessRight, CertificateDescription, CertificateReference, Chat, CvCertificate, TermsOfUsage,
};
use g2c_eid::eac::{Batch, EacConfig, EacError, EacSession, EacStep, PassiveAuthentication};
use g2c_eid::pace::Curve;
use g2c_eid::ta::{PaceSessionInfo, TaError, TerminalKey};
use g2c_eid::{ca::CaError, ec, ri::RiError, tlv};
use zeroize::Zeroizing;

use crate::authenticator::{EidAuthenticator, EidError, EidSession, EidStep};
use crate::config::EidConfig;
use crate::relay::{Description, Hello, Start};

/// id-ecPublicKey (RFC 5480).
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// Why the eID configuration cannot be used. Messages name files, never
/// key material.
#[derive(Debug, thiserror::Error)]
pub enum EidConfigError {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A CV certificate of the chain is not valid.
    #[error("CV certificate {position} of the terminal chain: {reason}")]
    Certificate {
        /// Its position in the chain, from 1.
        position: usize,
        /// The cause.
        reason: String,
    },
    /// The chain is empty, out of order or not signed as it claims.
    #[error("terminal certificate chain: {0}")]
    Chain(String),
    /// The terminal key is unreadable or does not belong to the terminal
    /// certificate.
    #[error("terminal key: {0}")]
    TerminalKey(String),
    /// The certificate description is invalid or not the one the terminal
    /// certificate names.
    #[error("certificate description: {0}")]
    Description(String),
    /// The CSCA trust list is empty or invalid.
    #[error("trust list: {0}")]
    TrustList(String),
    /// The sector public key is not a point on a supported curve.
    #[error("sector public key: {0}")]
    SectorKey(String),
}

/// The terminal's key as loaded: curve and scalar, wiped on drop.
struct KeyMaterial {
    curve: Curve,
    algorithm: ObjectIdentifier,
    secret: Zeroizing<Vec<u8>>,
}

impl KeyMaterial {
    fn terminal_key(&self) -> Result<TerminalKey, TaError> {
        TerminalKey::new(self.curve, self.algorithm, &self.secret)
    }
}

/// The eID service: terminal chain and key, CSCA trust list, sector key.
pub struct EacAuthenticator {
    chain: Vec<CvCertificate>,
    key: KeyMaterial,
    trust_list: Vec<x509_cert::Certificate>,
    sector_public_key: Vec<u8>,
    hello: Hello,
}

impl std::fmt::Debug for EacAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EacAuthenticator")
            .field(
                "chain",
                &self.chain.iter().map(|c| c.chr()).collect::<Vec<_>>(),
            )
            .field("trust_list", &self.trust_list.len())
            .finish_non_exhaustive()
    }
}

/// The inputs of an [`EacAuthenticator`], already read from their files.
pub struct EacCredentials {
    /// CV certificates (DER): optional link certificates, DV, terminal.
    pub chain: Vec<Vec<u8>>,
    /// The terminal key, PKCS#8 DER.
    pub terminal_key_pkcs8: Zeroizing<Vec<u8>>,
    /// The certificate description (DER).
    pub certificate_description: Vec<u8>,
    /// CSCA certificates (DER) for passive authentication.
    pub trust_list: Vec<Vec<u8>>,
    /// The sector public key (uncompressed point).
    pub sector_public_key: Vec<u8>,
}

impl std::fmt::Debug for EacCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EacCredentials").finish_non_exhaustive()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, EidConfigError> {
    std::fs::read(path).map_err(|source| EidConfigError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The DER blocks of PEM `label` sections in `text`, or `text` itself when it
/// is not PEM.
fn pem_or_der(bytes: &[u8], label: &str) -> Result<Vec<Zeroizing<Vec<u8>>>, String> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(vec![Zeroizing::new(bytes.to_vec())]);
    };
    if !text.contains("-----BEGIN ") {
        return Ok(vec![Zeroizing::new(bytes.to_vec())]);
    }
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let after = &rest[start + begin.len()..];
        let stop = after
            .find(&end)
            .ok_or_else(|| format!("unterminated PEM {label} block"))?;
        let body: Zeroizing<String> = Zeroizing::new(
            after[..stop]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect(),
        );
        use base64::Engine as _;
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| format!("PEM {label} block is not base64"))?;
        blocks.push(Zeroizing::new(der));
        rest = &after[stop + end.len()..];
    }
    if blocks.is_empty() {
        return Err(format!("no PEM {label} block"));
    }
    Ok(blocks)
}

/// Parses a PKCS#8 `PrivateKeyInfo` holding an EC key on a named curve.
fn parse_pkcs8(der: &[u8]) -> Result<(Curve, Zeroizing<Vec<u8>>), String> {
    let bad = |what: &str| format!("not a PKCS#8 EC private key ({what})");
    let (outer, _) = tlv::Tlv::parse(der).map_err(|_| bad("outer structure"))?;
    if outer.tag.0 != 0x30 {
        return Err(bad("outer structure"));
    }
    let parts = outer.children().map_err(|_| bad("outer structure"))?;
    let [version, algorithm, private, ..] = parts.as_slice() else {
        return Err(bad("fields"));
    };
    if version.tag.0 != 0x02 || version.value != [0] {
        return Err(bad("version"));
    }
    let algorithm = algorithm.children().map_err(|_| bad("algorithm"))?;
    let oid = |t: Option<&tlv::Tlv<'_>>| {
        t.filter(|t| t.tag.0 == 0x06)
            .and_then(|t| ObjectIdentifier::from_bytes(t.value).ok())
    };
    if oid(algorithm.first()) != Some(ID_EC_PUBLIC_KEY) {
        return Err(bad("algorithm is not id-ecPublicKey"));
    }
    let curve_oid = oid(algorithm.get(1)).ok_or_else(|| bad("no named curve"))?;
    let curve = ec::curve_from_oid(&curve_oid)
        .ok_or_else(|| format!("unsupported curve {curve_oid} (supported: brainpoolP256r1, brainpoolP384r1, P-256, P-384)"))?;
    if private.tag.0 != 0x04 {
        return Err(bad("privateKey"));
    }
    let (ec_key, _) = tlv::Tlv::parse(private.value).map_err(|_| bad("ECPrivateKey"))?;
    let fields = ec_key.children().map_err(|_| bad("ECPrivateKey"))?;
    let scalar = fields
        .get(1)
        .filter(|t| t.tag.0 == 0x04 && fields.first().is_some_and(|v| v.value == [1]))
        .ok_or_else(|| bad("ECPrivateKey"))?;
    let size = ec::field_size(curve);
    if scalar.value.len() > size || scalar.value.is_empty() {
        return Err(bad("scalar length"));
    }
    let mut secret = Zeroizing::new(vec![0u8; size]);
    secret[size - scalar.value.len()..].copy_from_slice(scalar.value);
    Ok((curve, secret))
}

/// Encodes an EC private key as PKCS#8 DER (named curve, no public key):
/// the format [`EacAuthenticator`] reads. For generating test PKIs.
pub fn encode_pkcs8(curve: Curve, secret: &[u8]) -> Zeroizing<Vec<u8>> {
    let seq = |parts: &[&[u8]]| tlv::encode(0x30, &parts.concat());
    let ec_private = Zeroizing::new(seq(&[
        &tlv::encode(0x02, &[1]),
        &Zeroizing::new(tlv::encode(0x04, secret)),
    ]));
    let algorithm = seq(&[
        &tlv::encode(0x06, ID_EC_PUBLIC_KEY.as_bytes()),
        &tlv::encode(0x06, ec::curve_oid(curve).as_bytes()),
    ]);
    Zeroizing::new(seq(&[
        &tlv::encode(0x02, &[0]),
        &algorithm,
        &Zeroizing::new(tlv::encode(0x04, &ec_private)),
    ]))
}

fn plain_terms(terms: &TermsOfUsage) -> String {
    match terms {
        TermsOfUsage::Plain(text) => text.clone(),
        TermsOfUsage::Html(_) => "(HTML terms of usage: see the certificate description)".into(),
        TermsOfUsage::Pdf(_) => "(PDF terms of usage: see the certificate description)".into(),
        TermsOfUsage::Other(_) => "(terms of usage in an unknown format)".into(),
    }
}

impl EacAuthenticator {
    /// Reads the files named in the `[eid]` configuration section.
    pub fn from_config(config: &EidConfig) -> Result<Self, EidConfigError> {
        let chain = config
            .terminal_certificate_chain
            .iter()
            .map(|p| read(p))
            .collect::<Result<Vec<_>, _>>()?;
        let key_file = Zeroizing::new(read(&config.terminal_key)?);
        let key = pem_or_der(&key_file, "PRIVATE KEY")
            .map_err(EidConfigError::TerminalKey)?
            .into_iter()
            .next()
            .ok_or_else(|| EidConfigError::TerminalKey("empty file".into()))?;
        let trust_list = pem_or_der(&read(&config.trust_list)?, "CERTIFICATE")
            .map_err(EidConfigError::TrustList)?
            .into_iter()
            .map(|der| der.to_vec())
            .collect();
        Self::new(EacCredentials {
            chain,
            terminal_key_pkcs8: key,
            certificate_description: read(&config.certificate_description)?,
            trust_list,
            sector_public_key: read(&config.sector_public_key)?,
        })
    }

    /// Checks the credentials and builds the authenticator: the chain is
    /// ordered and signed as claimed, the key belongs to the terminal
    /// certificate, the description is the one it names, the terminal may
    /// use Restricted Identification, the trust list is non-empty and the
    /// sector key is a valid point.
    pub fn new(credentials: EacCredentials) -> Result<Self, EidConfigError> {
        let chain = credentials
            .chain
            .iter()
            .enumerate()
            .map(|(i, der)| {
                CvCertificate::parse(der).map_err(|e| EidConfigError::Certificate {
                    position: i + 1,
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let terminal = chain
            .last()
            .cloned()
            .ok_or_else(|| EidConfigError::Chain("empty".into()))?;

        let (curve, secret) =
            parse_pkcs8(&credentials.terminal_key_pkcs8).map_err(EidConfigError::TerminalKey)?;
        let key = KeyMaterial {
            curve,
            algorithm: terminal.body.public_key.algorithm,
            secret,
        };
        let public = key
            .terminal_key()
            .map_err(|e| EidConfigError::TerminalKey(e.to_string()))?
            .public_key()
            .map_err(|e| EidConfigError::TerminalKey(e.to_string()))?;
        if public != terminal.body.public_key.point {
            return Err(EidConfigError::TerminalKey(format!(
                "does not belong to the terminal certificate {}",
                terminal.chr()
            )));
        }
        for pair in chain.windows(2) {
            let [issuer, subject] = pair else { continue };
            if subject.car() != issuer.chr() {
                return Err(EidConfigError::Chain(format!(
                    "{} is issued by {}, not by the certificate before it ({})",
                    subject.chr(),
                    subject.car(),
                    issuer.chr()
                )));
            }
            subject
                .verify_signature(&issuer.body.public_key, curve)
                .map_err(|e| EidConfigError::Chain(format!("{} signature: {e}", subject.chr())))?;
        }

        terminal
            .check_description(&credentials.certificate_description)
            .map_err(|e| EidConfigError::Description(e.to_string()))?;
        let description = CertificateDescription::parse(&credentials.certificate_description)
            .map_err(|e| EidConfigError::Description(e.to_string()))?;

        let required_chat = terminal
            .body
            .chat
            .restrict_to(&[AccessRight::RestrictedIdentification]);
        if !required_chat.has(AccessRight::RestrictedIdentification) {
            return Err(EidConfigError::Chain(format!(
                "the terminal certificate {} does not grant restricted identification",
                terminal.chr()
            )));
        }

        let trust_list = credentials
            .trust_list
            .iter()
            .map(|der| {
                x509_cert::Certificate::from_der(der).map_err(|e| {
                    EidConfigError::TrustList(format!("not an X.509 certificate: {e}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if trust_list.is_empty() {
            return Err(EidConfigError::TrustList("no CSCA certificate".into()));
        }

        let sector_public_key = credentials.sector_public_key;
        if !ec::CURVES
            .iter()
            .any(|c| ec::validate_point(*c, &sector_public_key).is_ok())
        {
            return Err(EidConfigError::SectorKey(
                "not an uncompressed point on a supported curve".into(),
            ));
        }

        let hello = Hello {
            terminal_certificate: terminal.to_bytes().to_vec(),
            certificate_description: credentials.certificate_description.clone(),
            description: Description {
                issuer_name: description.issuer_name.clone(),
                subject_name: description.subject_name.clone(),
                subject_url: description.subject_url.clone().unwrap_or_default(),
                terms_of_usage: plain_terms(&description.terms_of_usage),
            },
            required_chat: required_chat.to_tlv(),
            optional_chat: terminal.body.chat.restrict_to(&[]).to_tlv(),
        };
        Ok(Self {
            chain,
            key,
            trust_list,
            sector_public_key,
            hello,
        })
    }

    /// The terminal certificate's holder reference.
    pub fn terminal(&self) -> &CertificateReference {
        // `new` refuses an empty chain.
        self.chain
            .last()
            .map(CvCertificate::chr)
            .unwrap_or_else(|| unreachable!("the chain is never empty"))
    }
}

fn pace_info(start: &Start) -> Result<PaceSessionInfo, EidError> {
    let car = |i: usize| {
        start
            .cars
            .get(i)
            .map(|car| {
                CertificateReference::new(car.as_bytes())
                    .map_err(|_| EidError::BadStart("invalid CAR".into()))
            })
            .transpose()
    };
    Ok(PaceSessionInfo {
        id_picc: start.id_picc.clone(),
        car: car(0)?,
        previous_car: car(1)?,
    })
}

/// Maps g2c-eid's errors onto the provider's typed eID errors.
fn eid_error(error: EacError) -> EidError {
    let message = error.to_string();
    match error {
        EacError::CardAccess(_) | EacError::NoChipAuthentication => EidError::BadStart(message),
        // The card did not accept the terminal: its certificates (unknown
        // or expired CVCA/DV/terminal), their use, or its signature.
        EacError::Ta(TaError::NoMatchingCvca(_)) => EidError::TerminalRejected(message),
        EacError::Ta(TaError::Card { step, .. }) if step != "GET CHALLENGE" => {
            EidError::TerminalRejected(message)
        }
        EacError::Ta(TaError::Card { sw, .. })
        | EacError::Ca(CaError::Card { sw, .. })
        | EacError::Ri(RiError::Card { sw, .. })
        | EacError::Read(sw) => EidError::Card { status: sw.0 },
        // Forged, unparsable or from a document signer no trusted CSCA issued.
        EacError::CardSecurity(_) => EidError::UntrustedCard(message),
        EacError::Protocol(_) | EacError::Apdu(_) => EidError::Protocol(message),
        EacError::Ta(_) | EacError::Ca(_) | EacError::Ri(_) | EacError::Sm(_) | EacError::Ec(_) => {
            EidError::Verification(message)
        }
    }
}

fn transmit(batch: Batch) -> EidStep {
    EidStep::Transmit {
        secure_messaging: batch.protection.into(),
        commands: batch.commands,
    }
}

/// One login in progress.
struct Session(EacSession);

impl EidSession for Session {
    fn step(&mut self, responses: Vec<Vec<u8>>) -> Result<EidStep, EidError> {
        match self.0.step(&responses).map_err(eid_error)? {
            EacStep::Transmit(batch) => Ok(transmit(batch)),
            EacStep::Done(result) => {
                tracing::debug!(terminal = %result.terminal, "eID: TA, passive authentication, CA and RI verified");
                Ok(EidStep::Done(result.pseudonym))
            }
        }
    }
}

impl EidAuthenticator for EacAuthenticator {
    fn hello(&self) -> Hello {
        self.hello.clone()
    }

    fn begin(&self, start: &Start) -> Result<(Box<dyn EidSession>, EidStep), EidError> {
        if let Some(chat) = &start.chat {
            let chat = Chat::parse(chat).map_err(|_| EidError::BadStart("invalid CHAT".into()))?;
            if !chat.has(AccessRight::RestrictedIdentification) {
                return Err(EidError::BadStart(
                    "the CHAT PACE ran with does not allow restricted identification".into(),
                ));
            }
        }
        let config = EacConfig {
            chain: self.chain.clone(),
            terminal_key: self
                .key
                .terminal_key()
                .map_err(|e| EidError::Verification(e.to_string()))?,
            auxiliary_data: None,
            sector_public_key: self.sector_public_key.clone(),
            passive_authentication: PassiveAuthentication::TrustList(self.trust_list.clone()),
        };
        let (session, batch) = EacSession::begin(config, &pace_info(start)?, &start.ef_card_access)
            .map_err(eid_error)?;
        Ok((Box::new(Session(session)), transmit(batch)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::TestEid;

    #[test]
    fn pkcs8_round_trip_and_refusals() {
        let secret = ec::generate_secret(Curve::BrainpoolP256r1).unwrap();
        let der = encode_pkcs8(Curve::BrainpoolP256r1, &secret);
        let (curve, parsed) = parse_pkcs8(&der).unwrap();
        assert_eq!(curve, Curve::BrainpoolP256r1);
        assert_eq!(parsed.as_slice(), secret.as_slice());
        assert!(parse_pkcs8(&der[..der.len() - 1]).is_err());
        assert!(parse_pkcs8(b"\x30\x00").is_err());
    }

    #[test]
    fn credentials_that_do_not_fit_are_refused() {
        let eid = TestEid::generate();
        assert!(EacAuthenticator::new(eid.credentials()).is_ok());

        // A key that is not the terminal's.
        let mut wrong_key = eid.credentials();
        let other = ec::generate_secret(Curve::BrainpoolP256r1).unwrap();
        wrong_key.terminal_key_pkcs8 = encode_pkcs8(Curve::BrainpoolP256r1, &other);
        assert!(matches!(
            EacAuthenticator::new(wrong_key),
            Err(EidConfigError::TerminalKey(_))
        ));

        // Terminal before DV.
        let mut reversed = eid.credentials();
        reversed.chain.reverse();
        assert!(EacAuthenticator::new(reversed).is_err());

        // Another description than the certificate names.
        let mut description = eid.credentials();
        description.certificate_description.push(0);
        assert!(matches!(
            EacAuthenticator::new(description),
            Err(EidConfigError::Description(_))
        ));

        let mut no_trust = eid.credentials();
        no_trust.trust_list.clear();
        assert!(matches!(
            EacAuthenticator::new(no_trust),
            Err(EidConfigError::TrustList(_))
        ));

        let mut sector = eid.credentials();
        sector.sector_public_key[5] ^= 1;
        assert!(matches!(
            EacAuthenticator::new(sector),
            Err(EidConfigError::SectorKey(_))
        ));
    }

    #[test]
    fn hello_asks_only_for_restricted_identification() {
        let eid = TestEid::generate();
        let hello = EacAuthenticator::new(eid.credentials()).unwrap().hello();
        let required = Chat::parse(&hello.required_chat).unwrap();
        assert_eq!(
            required.rights().into_iter().collect::<Vec<_>>(),
            [AccessRight::RestrictedIdentification]
        );
        assert!(
            Chat::parse(&hello.optional_chat)
                .unwrap()
                .rights()
                .is_empty()
        );
        assert_eq!(hello.description.subject_name, "Amtsbote Testdienst");
        assert_eq!(hello.terminal_certificate, eid.pki.terminal.to_bytes());
    }
}
