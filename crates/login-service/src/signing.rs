//! The ID token signing key (ES256, P-256) and its JWK set.
//!
//! Generated at start (tokens are consumed by the homeserver within
//! seconds, so a fresh key per process is enough) or loaded from a PKCS#8
//! PEM file. The private key bytes are zeroized when dropped and never
//! logged; `Debug` shows only the key id.

use std::path::Path;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use data_encoding::{BASE64, BASE64URL_NOPAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The one signing algorithm this provider uses.
pub const ALGORITHM: &str = "ES256";

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// What can go wrong with the signing key.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// The key could not be generated.
    #[error("could not generate a P-256 key")]
    Generate,
    /// The key file is not a P-256 PKCS#8 private key in PEM.
    #[error("not a P-256 PKCS#8 private key in PEM")]
    BadKey,
    /// Reading or writing the key file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Signing failed.
    #[error("could not sign: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

/// An ES256 key for ID tokens.
pub struct SigningKey {
    pkcs8: Zeroizing<Vec<u8>>,
    encoding: EncodingKey,
    x: String,
    y: String,
    kid: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, SigningError> {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| SigningError::Generate)?;
        let der = key.to_pkcs8v1().map_err(|_| SigningError::Generate)?;
        Self::from_pkcs8_der(der.as_ref())
    }

    /// A key from PKCS#8 DER.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, SigningError> {
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|_| SigningError::BadKey)?;
        let point = key.public_key().as_ref();
        if point.len() != 65 || point[0] != 0x04 {
            return Err(SigningError::BadKey);
        }
        let x = BASE64URL_NOPAD.encode(&point[1..33]);
        let y = BASE64URL_NOPAD.encode(&point[33..]);
        // RFC 7638 thumbprint: members in lexicographic order, no spaces.
        let thumbprint_input = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = BASE64URL_NOPAD.encode(&Sha256::digest(thumbprint_input.as_bytes()));
        Ok(Self {
            pkcs8: Zeroizing::new(der.to_vec()),
            encoding: EncodingKey::from_ec_der(der),
            x,
            y,
            kid,
        })
    }

    /// A key from PKCS#8 PEM text (`BEGIN PRIVATE KEY`).
    pub fn from_pem(text: &str) -> Result<Self, SigningError> {
        let body = text
            .trim()
            .strip_prefix(PEM_BEGIN)
            .and_then(|rest| rest.strip_suffix(PEM_END))
            .ok_or(SigningError::BadKey)?;
        let base64: Zeroizing<String> =
            Zeroizing::new(body.chars().filter(|c| !c.is_whitespace()).collect());
        let der = Zeroizing::new(
            BASE64
                .decode(base64.as_bytes())
                .map_err(|_| SigningError::BadKey)?,
        );
        Self::from_pkcs8_der(&der)
    }

    /// The key as PKCS#8 PEM text.
    pub fn to_pem(&self) -> Zeroizing<String> {
        let base64 = Zeroizing::new(BASE64.encode(&self.pkcs8));
        let mut pem = Zeroizing::new(String::with_capacity(base64.len() + 80));
        pem.push_str(PEM_BEGIN);
        pem.push('\n');
        for line in base64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str(PEM_END);
        pem.push('\n');
        pem
    }

    /// Loads a key from a PEM file.
    pub fn load(path: &Path) -> Result<Self, SigningError> {
        let text =
            Zeroizing::new(
                std::fs::read_to_string(path).map_err(|source| SigningError::Io {
                    path: path.to_owned(),
                    source,
                })?,
            );
        Self::from_pem(&text)
    }

    /// Writes the key as PEM to a new file readable only by its owner.
    pub fn save_new(&self, path: &Path) -> Result<(), SigningError> {
        use std::io::Write as _;
        let io = |source| SigningError::Io {
            path: path.to_owned(),
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(io)?;
        file.write_all(self.to_pem().as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)
    }

    /// The key id (RFC 7638 JWK thumbprint).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK set, for `/jwks`.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "EC",
                "crv": "P-256",
                "x": self.x,
                "y": self.y,
                "use": "sig",
                "alg": ALGORITHM,
                "kid": self.kid,
            }]
        })
    }

    /// A verification key for the public half (for tests and tools).
    pub fn decoding_key(&self) -> Result<jsonwebtoken::DecodingKey, SigningError> {
        Ok(jsonwebtoken::DecodingKey::from_ec_components(
            &self.x, &self.y,
        )?)
    }

    /// Signs `claims` as a compact JWS with `alg: ES256` and this key's id.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, SigningError> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }
}

/// OpenID Connect `at_hash`: the left half of SHA-256 over the access
/// token, base64url (ES256 uses SHA-256).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    BASE64URL_NOPAD.encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_tokens_that_verify_with_the_published_key() {
        let key = SigningKey::generate().unwrap();
        let token = key
            .sign(&serde_json::json!({"sub": "c-x", "aud": "synapse"}))
            .unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::ES256);
        assert_eq!(header.kid.as_deref(), Some(key.kid()));

        let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
        validation.set_audience(&["synapse"]);
        validation.required_spec_claims.clear();
        let decoded = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &key.decoding_key().unwrap(),
            &validation,
        )
        .unwrap();
        assert_eq!(decoded.claims["sub"], "c-x");

        let other = SigningKey::generate().unwrap();
        assert!(
            jsonwebtoken::decode::<serde_json::Value>(
                &token,
                &other.decoding_key().unwrap(),
                &validation
            )
            .is_err()
        );
    }

    #[test]
    fn pem_round_trip_keeps_the_key() {
        let key = SigningKey::generate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.pem");
        key.save_new(&path).unwrap();
        let loaded = SigningKey::load(&path).unwrap();
        assert_eq!(loaded.kid(), key.kid());
        assert_eq!(loaded.jwks(), key.jwks());
        assert!(key.save_new(&path).is_err(), "never overwrites a key");
        assert!(matches!(
            SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
            Err(SigningError::BadKey)
        ));
    }

    #[test]
    fn debug_shows_no_key_material() {
        let key = SigningKey::generate().unwrap();
        let debug = format!("{key:?}");
        assert!(debug.contains(key.kid()));
        assert!(!debug.contains("pkcs8"));
    }

    #[test]
    fn at_hash_matches_the_openid_example_construction() {
        // OpenID Connect Core 3.1.3.6 with SHA-256: 16 bytes, base64url.
        assert_eq!(at_hash("token").len(), 22);
        assert_ne!(at_hash("token"), at_hash("token2"));
    }
}
