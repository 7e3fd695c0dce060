//! ECDSA signature checks against an X.509 public key (P-256 with SHA-256,
//! P-384 with SHA-384), on RustCrypto's `p256`/`p384`.
//!
//! These are the curves and hashes of the German public-sector PKIs
//! (BSI TR-03116) and of the test PKI. Anything else is refused as
//! unsupported rather than guessed at.

use der::Encode;
use der::asn1::ObjectIdentifier;
use p256::ecdsa::signature::Verifier;
use p256::pkcs8::DecodePublicKey;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

/// `ecdsa-with-SHA256` (RFC 5758).
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// `ecdsa-with-SHA384` (RFC 5758).
pub const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
/// `id-sha256` (digest algorithm in CMS).
pub const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// `id-sha384` (digest algorithm in CMS).
pub const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The key or algorithm is not P-256/SHA-256 or P-384/SHA-384.
    #[error("unsupported key or signature algorithm")]
    Unsupported,
    /// The signature is not a valid signature of the message.
    #[error("signature does not verify")]
    Invalid,
}

/// Verifies the DER-encoded ECDSA `signature` over `message` with the key in
/// `spki`, under the signature algorithm `algorithm` (an `ecdsa-with-SHA*`
/// OID).
pub fn verify(
    spki: &SubjectPublicKeyInfoOwned,
    algorithm: &ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let spki_der = spki.to_der().map_err(|_| SignatureError::Unsupported)?;
    if *algorithm == ECDSA_WITH_SHA256 {
        let key = p256::ecdsa::VerifyingKey::from_public_key_der(&spki_der)
            .map_err(|_| SignatureError::Unsupported)?;
        let signature =
            p256::ecdsa::Signature::from_der(signature).map_err(|_| SignatureError::Invalid)?;
        key.verify(message, &signature)
            .map_err(|_| SignatureError::Invalid)
    } else if *algorithm == ECDSA_WITH_SHA384 {
        let key = p384::ecdsa::VerifyingKey::from_public_key_der(&spki_der)
            .map_err(|_| SignatureError::Unsupported)?;
        let signature =
            p384::ecdsa::Signature::from_der(signature).map_err(|_| SignatureError::Invalid)?;
        key.verify(message, &signature)
            .map_err(|_| SignatureError::Invalid)
    } else {
        Err(SignatureError::Unsupported)
    }
}
