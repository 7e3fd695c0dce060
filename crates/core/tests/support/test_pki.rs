//! A test government PKI generated at test time (rcgen, P-256): a root, an
//! intermediate, authority leaves, impostor chains and CRLs.

#![allow(dead_code)]

use g2c_authority::certificate::MasterKeyCertificate;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType, IsCa, Issuer,
    KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams, SanType, SerialNumber, date_time_ymd,
};

/// A certificate authority: its certificate and the issuer handle.
pub struct TestCa {
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn key() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key generation")
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.use_authority_key_identifier_extension = true;
    params
}

impl TestCa {
    /// A self-signed root named `name`.
    pub fn root(name: &str) -> Self {
        let params = ca_params(name);
        let key = key();
        let pem = params.self_signed(&key).expect("root").pem();
        Self {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// An intermediate CA named `name` under `self`.
    pub fn intermediate(&self, name: &str) -> Self {
        let params = ca_params(name);
        let key = key();
        let pem = params
            .signed_by(&key, &self.issuer)
            .expect("intermediate")
            .pem();
        Self {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `authority_name` / `user_id` with the given serial and
    /// validity (years). Returns (certificate PEM, PKCS#8 key PEM).
    pub fn leaf(
        &self,
        authority_name: &str,
        user_id: &str,
        serial: u64,
        valid: (i32, i32),
    ) -> (String, String) {
        let (params, key) = leaf_params(authority_name, user_id, serial, valid);
        let pem = params.signed_by(&key, &self.issuer).expect("leaf").pem();
        (pem, key.serialize_pem())
    }

    /// A CRL by this CA revoking `serials`.
    pub fn crl(&self, serials: &[u64]) -> String {
        CertificateRevocationListParams {
            this_update: date_time_ymd(2025, 1, 1),
            next_update: date_time_ymd(2099, 1, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|serial| RevokedCertParams {
                    serial_number: SerialNumber::from(*serial),
                    revocation_time: date_time_ymd(2025, 6, 1),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&self.issuer)
        .expect("crl")
        .pem()
        .expect("crl pem")
    }
}

fn leaf_params(
    authority_name: &str,
    user_id: &str,
    serial: u64,
    valid: (i32, i32),
) -> (CertificateParams, KeyPair) {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, format!("{authority_name} (Matrix)"));
    params
        .distinguished_name
        .push(DnType::OrganizationName, authority_name);
    let uri = format!("matrix:u/{}", user_id.trim_start_matches('@'));
    params
        .subject_alt_names
        .push(SanType::URI(uri.try_into().expect("ia5 uri")));
    // ExplicitNoCa makes rcgen write basic constraints and the subject key
    // identifier the signature format names the signer by.
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    params.serial_number = Some(SerialNumber::from(serial));
    params.not_before = date_time_ymd(valid.0, 1, 1);
    params.not_after = date_time_ymd(valid.1, 1, 1);
    (params, key())
}

/// A self-signed leaf naming the authority. Returns (certificate, key).
pub fn self_signed_leaf(authority_name: &str, user_id: &str) -> (String, String) {
    let (params, key) = leaf_params(authority_name, user_id, 7, (2020, 2099));
    let pem = params.self_signed(&key).expect("self-signed").pem();
    (pem, key.serialize_pem())
}

/// The authority tool's signer for a chain (leaf first) and key.
pub fn signer(chain: &[&str], key_pem: &str) -> MasterKeyCertificate {
    MasterKeyCertificate::from_pem(&chain.concat(), key_pem).expect("signer")
}
