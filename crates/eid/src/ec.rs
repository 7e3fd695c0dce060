//! Elliptic-curve operations on the supported curves, chosen at run time.
//!
//! Terminal Authentication, Chip Authentication, Restricted Identification,
//! CV certificates and EF.CardSecurity all work on a curve that is only known
//! from card or certificate data. This module offers the few operations they
//! need — key generation, ECDH (x-coordinate), point validation and
//! compression, ECDSA with plain `r || s` signatures over a prehash — on every
//! [`Curve`] through one `match`, so callers see no generics.
//!
//! Private keys cross this module as big-endian scalar bytes wrapped in
//! [`Zeroizing`]; they are never logged.

use elliptic_curve::ff::PrimeField;
use elliptic_curve::point::AffineCoordinates;
use elliptic_curve::sec1::{FromSec1Point, ToSec1Point};
use elliptic_curve::{FieldBytes, Generate, Group, NonZeroScalar};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::pace::Curve;

/// Errors of elliptic-curve operations.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EcError {
    /// A public key is not a valid point of the curve (or is the identity).
    #[error("invalid public key for {0:?}")]
    InvalidPoint(Curve),
    /// A private key is not a valid non-zero scalar.
    #[error("invalid private key")]
    InvalidScalar,
    /// A signature does not have the length `2 × field size` or is malformed.
    #[error("malformed signature")]
    MalformedSignature,
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// The random number generator failed.
    #[error("no randomness available")]
    Random,
}

/// Runs `$body` with `$C` bound to the curve type of `$curve`.
macro_rules! with_curve {
    ($curve:expr, $C:ident => $body:expr) => {
        match $curve {
            Curve::NistP256 => {
                type $C = p256::NistP256;
                $body
            }
            Curve::BrainpoolP256r1 => {
                type $C = bp256::BrainpoolP256r1;
                $body
            }
            Curve::NistP384 => {
                type $C = p384::NistP384;
                $body
            }
            Curve::BrainpoolP384r1 => {
                type $C = bp384::BrainpoolP384r1;
                $body
            }
        }
    };
}

/// The size of a field element (and of a scalar) in bytes.
pub fn field_size(curve: Curve) -> usize {
    match curve {
        Curve::NistP256 | Curve::BrainpoolP256r1 => 32,
        Curve::NistP384 | Curve::BrainpoolP384r1 => 48,
    }
}

fn scalar<C>(secret: &[u8]) -> Result<NonZeroScalar<C>, EcError>
where
    C: elliptic_curve::CurveArithmetic,
{
    let mut repr = FieldBytes::<C>::default();
    if repr.len() != secret.len() {
        return Err(EcError::InvalidScalar);
    }
    repr.copy_from_slice(secret);
    let s: Option<NonZeroScalar<C>> = NonZeroScalar::<C>::from_repr(repr).into();
    s.ok_or(EcError::InvalidScalar)
}

/// Generates a fresh private key (big-endian scalar bytes).
pub fn generate_secret(curve: Curve) -> Result<Zeroizing<Vec<u8>>, EcError> {
    with_curve!(curve, C => {
        let s = NonZeroScalar::<C>::try_generate().map_err(|_| EcError::Random)?;
        let bytes: FieldBytes<C> = s.into();
        Ok(Zeroizing::new(bytes.to_vec()))
    })
}

/// The uncompressed public point (`04 || x || y`) of a private key.
pub fn public_key(curve: Curve, secret: &[u8]) -> Result<Vec<u8>, EcError> {
    with_curve!(curve, C => {
        let s = scalar::<C>(secret)?;
        let p = (<C as elliptic_curve::CurveArithmetic>::ProjectivePoint::generator() * *s)
            .to_affine();
        Ok(p.to_sec1_point(false).as_bytes().to_vec())
    })
}

/// Checks that `point` is a valid, non-identity point of `curve` (any SEC1 form).
pub fn validate_point(curve: Curve, point: &[u8]) -> Result<(), EcError> {
    with_curve!(curve, C => {
        decode::<C>(curve, point).map(|_| ())
    })
}

fn decode<C>(curve: Curve, point: &[u8]) -> Result<elliptic_curve::AffinePoint<C>, EcError>
where
    C: elliptic_curve::CurveArithmetic,
    elliptic_curve::AffinePoint<C>: FromSec1Point<C>,
    elliptic_curve::FieldBytesSize<C>: elliptic_curve::sec1::ModulusSize,
{
    let p = elliptic_curve::AffinePoint::<C>::from_sec1_bytes(point)
        .map_err(|_| EcError::InvalidPoint(curve))?;
    let proj = elliptic_curve::ProjectivePoint::<C>::from(p);
    if bool::from(proj.is_identity()) {
        return Err(EcError::InvalidPoint(curve));
    }
    Ok(p)
}

/// The uncompressed form of a valid point.
pub fn uncompressed(curve: Curve, point: &[u8]) -> Result<Vec<u8>, EcError> {
    with_curve!(curve, C => {
        let p = decode::<C>(curve, point)?;
        Ok(p.to_sec1_point(false).as_bytes().to_vec())
    })
}

/// `Comp(PK)` for ECDH keys (TR-03110-3 A.2.2.3): the x-coordinate.
pub fn compress(curve: Curve, point: &[u8]) -> Result<Vec<u8>, EcError> {
    with_curve!(curve, C => {
        let p = decode::<C>(curve, point)?;
        Ok(p.x().to_vec())
    })
}

/// ECDH: the x-coordinate of `secret · peer`.
pub fn ecdh(curve: Curve, secret: &[u8], peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, EcError> {
    with_curve!(curve, C => {
        let s = scalar::<C>(secret)?;
        let p = elliptic_curve::ProjectivePoint::<C>::from(decode::<C>(curve, peer)?);
        let shared = (p * *s).to_affine();
        if bool::from(elliptic_curve::ProjectivePoint::<C>::from(shared).is_identity()) {
            return Err(EcError::InvalidPoint(curve));
        }
        Ok(Zeroizing::new(shared.x().to_vec()))
    })
}

/// ECDSA over a message digest: the plain signature `r || s` (TR-03111 5.2.1).
/// The nonce is derived deterministically (RFC 6979).
pub fn sign_prehash(curve: Curve, secret: &[u8], digest: &[u8]) -> Result<Vec<u8>, EcError> {
    use ecdsa::signature::hazmat::PrehashSigner;
    with_curve!(curve, C => {
        let key = ecdsa::SigningKey::<C>::from_slice(secret).map_err(|_| EcError::InvalidScalar)?;
        let sig: ecdsa::Signature<C> = key
            .sign_prehash(digest)
            .map_err(|_| EcError::MalformedSignature)?;
        Ok(sig.to_bytes().to_vec())
    })
}

/// Verifies a plain ECDSA signature `r || s` over a message digest.
pub fn verify_prehash(
    curve: Curve,
    public: &[u8],
    digest: &[u8],
    signature: &[u8],
) -> Result<(), EcError> {
    use ecdsa::signature::hazmat::PrehashVerifier;
    with_curve!(curve, C => {
        let point = decode::<C>(curve, public)?;
        let key = ecdsa::VerifyingKey::<C>::from_affine(point)
            .map_err(|_| EcError::InvalidPoint(curve))?;
        let sig = ecdsa::Signature::<C>::from_slice(signature)
            .map_err(|_| EcError::MalformedSignature)?;
        key.verify_prehash(digest, &sig).map_err(|_| EcError::BadSignature)
    })
}

/// Explicit domain parameters of a curve as CV certificates and ECParameters carry them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainParameters {
    /// The prime modulus p.
    pub prime: Vec<u8>,
    /// Coefficient a.
    pub a: Vec<u8>,
    /// Coefficient b.
    pub b: Vec<u8>,
    /// The generator, uncompressed.
    pub generator: Vec<u8>,
    /// The order r of the generator.
    pub order: Vec<u8>,
    /// The cofactor f.
    pub cofactor: u8,
}

fn modulus_bytes(hex: &str, len: usize) -> Vec<u8> {
    let digits = hex.trim_start_matches("0x");
    let mut out: Vec<u8> = (0..digits.len() / 2)
        .filter_map(|i| {
            digits
                .get(2 * i..2 * i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
        })
        .collect();
    // Strip or pad to the field size.
    while out.len() > len && out.first() == Some(&0) {
        out.remove(0);
    }
    while out.len() < len {
        out.insert(0, 0);
    }
    out
}

/// The explicit domain parameters of `curve`, taken from the curve implementation.
pub fn domain_parameters(curve: Curve) -> DomainParameters {
    use primeorder::PrimeCurveParams;
    let n = field_size(curve);
    with_curve!(curve, C => {
        let g = elliptic_curve::ProjectivePoint::<C>::generator().to_affine();
        DomainParameters {
            prime: modulus_bytes(<<C as elliptic_curve::hazmat::FieldArithmetic>::FieldElement as PrimeField>::MODULUS, n),
            a: <C as PrimeCurveParams>::EQUATION_A.to_repr().to_vec(),
            b: <C as PrimeCurveParams>::EQUATION_B.to_repr().to_vec(),
            generator: g.to_sec1_point(false).as_bytes().to_vec(),
            order: modulus_bytes(<elliptic_curve::Scalar<C> as PrimeField>::MODULUS, n),
            cofactor: 1,
        }
    })
}

/// All curves this crate supports.
pub const CURVES: [Curve; 4] = [
    Curve::NistP256,
    Curve::BrainpoolP256r1,
    Curve::NistP384,
    Curve::BrainpoolP384r1,
];

fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    b.get(start..).unwrap_or_default()
}

/// The supported curve with prime `p`, coefficients `a`, `b` and generator `g`
/// (leading zero bytes of the integers are ignored).
pub fn curve_from_parameters(p: &[u8], a: &[u8], b: &[u8], g: &[u8]) -> Option<Curve> {
    CURVES.into_iter().find(|c| {
        let d = domain_parameters(*c);
        strip_zeros(&d.prime) == strip_zeros(p)
            && strip_zeros(&d.a) == strip_zeros(a)
            && strip_zeros(&d.b) == strip_zeros(b)
            && uncompressed(*c, g).is_ok_and(|g| g == d.generator)
    })
}

/// The supported curve with the named-curve OID (RFC 5639 / SEC 2).
pub fn curve_from_oid(oid: &der::asn1::ObjectIdentifier) -> Option<Curve> {
    match oid.to_string().as_str() {
        "1.2.840.10045.3.1.7" => Some(Curve::NistP256),
        "1.3.132.0.34" => Some(Curve::NistP384),
        "1.3.36.3.3.2.8.1.1.7" => Some(Curve::BrainpoolP256r1),
        "1.3.36.3.3.2.8.1.1.11" => Some(Curve::BrainpoolP384r1),
        _ => None,
    }
}

/// The named-curve OID of a supported curve.
pub fn curve_oid(curve: Curve) -> der::asn1::ObjectIdentifier {
    use der::asn1::ObjectIdentifier as O;
    match curve {
        Curve::NistP256 => O::new_unwrap("1.2.840.10045.3.1.7"),
        Curve::NistP384 => O::new_unwrap("1.3.132.0.34"),
        Curve::BrainpoolP256r1 => O::new_unwrap("1.3.36.3.3.2.8.1.1.7"),
        Curve::BrainpoolP384r1 => O::new_unwrap("1.3.36.3.3.2.8.1.1.11"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::tests::hex;

    #[test]
    fn brainpool_p256_parameters_are_the_rfc_5639_ones() {
        let d = domain_parameters(Curve::BrainpoolP256r1);
        assert_eq!(
            d.prime,
            hex("A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377")
        );
        assert_eq!(
            d.a,
            hex("7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9")
        );
        assert_eq!(
            d.order,
            hex("A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7")
        );
        assert_eq!(
            curve_from_parameters(&d.prime, &d.a, &d.b, &d.generator),
            Some(Curve::BrainpoolP256r1)
        );
        let p = domain_parameters(Curve::NistP256);
        assert_eq!(
            curve_from_parameters(&p.prime, &d.a, &d.b, &d.generator),
            None
        );
    }

    #[test]
    fn sign_verify_ecdh_on_all_curves() {
        for c in CURVES {
            let sk = generate_secret(c).unwrap();
            let pk = public_key(c, &sk).unwrap();
            let digest = [7u8; 32];
            let sig = sign_prehash(c, &sk, &digest).unwrap();
            assert_eq!(sig.len(), 2 * field_size(c));
            verify_prehash(c, &pk, &digest, &sig).unwrap();
            assert_eq!(
                verify_prehash(c, &pk, &[8u8; 32], &sig),
                Err(EcError::BadSignature)
            );
            assert_eq!(
                verify_prehash(c, &pk, &digest, &sig[1..]),
                Err(EcError::MalformedSignature)
            );
            let sk2 = generate_secret(c).unwrap();
            let pk2 = public_key(c, &sk2).unwrap();
            assert_eq!(*ecdh(c, &sk, &pk2).unwrap(), *ecdh(c, &sk2, &pk).unwrap());
            assert_eq!(compress(c, &pk).unwrap(), pk[1..=field_size(c)].to_vec());
            assert!(validate_point(c, &[0x04; 65]).is_err());
            assert!(ecdh(c, &sk, &[0x00]).is_err());
        }
    }
}
