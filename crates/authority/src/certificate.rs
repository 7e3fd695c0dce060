//! Publishing the authority's certificate: an `io.element.x509` signature on
//! the account's cross-signing master key.
//!
//! The authority holds an X.509 certificate (issued under the government
//! root, naming the authority in the subject's organisation `O` and its
//! Matrix account as a `matrix:u/…` URI in the subject alternative name) and
//! its ECDSA private key. [`MasterKeyCertificate::sign`] signs the master
//! key's canonical JSON with that key and wraps signature and chain in the
//! detached CMS `SignedData` that `g2c_core::trust::master_key_signature`
//! describes and verifies; [`AuthorityClient::publish_certificate`]
//! publishes it in a request room as the state event
//! [`CERTIFICATE_STATE_EVENT`] (Synapse 1.163 refuses to store a changed
//! master key with the same public key, and refuses non-device signatures
//! on it, so the master key's own `signatures` cannot carry it yet).
//! [`MasterKeyCertificate::signed_master_key`] builds the master key as it
//! will look once homeservers accept the signature in place.
//!
//! The private key is read from a PKCS#8 PEM file, used once and dropped
//! (the `p256`/`p384` secret keys zeroize on drop).

use cms::cert::CertificateChoices;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::pem::LineEnding;
use der::{Any, Decode, Encode};
use matrix_sdk::ruma::canonical_json::to_canonical_value;
use p256::pkcs8::DecodePrivateKey;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};
use x509_cert::spki::AlgorithmIdentifierOwned;

use crate::client::AuthorityClient;

/// The signature algorithm name in a Matrix `signatures` object.
pub const X509_SIGNATURE_ALGORITHM: &str = "io.element.x509";
/// The request-room state event that carries the signature while the
/// homeserver does not accept it on the master key itself (see
/// `g2c_core::trust::master_key_signature`).
pub const CERTIFICATE_STATE_EVENT: &str = "de.amtsbote.g2c.v1.authority_certificate";
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");

/// Errors preparing or publishing the certificate signature.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    /// The chain PEM holds no certificate or cannot be parsed.
    #[error("certificate chain: {0}")]
    Chain(String),
    /// The private key is not a PKCS#8 P-256 or P-384 key.
    #[error("private key: not a PKCS#8 P-256 or P-384 key")]
    Key,
    /// The private key does not belong to the chain's first (leaf) certificate.
    #[error("the private key does not match the leaf certificate")]
    KeyMismatch,
    /// A certificate lacks a key identifier the format needs.
    #[error("{0}")]
    MissingKeyIdentifier(&'static str),
    /// Encoding the CMS structure failed.
    #[error("encoding: {0}")]
    Encoding(#[from] der::Error),
    /// The account has no cross-signing master key yet.
    #[error("the account has no cross-signing identity; log in first")]
    NoIdentity,
    /// The master key JSON is unusable.
    #[error("master key JSON: {0}")]
    Json(String),
    /// The homeserver refused or could not be reached.
    #[error("matrix: {0}")]
    Matrix(Box<matrix_sdk::Error>),
}

impl From<matrix_sdk::Error> for CertificateError {
    fn from(error: matrix_sdk::Error) -> Self {
        Self::Matrix(Box::new(error))
    }
}

enum SigningKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

/// The authority's certificate chain (leaf first) and the leaf's private key.
pub struct MasterKeyCertificate {
    chain: Vec<Certificate>,
    key: SigningKey,
    key_id: String,
}

impl std::fmt::Debug for MasterKeyCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKeyCertificate")
            .field("certificates", &self.chain.len())
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl MasterKeyCertificate {
    /// Reads the chain (PEM, leaf first, then intermediates; the root may be
    /// left out) and the leaf's PKCS#8 PEM private key.
    pub fn from_pem(chain_pem: &str, key_pem: &str) -> Result<Self, CertificateError> {
        let chain = Certificate::load_pem_chain(chain_pem.as_bytes())
            .map_err(|e| CertificateError::Chain(e.to_string()))?;
        let leaf = chain
            .first()
            .ok_or_else(|| CertificateError::Chain("no certificate".into()))?;
        let key = if let Ok(key) = p256::SecretKey::from_pkcs8_pem(key_pem) {
            SigningKey::P256(key.into())
        } else if let Ok(key) = p384::SecretKey::from_pkcs8_pem(key_pem) {
            SigningKey::P384(key.into())
        } else {
            return Err(CertificateError::Key);
        };
        let public = match &key {
            SigningKey::P256(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            SigningKey::P384(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
        };
        let leaf_public = leaf
            .tbs_certificate()
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes();
        if public != leaf_public {
            return Err(CertificateError::KeyMismatch);
        }
        subject_key_identifier(leaf).ok_or(CertificateError::MissingKeyIdentifier(
            "the leaf has no subject key identifier",
        ))?;
        let top = chain.last().expect("the chain is not empty");
        let root_key_id = match top
            .tbs_certificate()
            .get_extension::<AuthorityKeyIdentifier>()
        {
            Ok(Some((_, aki))) => aki.key_identifier.map(|k| k.as_bytes().to_vec()),
            _ => None,
        }
        .ok_or(CertificateError::MissingKeyIdentifier(
            "the topmost certificate has no authority key identifier",
        ))?;
        let key_id = format!(
            "{X509_SIGNATURE_ALGORITHM}:{}",
            base64_unpadded(&root_key_id)
        );
        Ok(Self { chain, key, key_id })
    }

    /// The key id of the signature: `io.element.x509:<root's key id>`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Signs the master key (JSON as `/keys/query` returns it) and returns
    /// the signature value: PEM `CMS`.
    pub fn sign(&self, master_key: &serde_json::Value) -> Result<String, CertificateError> {
        let message = signed_bytes(master_key)?;
        let (signature, digest, algorithm) = match &self.key {
            SigningKey::P256(key) => {
                let signature: p256::ecdsa::Signature =
                    p256::ecdsa::signature::Signer::sign(key, &message);
                (
                    signature.to_der().as_bytes().to_vec(),
                    ID_SHA256,
                    ECDSA_WITH_SHA256,
                )
            }
            SigningKey::P384(key) => {
                let signature: p384::ecdsa::Signature =
                    p384::ecdsa::signature::Signer::sign(key, &message);
                (
                    signature.to_der().as_bytes().to_vec(),
                    ID_SHA384,
                    ECDSA_WITH_SHA384,
                )
            }
        };
        let leaf_ski = subject_key_identifier(&self.chain[0]).expect("checked in from_pem");
        let digest_algorithm = AlgorithmIdentifierOwned {
            oid: digest,
            parameters: None,
        };
        let signer = SignerInfo {
            version: CmsVersion::V3,
            sid: SignerIdentifier::SubjectKeyIdentifier(SubjectKeyIdentifier(OctetString::new(
                leaf_ski,
            )?)),
            digest_alg: digest_algorithm.clone(),
            signed_attrs: None,
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: algorithm,
                parameters: None,
            },
            signature: OctetString::new(signature)?,
            unsigned_attrs: None,
        };
        let mut certificates = SetOfVec::new();
        for certificate in &self.chain {
            certificates.insert(CertificateChoices::Certificate(certificate.clone()))?;
        }
        let mut digest_algorithms = SetOfVec::new();
        digest_algorithms.insert(digest_algorithm)?;
        let mut signer_infos = SetOfVec::new();
        signer_infos.insert(signer)?;
        let signed_data = SignedData {
            version: CmsVersion::V3,
            digest_algorithms,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: ID_DATA,
                econtent: None,
            },
            certificates: Some(CertificateSet(certificates)),
            crls: None,
            signer_infos: SignerInfos(signer_infos),
        };
        let content_info = ContentInfo {
            content_type: ID_SIGNED_DATA,
            content: Any::from_der(&signed_data.to_der()?)?,
        };
        der::pem::encode_string("CMS", LineEnding::LF, &content_info.to_der()?)
            .map_err(|e| CertificateError::Encoding(e.into()))
    }

    /// `master_key` with this certificate's signature added under `user_id`
    /// (replacing earlier `io.element.x509` signatures of the account).
    pub fn signed_master_key(
        &self,
        master_key: &serde_json::Value,
        user_id: &str,
    ) -> Result<serde_json::Value, CertificateError> {
        let signature = self.sign(master_key)?;
        let mut signed = master_key.clone();
        let object = signed
            .as_object_mut()
            .ok_or_else(|| CertificateError::Json("not an object".into()))?;
        let signatures = object
            .entry("signatures")
            .or_insert_with(|| serde_json::json!({}))
            .as_object_mut()
            .ok_or_else(|| CertificateError::Json("signatures is not an object".into()))?;
        let own = signatures
            .entry(user_id)
            .or_insert_with(|| serde_json::json!({}))
            .as_object_mut()
            .ok_or_else(|| CertificateError::Json("signatures entry is not an object".into()))?;
        own.retain(|key_id, _| !key_id.starts_with(&format!("{X509_SIGNATURE_ALGORITHM}:")));
        own.insert(self.key_id.clone(), serde_json::Value::String(signature));
        Ok(signed)
    }
}

impl AuthorityClient {
    /// Signs the account's current cross-signing master key with
    /// `certificate` and publishes the signature in request room `room_id`
    /// as the state event [`CERTIFICATE_STATE_EVENT`]. Returns the
    /// signature's key id.
    ///
    /// Publish again after every cross-signing reset: the signature covers
    /// one master key.
    pub async fn publish_certificate(
        &self,
        room_id: &matrix_sdk::ruma::RoomId,
        certificate: &MasterKeyCertificate,
    ) -> Result<String, CertificateError> {
        let client = self.matrix();
        let user_id = self.user_id();
        let identity = client
            .encryption()
            .request_user_identity(&user_id)
            .await?
            .ok_or(CertificateError::NoIdentity)?;
        let master_key = serde_json::to_value(identity.master_key().as_ref())
            .map_err(|e| CertificateError::Json(e.to_string()))?;
        let signature = certificate.sign(&master_key)?;
        let content = serde_json::json!({
            "signatures": { certificate.key_id(): signature },
        });
        let room = client
            .get_room(room_id)
            .ok_or_else(|| CertificateError::Json(format!("unknown room {room_id}")))?;
        room.send_state_event_raw(CERTIFICATE_STATE_EVENT, "", content)
            .await?;
        tracing::info!(%room_id, key_id = %certificate.key_id(), "published the master key certificate");
        Ok(certificate.key_id().to_owned())
    }
}

fn subject_key_identifier(certificate: &Certificate) -> Option<Vec<u8>> {
    match certificate
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
    {
        Ok(Some((_, ski))) => Some(ski.0.as_bytes().to_vec()),
        _ => None,
    }
}

/// The master key without `signatures` and `unsigned`, as canonical JSON.
fn signed_bytes(master_key: &serde_json::Value) -> Result<Vec<u8>, CertificateError> {
    let mut object = master_key
        .as_object()
        .ok_or_else(|| CertificateError::Json("not an object".into()))?
        .clone();
    object.remove("signatures");
    object.remove("unsigned");
    let canonical = to_canonical_value(serde_json::Value::Object(object))
        .map_err(|e| CertificateError::Json(e.to_string()))?;
    Ok(canonical.to_string().into_bytes())
}

fn base64_unpadded(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}
