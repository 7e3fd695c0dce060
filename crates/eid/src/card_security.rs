//! EF.CardSecurity and the EAC SecurityInfos (BSI TR-03110-3 A.1, ICAO 9303-11 9.2):
//! parsing and passive authentication.
//!
//! EF.CardSecurity is a CMS `SignedData` (RustCrypto `cms` 0.3, the `der` 0.8
//! generation) whose content (`id-SecurityObject`) is a `SecurityInfos` set
//! with, among others, the card's Chip Authentication public key. It is
//! signed by a document signer (DS) whose X.509 certificate is embedded; the
//! DS certificate is issued by the country signing CA (CSCA).
//!
//! [`CardSecurity::parse`] checks the CMS signature (signed attributes:
//! content type and message digest; ECDSA with SHA-224/256/384/512 on the
//! supported curves) with the embedded DS certificate. [`CardSecurity::verify_signer`]
//! checks the DS certificate's signature against a trust list of CSCA
//! certificates. Validity periods and revocation (CRLs, master/defect lists)
//! are not checked yet.
//!
//! [`EacInfos`] interprets the Chip Authentication, Terminal Authentication
//! and Restricted Identification infos of EF.CardAccess or EF.CardSecurity.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use thiserror::Error;
use x509_cert::Certificate;

use crate::ca::{self, CaParameters};
use crate::card_access::{CardAccessError, SecurityInfo, SecurityInfos};
use crate::cvc::HashAlgorithm;
use crate::ec::{self, EcError};
use crate::pace::Curve;
use crate::tlv::{self, Tlv, TlvError};

/// id-PK-ECDH: Chip Authentication public key info.
pub const ID_PK_ECDH: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.1.2");
/// id-TA: Terminal Authentication info.
pub const ID_TA: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.2");
/// id-RI-ECDH: Restricted Identification (the hash is the next arc).
pub const ID_RI_ECDH: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.5.2");
/// standardizedDomainParameters.
pub const STANDARDIZED_DOMAIN_PARAMETERS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.1.2");
/// id-ecPublicKey.
pub const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// id-SecurityObject: the content type of EF.CardSecurity.
pub const ID_SECURITY_OBJECT: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.3.2.1");
/// id-signedData.
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// The content-type signed attribute.
pub const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// The message-digest signed attribute.
pub const ID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");

/// Errors reading or verifying EF.CardSecurity.
#[derive(Debug, Error)]
pub enum CardSecurityError {
    /// The CMS structure is not valid DER.
    #[error("EF.CardSecurity is not a valid CMS SignedData: {0}")]
    Asn1(#[from] der::Error),
    /// A SecurityInfo is malformed.
    #[error("malformed SecurityInfo: {0}")]
    Tlv(#[from] TlvError),
    /// The SecurityInfos set is malformed.
    #[error("malformed SecurityInfos: {0}")]
    SecurityInfos(#[from] CardAccessError),
    /// A required part is missing.
    #[error("EF.CardSecurity lacks {0}")]
    Missing(&'static str),
    /// An algorithm or curve this crate does not support.
    #[error("unsupported algorithm in EF.CardSecurity: {0}")]
    Unsupported(String),
    /// The message digest attribute does not match the content.
    #[error("the content does not match the signed message digest")]
    DigestMismatch,
    /// The signature of the CMS or of the DS certificate does not verify.
    #[error("signature does not verify: {0}")]
    BadSignature(&'static str),
    /// No trusted CSCA issued the document signer certificate.
    #[error("the document signer is not issued by a trusted CSCA")]
    UntrustedSigner,
    /// An elliptic-curve error.
    #[error("elliptic-curve error: {0}")]
    Ec(#[from] EcError),
}

/// A ChipAuthenticationInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticationInfo {
    /// id-CA-ECDH-AES-CBC-CMAC-*.
    pub protocol: ObjectIdentifier,
    /// The version (2).
    pub version: u32,
    /// The key id, if the card has several.
    pub key_id: Option<u32>,
}

/// A ChipAuthenticationPublicKeyInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticationPublicKey {
    /// The curve.
    pub curve: Curve,
    /// The public point (uncompressed).
    pub point: Vec<u8>,
    /// The key id.
    pub key_id: Option<u32>,
}

/// A RestrictedIdentificationInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestrictedIdentificationInfo {
    /// id-RI-ECDH-SHA-*.
    pub protocol: ObjectIdentifier,
    /// The version.
    pub version: u32,
    /// The key reference of the card's RI private key.
    pub key_id: u32,
    /// Whether the key is only usable by authorized terminals.
    pub authorized_only: bool,
}

/// The EAC-related SecurityInfos of EF.CardAccess or EF.CardSecurity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EacInfos {
    /// Chip Authentication protocols.
    pub chip_authentication: Vec<ChipAuthenticationInfo>,
    /// Chip Authentication domain parameters (curve, key id).
    pub ca_domain_parameters: Vec<(Curve, Option<u32>)>,
    /// Chip Authentication public keys (EF.CardSecurity only).
    pub ca_public_keys: Vec<ChipAuthenticationPublicKey>,
    /// Restricted Identification keys.
    pub restricted_identification: Vec<RestrictedIdentificationInfo>,
    /// The Terminal Authentication version, if announced.
    pub ta_version: Option<u32>,
}

fn is_under(oid: &ObjectIdentifier, prefix: &ObjectIdentifier) -> bool {
    oid.arcs().count() > prefix.arcs().count() && oid.arcs().zip(prefix.arcs()).all(|(a, b)| a == b)
}

fn uint(t: &Tlv<'_>) -> Result<u32, CardSecurityError> {
    if t.tag != tlv::Tag(0x02) || t.value.is_empty() || t.value.len() > 5 {
        return Err(CardSecurityError::Unsupported("integer".into()));
    }
    let v = t
        .value
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    u32::try_from(v).map_err(|_| CardSecurityError::Unsupported("integer".into()))
}

fn oid_of(t: &Tlv<'_>) -> Result<ObjectIdentifier, CardSecurityError> {
    if t.tag != tlv::Tag(0x06) {
        return Err(CardSecurityError::Missing("OBJECT IDENTIFIER"));
    }
    ObjectIdentifier::from_bytes(t.value).map_err(|_| CardSecurityError::Missing("valid OID"))
}

/// The curve of an AlgorithmIdentifier (standardized id, named curve or explicit ECParameters).
pub fn curve_of_algorithm(alg: &[u8]) -> Result<Curve, CardSecurityError> {
    let (t, _) = Tlv::parse(alg)?;
    let parts = t.children()?;
    let oid = oid_of(
        parts
            .first()
            .ok_or(CardSecurityError::Missing("algorithm"))?,
    )?;
    let params = parts
        .get(1)
        .ok_or(CardSecurityError::Missing("parameters"))?;
    if oid == STANDARDIZED_DOMAIN_PARAMETERS {
        let id = uint(params)?;
        return Curve::from_parameter_id(id)
            .map_err(|e| CardSecurityError::Unsupported(e.to_string()));
    }
    if oid != ID_EC_PUBLIC_KEY {
        return Err(CardSecurityError::Unsupported(oid.to_string()));
    }
    if params.tag == tlv::Tag(0x06) {
        let named = oid_of(params)?;
        return ec::curve_from_oid(&named).ok_or(CardSecurityError::Unsupported(named.to_string()));
    }
    // ECParameters ::= SEQUENCE { version, fieldID { prime-field, p }, curve { a, b, seed? },
    //                             base, order, cofactor? }
    let e = params.children()?;
    let field = e
        .get(1)
        .ok_or(CardSecurityError::Missing("fieldID"))?
        .children()?;
    let p = field
        .get(1)
        .ok_or(CardSecurityError::Missing("prime"))?
        .value;
    let curve = e
        .get(2)
        .ok_or(CardSecurityError::Missing("curve"))?
        .children()?;
    let a = curve.first().ok_or(CardSecurityError::Missing("a"))?.value;
    let b = curve.get(1).ok_or(CardSecurityError::Missing("b"))?.value;
    let g = e.get(3).ok_or(CardSecurityError::Missing("base"))?.value;
    ec::curve_from_parameters(p, a, b, g).ok_or(CardSecurityError::Unsupported(
        "explicit domain parameters".into(),
    ))
}

impl EacInfos {
    /// Interprets the CA, TA and RI infos (others are ignored).
    pub fn from_security_infos(infos: &SecurityInfos) -> Result<Self, CardSecurityError> {
        let mut out = Self::default();
        for info in &infos.infos {
            let SecurityInfo::Unknown { protocol, raw } = info else {
                continue;
            };
            let (t, _) = Tlv::parse(raw)?;
            let parts = t.children()?;
            let field = |i: usize| parts.get(i);
            if *protocol == ca::ID_CA_ECDH {
                let curve = curve_of_algorithm(
                    field(1)
                        .ok_or(CardSecurityError::Missing("CA domain parameters"))?
                        .raw,
                )?;
                let key_id = field(2).map(uint).transpose()?;
                out.ca_domain_parameters.push((curve, key_id));
            } else if is_under(protocol, &ca::ID_CA_ECDH) {
                out.chip_authentication.push(ChipAuthenticationInfo {
                    protocol: *protocol,
                    version: uint(field(1).ok_or(CardSecurityError::Missing("CA version"))?)?,
                    key_id: field(2).map(uint).transpose()?,
                });
            } else if *protocol == ID_PK_ECDH {
                let spki = field(1).ok_or(CardSecurityError::Missing("CA public key"))?;
                let s = spki.children()?;
                let alg = s
                    .first()
                    .ok_or(CardSecurityError::Missing("CA key algorithm"))?;
                let curve = curve_of_algorithm(alg.raw)?;
                let bits = s
                    .get(1)
                    .ok_or(CardSecurityError::Missing("CA public point"))?;
                let point = match bits.value.split_first() {
                    Some((0, p)) if bits.tag == tlv::Tag(0x03) => p,
                    _ => return Err(CardSecurityError::Missing("CA public point")),
                };
                out.ca_public_keys.push(ChipAuthenticationPublicKey {
                    curve,
                    point: ec::uncompressed(curve, point)?,
                    key_id: field(2).map(uint).transpose()?,
                });
            } else if is_under(protocol, &ID_RI_ECDH) {
                let p = field(1)
                    .ok_or(CardSecurityError::Missing("RI parameters"))?
                    .children()?;
                out.restricted_identification
                    .push(RestrictedIdentificationInfo {
                        protocol: *protocol,
                        version: uint(p.first().ok_or(CardSecurityError::Missing("RI version"))?)?,
                        key_id: uint(p.get(1).ok_or(CardSecurityError::Missing("RI key id"))?)?,
                        authorized_only: p
                            .get(2)
                            .is_some_and(|b| b.tag == tlv::Tag(0x01) && b.value != [0]),
                    });
            } else if *protocol == ID_TA {
                out.ta_version = field(1).map(uint).transpose()?;
            }
        }
        Ok(out)
    }

    /// The Chip Authentication parameters: the first supported CA protocol with a
    /// public key of the same key id.
    pub fn ca_parameters(&self) -> Result<CaParameters, CardSecurityError> {
        for info in &self.chip_authentication {
            let Some(key_size) = ca::ca_key_size(&info.protocol) else {
                continue;
            };
            let key = self
                .ca_public_keys
                .iter()
                .find(|k| info.key_id.is_none() || k.key_id == info.key_id);
            if let Some(k) = key {
                return Ok(CaParameters {
                    protocol: info.protocol,
                    key_size,
                    curve: k.curve,
                    card_public_key: k.point.clone(),
                    key_id: info.key_id.filter(|_| self.ca_public_keys.len() > 1),
                });
            }
        }
        Err(CardSecurityError::Missing(
            "a supported Chip Authentication key",
        ))
    }

    /// The curve for the terminal's ephemeral CA key (from the domain parameters of
    /// EF.CardAccess, else from a public key).
    pub fn ca_curve(&self) -> Option<Curve> {
        self.ca_domain_parameters
            .first()
            .map(|(c, _)| *c)
            .or_else(|| self.ca_public_keys.first().map(|k| k.curve))
    }
}

/// A parsed EF.CardSecurity whose CMS signature verified with its embedded DS certificate.
#[derive(Debug, Clone)]
pub struct CardSecurity {
    /// The signed SecurityInfos.
    pub infos: SecurityInfos,
    /// Their EAC interpretation.
    pub eac: EacInfos,
    /// The document signer certificate.
    pub signer: Certificate,
}

fn hash_of_digest_oid(oid: &ObjectIdentifier) -> Result<HashAlgorithm, CardSecurityError> {
    match oid.to_string().as_str() {
        "2.16.840.1.101.3.4.2.4" => Ok(HashAlgorithm::Sha224),
        "2.16.840.1.101.3.4.2.1" => Ok(HashAlgorithm::Sha256),
        "2.16.840.1.101.3.4.2.2" => Ok(HashAlgorithm::Sha384),
        "2.16.840.1.101.3.4.2.3" => Ok(HashAlgorithm::Sha512),
        other => Err(CardSecurityError::Unsupported(other.to_string())),
    }
}

fn hash_of_signature_oid(oid: &ObjectIdentifier) -> Result<HashAlgorithm, CardSecurityError> {
    match oid.to_string().as_str() {
        "1.2.840.10045.4.3.1" => Ok(HashAlgorithm::Sha224),
        "1.2.840.10045.4.3.2" => Ok(HashAlgorithm::Sha256),
        "1.2.840.10045.4.3.3" => Ok(HashAlgorithm::Sha384),
        "1.2.840.10045.4.3.4" => Ok(HashAlgorithm::Sha512),
        other => Err(CardSecurityError::Unsupported(other.to_string())),
    }
}

/// An X.509 ECDSA signature (DER `SEQUENCE { r, s }`) as plain `r || s`.
fn plain_signature(der_sig: &[u8], size: usize) -> Result<Vec<u8>, CardSecurityError> {
    let bad = || CardSecurityError::BadSignature("malformed ECDSA signature");
    let (t, rest) = Tlv::parse(der_sig).map_err(|_| bad())?;
    let parts = t.children().map_err(|_| bad())?;
    let ([r, s], true) = (parts.as_slice(), rest.is_empty() && t.tag == tlv::Tag(0x30)) else {
        return Err(bad());
    };
    let mut out = Vec::with_capacity(2 * size);
    for i in [r, s] {
        let v = i
            .value
            .iter()
            .skip_while(|b| **b == 0)
            .copied()
            .collect::<Vec<u8>>();
        if i.tag != tlv::Tag(0x02) || v.len() > size {
            return Err(bad());
        }
        out.extend(std::iter::repeat_n(0, size - v.len()));
        out.extend(v);
    }
    Ok(out)
}

/// Verifies an X.509-style signature (`algorithm`, DER ECDSA `signature`) over `message`
/// with the key of `spki`.
fn verify_with_spki(
    spki: &cms::spki::SubjectPublicKeyInfoOwned,
    algorithm: &ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
    what: &'static str,
) -> Result<(), CardSecurityError> {
    let hash = hash_of_signature_oid(algorithm)?;
    let curve = curve_of_algorithm(&spki.algorithm.to_der()?)?;
    let point = spki.subject_public_key.raw_bytes();
    let plain = plain_signature(signature, ec::field_size(curve))?;
    ec::verify_prehash(curve, point, &hash.digest(message), &plain).map_err(|e| match e {
        EcError::InvalidPoint(_) => CardSecurityError::Ec(e),
        _ => CardSecurityError::BadSignature(what),
    })
}

impl CardSecurity {
    /// Parses EF.CardSecurity and verifies its CMS signature with the embedded DS certificate.
    pub fn parse(bytes: &[u8]) -> Result<Self, CardSecurityError> {
        let ci = ContentInfo::from_der(bytes)?;
        if ci.content_type != ID_SIGNED_DATA {
            return Err(CardSecurityError::Missing("SignedData"));
        }
        let sd: SignedData = ci.content.decode_as()?;
        if sd.encap_content_info.econtent_type != ID_SECURITY_OBJECT {
            return Err(CardSecurityError::Missing("id-SecurityObject content"));
        }
        let content = sd
            .encap_content_info
            .econtent
            .as_ref()
            .ok_or(CardSecurityError::Missing("content"))?
            .decode_as::<OctetString>()?;
        let content = content.as_bytes();
        let signer_info = sd
            .signer_infos
            .0
            .iter()
            .next()
            .ok_or(CardSecurityError::Missing("SignerInfo"))?;
        let certs: Vec<&Certificate> = sd
            .certificates
            .as_ref()
            .map(|set| {
                set.0
                    .iter()
                    .filter_map(|c| match c {
                        cms::cert::CertificateChoices::Certificate(c) => Some(c),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let signer = match &signer_info.sid {
            SignerIdentifier::IssuerAndSerialNumber(iasn) => certs.iter().find(|c| {
                c.tbs_certificate().issuer() == &iasn.issuer
                    && c.tbs_certificate().serial_number() == &iasn.serial_number
            }),
            SignerIdentifier::SubjectKeyIdentifier(_) => certs.first(),
        }
        .ok_or(CardSecurityError::Missing("the signer's certificate"))?;

        let hash = hash_of_digest_oid(&signer_info.digest_alg.oid)?;
        let attrs = signer_info
            .signed_attrs
            .as_ref()
            .ok_or(CardSecurityError::Missing("signed attributes"))?;
        let attr = |oid: ObjectIdentifier| {
            attrs
                .iter()
                .find(|a| a.oid == oid)
                .and_then(|a| a.values.iter().next())
        };
        let digest = attr(ID_MESSAGE_DIGEST)
            .ok_or(CardSecurityError::Missing("message digest attribute"))?
            .decode_as::<OctetString>()?;
        if digest.as_bytes() != hash.digest(content).as_slice() {
            return Err(CardSecurityError::DigestMismatch);
        }
        let content_type = attr(ID_CONTENT_TYPE)
            .ok_or(CardSecurityError::Missing("content type attribute"))?
            .decode_as::<ObjectIdentifier>()?;
        if content_type != ID_SECURITY_OBJECT {
            return Err(CardSecurityError::Missing("id-SecurityObject content type"));
        }
        verify_with_spki(
            signer.tbs_certificate().subject_public_key_info(),
            &signer_info.signature_algorithm.oid,
            &attrs.to_der()?,
            signer_info.signature.as_bytes(),
            "EF.CardSecurity",
        )?;
        let infos = SecurityInfos::parse(content)?;
        let eac = EacInfos::from_security_infos(&infos)?;
        Ok(Self {
            infos,
            eac,
            signer: (*signer).clone(),
        })
    }

    /// Verifies the DS certificate's signature with a CSCA of `trust_list` that issued it
    /// (matched by name). Validity periods and revocation are not checked.
    pub fn verify_signer(&self, trust_list: &[Certificate]) -> Result<(), CardSecurityError> {
        let tbs = self.signer.tbs_certificate();
        let sig = self
            .signer
            .signature()
            .as_bytes()
            .ok_or(CardSecurityError::BadSignature("DS certificate"))?;
        let tbs_der = tbs.to_der()?;
        // Every CSCA of the issuer's name is a candidate: during a key
        // rollover the trust list holds an old and a new CSCA with the same
        // name, and a card may be under either.
        let mut last_error = CardSecurityError::UntrustedSigner;
        for csca in trust_list
            .iter()
            .filter(|c| c.tbs_certificate().subject() == tbs.issuer())
        {
            match verify_with_spki(
                csca.tbs_certificate().subject_public_key_info(),
                &self.signer.signature_algorithm().oid,
                &tbs_der,
                sig,
                "DS certificate",
            ) {
                Ok(()) => return Ok(()),
                Err(CardSecurityError::BadSignature(_)) => {
                    last_error = CardSecurityError::UntrustedSigner;
                }
                Err(other) => last_error = other,
            }
        }
        Err(last_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pki::CardSecurityFixture;

    #[test]
    fn parse_verify_and_select_ca_key() {
        let f = CardSecurityFixture::generate(Curve::BrainpoolP256r1);
        let cs = CardSecurity::parse(&f.ef_card_security).unwrap();
        let p = cs.eac.ca_parameters().unwrap();
        assert_eq!(p.curve, Curve::BrainpoolP256r1);
        assert_eq!(p.card_public_key, f.ca_key.public);
        assert_eq!(p.protocol, ca::ID_CA_ECDH_AES_CBC_CMAC_128);
        assert_eq!(cs.eac.restricted_identification.len(), 1);
        assert_eq!(cs.eac.restricted_identification[0].key_id, 0x84);
        assert_eq!(cs.eac.ta_version, Some(2));
        cs.verify_signer(&[f.csca_certificate()]).unwrap();
        // Another CSCA with the same name does not vouch for this DS...
        let other = CardSecurityFixture::generate(Curve::BrainpoolP256r1);
        // ...but beside the right one (a key rollover) it does not hide it.
        cs.verify_signer(&[other.csca_certificate(), f.csca_certificate()])
            .unwrap();
        assert!(matches!(
            cs.verify_signer(&[other.csca_certificate()]),
            Err(CardSecurityError::UntrustedSigner)
        ));
        assert!(matches!(
            cs.verify_signer(&[]),
            Err(CardSecurityError::UntrustedSigner)
        ));
        // EF.CardAccess-style infos: the domain parameters give the ephemeral curve.
        let access =
            EacInfos::from_security_infos(&SecurityInfos::parse(&f.card_access).unwrap()).unwrap();
        assert_eq!(access.ca_curve(), Some(Curve::BrainpoolP256r1));
    }

    #[test]
    fn tampering_is_detected() {
        let f = CardSecurityFixture::generate(Curve::BrainpoolP256r1);
        // Flip a byte in the CA public key inside the signed content.
        let pos = f
            .ef_card_security
            .windows(f.ca_key.public.len())
            .position(|w| w == f.ca_key.public.as_slice())
            .unwrap();
        let mut bad = f.ef_card_security.clone();
        bad[pos + 10] ^= 1;
        assert!(matches!(
            CardSecurity::parse(&bad),
            Err(CardSecurityError::DigestMismatch)
        ));
        // Every truncation and bit flip: an error, never a panic.
        for n in (0..f.ef_card_security.len()).step_by(7) {
            assert!(CardSecurity::parse(&f.ef_card_security[..n]).is_err());
            let mut b = f.ef_card_security.clone();
            b[n] ^= 0x41;
            let _ = CardSecurity::parse(&b);
        }
    }
}
