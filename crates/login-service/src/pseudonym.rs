//! From the Restricted Identification pseudonym to a Matrix localpart.
//!
//! `c-` followed by the lowercase, unpadded base32 of the first 20 bytes of
//! SHA-256 over a version label and the pseudonym: 34 characters, stable for
//! a card in this sector, valid in any Matrix localpart, and the homeserver
//! never learns the pseudonym itself. Changing this derivation would give
//! every citizen a new account; the label carries a version for that reason.

use sha2::{Digest, Sha256};

use crate::authenticator::SectorPseudonym;

/// Domain separation for the hash; part of the account identity.
const LABEL: &[u8] = b"amtsbote/localpart/v1\0";

/// The prefix of every citizen localpart.
pub const LOCALPART_PREFIX: &str = "c-";

/// Derives the Matrix localpart (and OpenID Connect `sub`) for a pseudonym.
pub fn localpart(pseudonym: &SectorPseudonym) -> String {
    let mut hash = Sha256::new();
    hash.update(LABEL);
    hash.update(pseudonym.as_bytes());
    let digest = hash.finalize();
    let encoded = data_encoding::BASE32_NOPAD.encode(&digest[..20]);
    format!("{LOCALPART_PREFIX}{}", encoded.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_stable_and_well_formed() {
        let pseudonym = SectorPseudonym::new(b"pseudonym of card one".to_vec());
        let first = localpart(&pseudonym);
        assert_eq!(first, localpart(&pseudonym.clone()));
        assert_eq!(first.len(), 2 + 32);
        assert!(first.starts_with("c-"));
        assert!(
            first[2..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        );
        // A fixed vector (computed independently with Python's hashlib and
        // base64.b32encode): the derivation is part of every account's identity.
        assert_eq!(
            localpart(&SectorPseudonym::new(vec![0; 32])),
            "c-vracxbzzq72h6krhelqq6oz4sayjmsda"
        );
    }

    #[test]
    fn differs_between_cards() {
        let one = localpart(&SectorPseudonym::new(vec![1; 32]));
        let two = localpart(&SectorPseudonym::new(vec![2; 32]));
        assert_ne!(one, two);
    }

    #[test]
    fn debug_hides_the_pseudonym() {
        let pseudonym = SectorPseudonym::new(vec![0x41; 8]);
        let debug = format!("{pseudonym:?}");
        assert!(debug.starts_with("SectorPseudonym("), "{debug}");
        assert!(!debug.contains("41") && !debug.contains("65"), "{debug}");
    }
}
