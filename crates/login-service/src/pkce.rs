//! PKCE (RFC 7636) with the S256 method, the only one accepted.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Whether `s` is a well-formed S256 challenge or verifier of length
/// `min..=max`: RFC 7636's unreserved characters only.
fn well_formed(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `challenge` looks like an S256 challenge: base64url of 32 bytes.
pub fn is_valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && data_encoding::BASE64URL_NOPAD
            .decode(challenge.as_bytes())
            .is_ok_and(|bytes| bytes.len() == 32)
}

/// The S256 challenge for `verifier`.
pub fn challenge_for(verifier: &str) -> String {
    data_encoding::BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` is well formed (43–128 characters) and matches
/// `challenge`; compared in constant time.
pub fn verify(verifier: &str, challenge: &str) -> bool {
    well_formed(verifier, 43, 128)
        && bool::from(
            challenge_for(verifier)
                .as_bytes()
                .ct_eq(challenge.as_bytes()),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(challenge_for(verifier), challenge);
        assert!(is_valid_challenge(challenge));
        assert!(verify(verifier, challenge));
    }

    #[test]
    fn refuses_wrong_short_or_odd_verifiers() {
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(!verify(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK",
            challenge
        ));
        assert!(!verify("short", &challenge_for("short")));
        let odd = format!("{}!", "a".repeat(50));
        assert!(!verify(&odd, &challenge_for(&odd)));
        assert!(!is_valid_challenge("plain-challenge"));
    }
}
