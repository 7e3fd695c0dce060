//! Restricted Identification (BSI TR-03110-2 3.6, -3 B.11.8): the card's
//! sector-specific pseudonym.
//!
//! After TA and CA, the service sends (end-to-end secure messaging) MSE:Set AT
//! (`00 22 41 A4`: `80` id-RI-ECDH-SHA-256, `84` the card's RI key reference)
//! and GENERAL AUTHENTICATE (`7C { A0 { 06 OID, 86 sector public key } }`);
//! the card answers `7C { 81 I }` with I = SHA-256(x(SK_ID · PK_sector)).
//! The same card gives the same I for the same sector, different sectors
//! cannot link their pseudonyms. [`RestrictedIdentification`] is sans-I/O.

use std::fmt;

use der::asn1::ObjectIdentifier;
use thiserror::Error;
use zeroize::Zeroizing;

use crate::apdu::{ApduError, CommandApdu, ResponseApdu, StatusWord};
use crate::ca::minimal_be;
use crate::tlv::{self, Tlv, TlvError};

/// id-RI-ECDH-SHA-256.
pub const ID_RI_ECDH_SHA_256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.5.2.3");

/// A sector-specific identifier. `Debug` hides it; `Display` is lowercase hex.
#[derive(Clone, PartialEq, Eq)]
pub struct SectorPseudonym(Zeroizing<Vec<u8>>);

impl SectorPseudonym {
    /// Wraps the card's bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for SectorPseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for SectorPseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SectorPseudonym({} bytes)", self.0.len())
    }
}

/// Why Restricted Identification failed.
#[derive(Debug, Error)]
pub enum RiError {
    /// The card refused a step (e.g. 6982 without the RI right in the CHAT).
    #[error("the card refused {step}: {sw}")]
    Card {
        /// The step.
        step: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// The response lacks 81 or is malformed.
    #[error("malformed restricted identification response: {0}")]
    Malformed(#[from] TlvError),
    /// The identifier is empty.
    #[error("the card returned an empty sector identifier")]
    Empty,
    /// Building an APDU failed.
    #[error("APDU error: {0}")]
    Apdu(#[from] ApduError),
}

/// The RI commands and response parsing (sans I/O).
#[derive(Debug, Clone)]
pub struct RestrictedIdentification {
    protocol: ObjectIdentifier,
    key_id: u32,
    sector_public_key: Vec<u8>,
}

impl RestrictedIdentification {
    /// RI with the card's key `key_id` (e.g. 0x84) for the sector's public key.
    pub fn new(protocol: ObjectIdentifier, key_id: u32, sector_public_key: &[u8]) -> Self {
        Self {
            protocol,
            key_id,
            sector_public_key: sector_public_key.to_vec(),
        }
    }

    /// MSE:Set AT and GENERAL AUTHENTICATE, to be sent in this order.
    pub fn commands(&self) -> Result<[CommandApdu; 2], RiError> {
        let mut mse = tlv::encode(0x80, self.protocol.as_bytes());
        mse.extend(tlv::encode(0x84, &minimal_be(self.key_id)));
        let mut key = tlv::encode(0x06, self.protocol.as_bytes());
        key.extend(tlv::encode(0x86, &self.sector_public_key));
        Ok([
            CommandApdu::new(0x00, 0x22, 0x41, 0xA4).with_data(mse)?,
            CommandApdu::new(0x00, 0x86, 0x00, 0x00)
                .with_data(tlv::encode(0x7C, &tlv::encode(0xA0, &key)))?
                .with_le(256)?,
        ])
    }

    /// The pseudonym from the two responses.
    pub fn finish(
        &self,
        mse: &ResponseApdu,
        ga: &ResponseApdu,
    ) -> Result<SectorPseudonym, RiError> {
        if !mse.sw().is_success() {
            return Err(RiError::Card {
                step: "MSE:Set AT (RI)",
                sw: mse.sw(),
            });
        }
        if !ga.sw().is_success() {
            return Err(RiError::Card {
                step: "GENERAL AUTHENTICATE (RI)",
                sw: ga.sw(),
            });
        }
        let (outer, rest) = Tlv::parse(ga.data())?;
        if outer.tag != tlv::Tag(0x7C) || !rest.is_empty() {
            return Err(TlvError::Missing(0x7C).into());
        }
        let id = tlv::require(&outer.children()?, 0x81)?.value;
        if id.is_empty() {
            return Err(RiError::Empty);
        }
        Ok(SectorPseudonym::new(id.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_parsing() {
        let ri = RestrictedIdentification::new(ID_RI_ECDH_SHA_256, 0x84, &[4, 1, 2]);
        let [mse, ga] = ri.commands().unwrap();
        assert_eq!(
            mse.to_bytes(),
            crate::crypto::tests::hex("002241A40F800A04007F00070202050203840184")
        );
        assert_eq!(&ga.to_bytes()[..4], &[0x00, 0x86, 0x00, 0x00]);
        let ok = ResponseApdu::new(vec![], StatusWord::SUCCESS);
        let id = ri
            .finish(
                &ok,
                &ResponseApdu::new(
                    vec![0x7C, 0x04, 0x81, 0x02, 0xAB, 0x01],
                    StatusWord::SUCCESS,
                ),
            )
            .unwrap();
        assert_eq!(id.to_string(), "ab01");
        assert_eq!(format!("{id:?}"), "SectorPseudonym(2 bytes)");
        assert!(matches!(
            ri.finish(&ResponseApdu::new(vec![], StatusWord(0x6982)), &ok),
            Err(RiError::Card { .. })
        ));
        assert!(matches!(
            ri.finish(
                &ok,
                &ResponseApdu::new(vec![0x7C, 0x02, 0x81, 0x00], StatusWord::SUCCESS)
            ),
            Err(RiError::Empty)
        ));
        assert!(matches!(
            ri.finish(
                &ok,
                &ResponseApdu::new(vec![0x7C, 0x05, 0x81], StatusWord::SUCCESS)
            ),
            Err(RiError::Malformed(_))
        ));
    }
}
