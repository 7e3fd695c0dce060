//! The published format of an authority's certificate: an
//! `io.element.x509` signature on its cross-signing master key.
//!
//! Where it lives: matrix-rust-sdk's experimental X.509 identity
//! verification (newer than the 0.18 this workspace builds) puts it in the
//! master key's own `signatures` object, under the account's user id, with
//! the key id `io.element.x509:<id>`, and the verifier here reads it there.
//! Synapse 1.163 cannot store it there yet: re-uploading the same master
//! public key with a new signature fails (its device-table insert for the key
//! collides), and `/keys/signatures/upload` accepts only signatures by the
//! user's devices on their own master key. So the authority also publishes
//! the same key id and value in each request room as the state event
//! [`CERTIFICATE_STATE_EVENT`] (`{"signatures": {"io.element.x509:<id>":
//! "<PEM>"}}`, empty state key, sent by the authority account), and the
//! verifier merges those into the master key's `signatures` before checking.
//! That is sound because signatures are not part of the signed bytes: the
//! certificate must still sign the master key the homeserver serves in
//! `/keys/query`, so the homeserver cannot forge the event's effect, only
//! withhold it (the authority then shows as unverified).
//!
//! The value: a PEM (`-----BEGIN CMS-----`) CMS `ContentInfo` holding a
//! detached `SignedData` (RFC 5652): `encapContentInfo` of type `id-data`
//! without content, the leaf and intermediate certificates in
//! `certificates`, no CRLs, exactly one `SignerInfo` whose `sid` is the
//! leaf's subject key identifier (issuer and serial number is accepted too),
//! with no signed attributes, so the signature is directly over the signed
//! bytes. The signed bytes are the master key's JSON without `signatures`
//! and `unsigned`, as Matrix canonical JSON (the spec's signing rules).
//! `<id>` is the unpadded base64 subject key identifier of the CA that issued
//! the topmost presented certificate (the root); verifiers use it only as a
//! hint.
//!
//! Where we differ: matrix-rust-sdk accepts only RSASSA-PSS with SHA-512.
//! German government PKIs issue ECDSA keys (BSI TR-03116), so this format
//! uses `ecdsa-with-SHA256` (P-256) or `ecdsa-with-SHA384` (P-384) with the
//! matching digest. A newer matrix-rust-sdk would see our signature and
//! refuse it as an unsupported algorithm (the identity stays unverified, no
//! error); an RSA-PSS signer is the one change needed to interoperate.

use der::Decode;
use der::asn1::ObjectIdentifier;
use matrix_sdk::ruma::canonical_json::to_canonical_value;
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectKeyIdentifier;

/// The signature algorithm name in a Matrix `signatures` object.
pub const X509_SIGNATURE_ALGORITHM: &str = "io.element.x509";

/// The request-room state event carrying the signature (see above).
pub const CERTIFICATE_STATE_EVENT: &str = "de.amtsbote.g2c.v1.authority_certificate";

/// The PEM label of the signature value (RFC 7468 §9).
pub const PEM_LABEL: &str = "CMS";

/// `id-signedData` (RFC 5652).
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-data` (RFC 5652).
pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");

/// Why a signature entry could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Not PEM with the `CMS` label.
    #[error("not a PEM CMS structure")]
    NotPem,
    /// The CMS structure is not a detached `SignedData` as described above.
    #[error("unexpected CMS structure: {0}")]
    Structure(&'static str),
    /// DER decoding failed.
    #[error("invalid DER: {0}")]
    Der(#[from] der::Error),
    /// The master key JSON could not be canonicalised.
    #[error("master key is not canonicalisable JSON")]
    Json,
}

/// One parsed `io.element.x509` signature.
#[derive(Debug, Clone)]
pub struct X509MasterKeySignature {
    /// The certificate that signed (the leaf).
    pub leaf: Certificate,
    /// The other presented certificates (intermediates).
    pub intermediates: Vec<Certificate>,
    /// The signature algorithm OID (`ecdsa-with-SHA256` / `-SHA384`).
    pub signature_algorithm: ObjectIdentifier,
    /// The digest algorithm OID the signer info names.
    pub digest_algorithm: ObjectIdentifier,
    /// The DER ECDSA signature.
    pub signature: Vec<u8>,
}

impl X509MasterKeySignature {
    /// Parses the PEM value of a signature entry.
    pub fn from_pem(pem: &str) -> Result<Self, FormatError> {
        let (label, der_bytes) =
            der::pem::decode_vec(pem.as_bytes()).map_err(|_| FormatError::NotPem)?;
        if label != PEM_LABEL {
            return Err(FormatError::NotPem);
        }
        let content_info = cms::content_info::ContentInfo::from_der(&der_bytes)?;
        if content_info.content_type != ID_SIGNED_DATA {
            return Err(FormatError::Structure("not SignedData"));
        }
        let signed_data: cms::signed_data::SignedData = content_info.content.decode_as()?;
        if signed_data.encap_content_info.econtent_type != ID_DATA
            || signed_data.encap_content_info.econtent.is_some()
        {
            return Err(FormatError::Structure("content must be detached id-data"));
        }
        let mut signers = signed_data.signer_infos.0.iter();
        let (Some(signer), None) = (signers.next(), signers.next()) else {
            return Err(FormatError::Structure("exactly one signer required"));
        };
        if signer.signed_attrs.is_some() {
            return Err(FormatError::Structure("signed attributes are not allowed"));
        }
        let certificates: Vec<Certificate> = signed_data
            .certificates
            .iter()
            .flat_map(|set| set.0.iter())
            .filter_map(|choice| match choice {
                cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
                cms::cert::CertificateChoices::Other(_) => None,
            })
            .collect();
        let leaf_index = certificates
            .iter()
            .position(|c| is_signer(c, &signer.sid))
            .ok_or(FormatError::Structure(
                "the signer's certificate is missing",
            ))?;
        let mut intermediates = certificates;
        let leaf = intermediates.remove(leaf_index);
        Ok(Self {
            leaf,
            intermediates,
            signature_algorithm: signer.signature_algorithm.oid,
            digest_algorithm: signer.digest_alg.oid,
            signature: signer.signature.as_bytes().to_vec(),
        })
    }
}

fn is_signer(certificate: &Certificate, sid: &cms::signed_data::SignerIdentifier) -> bool {
    match sid {
        cms::signed_data::SignerIdentifier::SubjectKeyIdentifier(ski) => {
            subject_key_identifier(certificate).as_deref() == Some(ski.0.as_bytes())
        }
        cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(ias) => {
            certificate.tbs_certificate().issuer() == &ias.issuer
                && certificate.tbs_certificate().serial_number() == &ias.serial_number
        }
    }
}

/// The certificate's subject key identifier extension, if present.
pub fn subject_key_identifier(certificate: &Certificate) -> Option<Vec<u8>> {
    match certificate
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
    {
        Ok(Some((_, ski))) => Some(ski.0.as_bytes().to_vec()),
        _ => None,
    }
}

/// The bytes an `io.element.x509` signature covers: the key JSON without
/// `signatures` and `unsigned`, as Matrix canonical JSON.
pub fn signed_bytes(master_key: &serde_json::Value) -> Result<Vec<u8>, FormatError> {
    let mut object = master_key.as_object().ok_or(FormatError::Json)?.clone();
    object.remove("signatures");
    object.remove("unsigned");
    let canonical =
        to_canonical_value(serde_json::Value::Object(object)).map_err(|_| FormatError::Json)?;
    Ok(canonical.to_string().into_bytes())
}

/// The `io.element.x509` signature entries the master key carries under
/// `user_id`: `(key id, PEM value)`.
pub fn x509_signatures<'a>(
    master_key: &'a serde_json::Value,
    user_id: &str,
) -> Vec<(&'a str, &'a str)> {
    let prefix = format!("{X509_SIGNATURE_ALGORITHM}:");
    master_key
        .get("signatures")
        .and_then(|s| s.get(user_id))
        .and_then(serde_json::Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(key_id, _)| key_id.starts_with(&prefix))
        .filter_map(|(key_id, value)| Some((key_id.as_str(), value.as_str()?)))
        .collect()
}

/// Adds the `io.element.x509` entries of a [`CERTIFICATE_STATE_EVENT`]
/// content to `master_key`'s signatures under `user_id`.
pub fn merge_published(
    master_key: &mut serde_json::Value,
    user_id: &str,
    event_content: &serde_json::Value,
) {
    let prefix = format!("{X509_SIGNATURE_ALGORITHM}:");
    let Some(published) = event_content
        .get("signatures")
        .and_then(serde_json::Value::as_object)
    else {
        return;
    };
    let Some(key) = master_key.as_object_mut() else {
        return;
    };
    let signatures = key
        .entry("signatures")
        .or_insert_with(|| serde_json::json!({}));
    if !signatures.is_object() {
        *signatures = serde_json::json!({});
    }
    let own = signatures
        .as_object_mut()
        .expect("made an object above")
        .entry(user_id)
        .or_insert_with(|| serde_json::json!({}));
    let Some(own) = own.as_object_mut() else {
        return;
    };
    for (key_id, value) in published {
        if key_id.starts_with(&prefix) && value.is_string() {
            own.entry(key_id.clone()).or_insert_with(|| value.clone());
        }
    }
}
