//! EF.CardAccess: the card's `SecurityInfos` (BSI TR-03110-3 A.1.1).
//!
//! ```text
//! SecurityInfos ::= SET OF SecurityInfo
//! SecurityInfo  ::= SEQUENCE { protocol OBJECT IDENTIFIER,
//!                              requiredData ANY, optionalData ANY OPTIONAL }
//! PACEInfo      ::= SEQUENCE { protocol, version INTEGER, parameterId INTEGER OPTIONAL }
//! ```
//!
//! PACEInfo is parsed; PACEDomainParameterInfo (explicit domain parameters)
//! is recognised and kept with its raw encoding; everything else (Chip
//! Authentication, Terminal Authentication, ...) is kept as
//! [`SecurityInfo::Unknown`]. Decoding uses RustCrypto's `der`; a truncated
//! or malformed file gives [`CardAccessError`], never a panic.

use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode, Reader, SliceReader, Tag, Tagged};
use thiserror::Error;

/// id-PACE: 0.4.0.127.0.7.2.2.4.
pub const ID_PACE: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4");

/// Errors reading EF.CardAccess.
#[derive(Debug, Error)]
pub enum CardAccessError {
    /// The file is not valid DER for `SecurityInfos`.
    #[error("EF.CardAccess is not valid ASN.1: {0}")]
    Asn1(#[from] der::Error),
    /// The outer structure is not a SET.
    #[error("EF.CardAccess does not start with a SET")]
    NotASet,
    /// A PACEInfo with a field out of range.
    #[error("PACEInfo is malformed: {0}")]
    BadPaceInfo(&'static str),
    /// No PACEInfo at all: the card does not offer PACE.
    #[error("EF.CardAccess names no PACE protocol")]
    NoPace,
}

/// A PACEInfo: protocol, version and (optional) standardized domain parameter id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceInfo {
    /// The protocol OID, e.g. id-PACE-ECDH-GM-AES-CBC-CMAC-128.
    pub protocol: ObjectIdentifier,
    /// The PACE version (2 for current cards).
    pub version: u32,
    /// The standardized domain parameter id (13 = brainpoolP256r1), if given.
    pub parameter_id: Option<u32>,
}

/// One entry of `SecurityInfos`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityInfo {
    /// A PACE protocol the card offers.
    Pace(PaceInfo),
    /// Explicit PACE domain parameters (tolerated, not used).
    PaceDomainParameters {
        /// The protocol OID (id-PACE-DH-* or id-PACE-ECDH-*).
        protocol: ObjectIdentifier,
        /// The parameter id it is referred to by, if any.
        parameter_id: Option<u32>,
    },
    /// Any other SecurityInfo (CA, TA, RI, ...), kept with its protocol OID.
    Unknown {
        /// The protocol OID.
        protocol: ObjectIdentifier,
        /// The DER encoding of the whole SecurityInfo.
        raw: Vec<u8>,
    },
}

/// The parsed contents of EF.CardAccess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityInfos {
    /// The entries, in file order.
    pub infos: Vec<SecurityInfo>,
}

impl SecurityInfos {
    /// Parses the DER contents of EF.CardAccess.
    pub fn parse(bytes: &[u8]) -> Result<Self, CardAccessError> {
        let set = AnyRef::from_der(bytes)?;
        if set.tag() != Tag::Set {
            return Err(CardAccessError::NotASet);
        }
        let mut reader = SliceReader::new(set.value())?;
        let mut infos = Vec::new();
        while !reader.is_finished() {
            let item: AnyRef<'_> = reader.decode()?;
            infos.push(parse_info(item)?);
        }
        Ok(Self { infos })
    }

    /// The PACEInfos, in file order.
    pub fn pace_infos(&self) -> impl Iterator<Item = &PaceInfo> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::Pace(p) => Some(p),
            _ => None,
        })
    }
}

fn is_under(oid: &ObjectIdentifier, prefix: &ObjectIdentifier) -> bool {
    oid.arcs().count() > prefix.arcs().count() && oid.arcs().zip(prefix.arcs()).all(|(a, b)| a == b)
}

fn parse_info(item: AnyRef<'_>) -> Result<SecurityInfo, CardAccessError> {
    if item.tag() != Tag::Sequence {
        return Err(der::Error::from(der::ErrorKind::TagUnexpected {
            expected: Some(Tag::Sequence),
            actual: item.tag(),
        })
        .into());
    }
    let mut r = SliceReader::new(item.value())?;
    let protocol: ObjectIdentifier = r.decode()?;
    // id-PACE-<mapping>-<cipher> has two arcs below id-PACE; id-PACE-<DH|ECDH>
    // (PACEDomainParameterInfo) has one.
    let depth_below_pace = if is_under(&protocol, &ID_PACE) {
        protocol.arcs().count() - ID_PACE.arcs().count()
    } else {
        0
    };
    match depth_below_pace {
        2 => {
            let required: AnyRef<'_> = r
                .decode()
                .map_err(|_| CardAccessError::BadPaceInfo("version"))?;
            let optional: Option<AnyRef<'_>> = r.decode()?;
            r.finish()?;
            let version = required
                .decode_as::<u32>()
                .map_err(|_| CardAccessError::BadPaceInfo("version"))?;
            let parameter_id = optional
                .map(|o| o.decode_as::<u32>())
                .transpose()
                .map_err(|_| CardAccessError::BadPaceInfo("parameterId"))?;
            Ok(SecurityInfo::Pace(PaceInfo {
                protocol,
                version,
                parameter_id,
            }))
        }
        1 => {
            let _domain_parameter: AnyRef<'_> = r.decode()?;
            let optional: Option<AnyRef<'_>> = r.decode()?;
            Ok(SecurityInfo::PaceDomainParameters {
                protocol,
                parameter_id: optional.and_then(|o| o.decode_as::<u32>().ok()),
            })
        }
        _ => Ok(SecurityInfo::Unknown {
            protocol,
            raw: der::Encode::to_der(&item)?,
        }),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A typical nPA EF.CardAccess: PACE ECDH-GM AES-128 on brainpoolP256r1,
    /// Chip Authentication info and a TA info.
    pub(crate) const NPA_CARD_ACCESS: &[u8] = &[
        0x31, 0x3C, // SET
        0x30, 0x0D, 0x06, 0x08, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02, 0x02, 0x01,
        0x02, // TAInfo
        0x30, 0x12, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02, 0x02,
        0x01, 0x02, 0x02, 0x01, 0x29, // ChipAuthenticationInfo
        0x30, 0x12, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02, 0x02,
        0x01, 0x02, 0x02, 0x01, 0x0D, // PACEInfo
        0x30, 0x03, 0x06, 0x01, 0x00, // junk-but-valid unknown
    ];

    #[test]
    fn parses_npa_card_access() {
        let infos = SecurityInfos::parse(NPA_CARD_ACCESS).unwrap();
        assert_eq!(infos.infos.len(), 4);
        let pace: Vec<_> = infos.pace_infos().collect();
        assert_eq!(pace.len(), 1);
        assert_eq!(
            pace[0].protocol,
            ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.2.2")
        );
        assert_eq!(pace[0].version, 2);
        assert_eq!(pace[0].parameter_id, Some(13));
        assert!(matches!(infos.infos[0], SecurityInfo::Unknown { .. }));
        // The ChipAuthenticationInfo is kept unknown, with its DER bytes.
        match &infos.infos[1] {
            SecurityInfo::Unknown { protocol, raw } => {
                assert_eq!(protocol.to_string(), "0.4.0.127.0.7.2.2.3.2.2");
                assert_eq!(raw.len(), 0x14);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn domain_parameter_info_is_tolerated() {
        // PACEDomainParameterInfo: id-PACE-ECDH-GM (one arc below id-PACE),
        // an AlgorithmIdentifier, parameterId 1.
        let bytes = [
            0x31, 0x1C, 0x30, 0x1A, 0x06, 0x09, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04,
            0x02, 0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x02,
            0x01, 0x01,
        ];
        let infos = SecurityInfos::parse(&bytes).unwrap();
        assert_eq!(
            infos.infos,
            vec![SecurityInfo::PaceDomainParameters {
                protocol: ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.2"),
                parameter_id: Some(1),
            }]
        );
        assert_eq!(infos.pace_infos().count(), 0);
    }

    #[test]
    fn every_truncation_is_a_typed_error() {
        for len in 0..NPA_CARD_ACCESS.len() {
            assert!(
                SecurityInfos::parse(&NPA_CARD_ACCESS[..len]).is_err(),
                "prefix {len} parsed"
            );
        }
    }

    #[test]
    fn garbage_is_a_typed_error() {
        assert!(matches!(
            SecurityInfos::parse(&[0x30, 0x00]),
            Err(CardAccessError::NotASet)
        ));
        assert!(matches!(
            SecurityInfos::parse(&[0x31, 0x80, 0x00, 0x00]),
            Err(CardAccessError::Asn1(_))
        ));
        // PACEInfo whose version is an OCTET STRING.
        let bad = [
            0x31, 0x11, 0x30, 0x0F, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04,
            0x02, 0x02, 0x04, 0x01, 0x02,
        ];
        assert!(matches!(
            SecurityInfos::parse(&bad),
            Err(CardAccessError::BadPaceInfo("version"))
        ));
        // Flip every byte: no panic, whatever the result.
        for i in 0..NPA_CARD_ACCESS.len() {
            let mut b = NPA_CARD_ACCESS.to_vec();
            b[i] ^= 0xA5;
            let _ = SecurityInfos::parse(&b);
        }
    }
}
