//! A test government PKI for authorities, generated at test time (rcgen,
//! P-256): a root, an intermediate, authority leaf certificates, impostor
//! chains and revocation lists. Nothing of it is committed.
//!
//! The citizen's app verifies an authority's Matrix account by an X.509
//! chain up to a configured government root (`g2c_core::trust`). No real
//! government root exists for the pilot, so the core tests, `g2c-stack`
//! (the demo and the end-to-end tests) and anyone else who needs a
//! verifiable authority generate one here:
//!
//! - [`TestCa`]: a CA (root or intermediate) that issues leaves and CRLs,
//!   for tests that build impostors (expired, revoked, other root, …).
//! - [`AuthorityPki`]: the usual case in one call: a root, an intermediate
//!   and a leaf for one authority, with [`AuthorityPki::write_to`] writing
//!   the files the app (`AMTSBOTE_TRUST_ROOTS`) and the authority tool
//!   (`g2c-authority … --certificate CHAIN --certificate-key KEY`) read.
//!
//! A leaf names the authority in the subject's organisation (`O`) and its
//! Matrix account as a `matrix:u/localpart:server` URI in the subject
//! alternative name, as `g2c_core::trust::authority` checks them.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType, IsCa, Issuer,
    KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams, SanType, SerialNumber, date_time_ymd,
};
use zeroize::Zeroizing;

/// The test root's name.
pub const TEST_ROOT_NAME: &str = "Test-Wurzel Verwaltungs-PKI";
/// The test intermediate's name.
pub const TEST_INTERMEDIATE_NAME: &str = "Test-CA Behörden";

/// Errors generating or writing the authority PKI.
#[derive(Debug, thiserror::Error)]
pub enum AuthorityPkiError {
    /// rcgen refused a certificate, key or CRL.
    #[error("generating the test PKI: {0}")]
    Generate(#[from] rcgen::Error),
    /// A name is not usable in a certificate.
    #[error("{0} is not usable in a certificate")]
    Name(String),
    /// Writing a file failed.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A certificate authority of the test PKI: its certificate and the handle
/// that signs with its key.
pub struct TestCa {
    /// The CA's certificate, PEM.
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

fn key() -> Result<KeyPair, AuthorityPkiError> {
    Ok(KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?)
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

/// A leaf certificate and its private key (PKCS#8 PEM).
#[derive(Debug)]
pub struct IssuedLeaf {
    /// The certificate, PEM.
    pub certificate_pem: String,
    /// The private key, PKCS#8 PEM.
    pub key_pem: Zeroizing<String>,
}

impl TestCa {
    /// A self-signed root named `name`.
    pub fn root(name: &str) -> Self {
        Self::try_root(name).expect("generating a test root")
    }

    /// A self-signed root named `name`, or the generator's error.
    pub fn try_root(name: &str) -> Result<Self, AuthorityPkiError> {
        let params = ca_params(name);
        let key = key()?;
        let pem = params.self_signed(&key)?.pem();
        Ok(Self {
            pem,
            issuer: Issuer::new(params, key),
        })
    }

    /// An intermediate CA named `name` under `self`.
    pub fn intermediate(&self, name: &str) -> Self {
        self.try_intermediate(name)
            .expect("generating a test intermediate")
    }

    /// An intermediate CA named `name` under `self`, or the generator's error.
    pub fn try_intermediate(&self, name: &str) -> Result<Self, AuthorityPkiError> {
        let params = ca_params(name);
        let key = key()?;
        let pem = params.signed_by(&key, &self.issuer)?.pem();
        Ok(Self {
            pem,
            issuer: Issuer::new(params, key),
        })
    }

    /// A leaf for `authority_name` / `user_id` with the given serial and
    /// validity (from 1 January of the first year to 1 January of the
    /// second). Returns (certificate PEM, PKCS#8 key PEM).
    pub fn leaf(
        &self,
        authority_name: &str,
        user_id: &str,
        serial: u64,
        valid: (i32, i32),
    ) -> (String, String) {
        let leaf = self
            .issue_leaf(authority_name, user_id, serial, valid)
            .expect("generating a test leaf");
        (leaf.certificate_pem, leaf.key_pem.to_string())
    }

    /// A leaf for `authority_name` / `user_id`, or the generator's error.
    pub fn issue_leaf(
        &self,
        authority_name: &str,
        user_id: &str,
        serial: u64,
        valid: (i32, i32),
    ) -> Result<IssuedLeaf, AuthorityPkiError> {
        let (params, key) = leaf_params(authority_name, user_id, serial, valid)?;
        let certificate_pem = params.signed_by(&key, &self.issuer)?.pem();
        Ok(IssuedLeaf {
            certificate_pem,
            key_pem: Zeroizing::new(key.serialize_pem()),
        })
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
        .and_then(|crl| crl.pem())
        .expect("generating a test CRL")
    }
}

fn leaf_params(
    authority_name: &str,
    user_id: &str,
    serial: u64,
    valid: (i32, i32),
) -> Result<(CertificateParams, KeyPair), AuthorityPkiError> {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, format!("{authority_name} (Matrix)"));
    params
        .distinguished_name
        .push(DnType::OrganizationName, authority_name);
    let uri = format!("matrix:u/{}", user_id.trim_start_matches('@'));
    params.subject_alt_names.push(SanType::URI(
        uri.clone()
            .try_into()
            .map_err(|_| AuthorityPkiError::Name(uri))?,
    ));
    // ExplicitNoCa makes rcgen write basic constraints and the subject key
    // identifier the signature format names the signer by.
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    params.serial_number = Some(SerialNumber::from(serial));
    params.not_before = date_time_ymd(valid.0, 1, 1);
    params.not_after = date_time_ymd(valid.1, 1, 1);
    Ok((params, key()?))
}

/// A self-signed leaf naming the authority (an impostor: no CA vouches for
/// it). Returns (certificate PEM, PKCS#8 key PEM).
pub fn self_signed_leaf(authority_name: &str, user_id: &str) -> (String, String) {
    let (params, key) =
        leaf_params(authority_name, user_id, 7, (2020, 2099)).expect("self-signed leaf params");
    let pem = params
        .self_signed(&key)
        .expect("generating a self-signed leaf")
        .pem();
    (pem, key.serialize_pem())
}

/// One authority's place in a fresh test PKI: root → intermediate → leaf
/// naming `authority_name` and the Matrix account `user_id`, valid from
/// 2025 to 2035.
pub struct AuthorityPki {
    /// The root (what the citizen's app trusts).
    pub root: TestCa,
    /// The intermediate that issued the leaf.
    pub intermediate: TestCa,
    /// The authority's leaf and its key.
    pub leaf: IssuedLeaf,
}

impl std::fmt::Debug for AuthorityPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorityPki").finish_non_exhaustive()
    }
}

/// Where [`AuthorityPki::write_to`] put the files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorityPkiFiles {
    /// The root certificate, PEM: the app's `AMTSBOTE_TRUST_ROOTS`.
    pub roots_file: PathBuf,
    /// The authority's chain, leaf first, then the intermediate, PEM.
    pub authority_chain: PathBuf,
    /// The leaf's private key, PKCS#8 PEM (mode 0600 on Unix).
    pub authority_key: PathBuf,
}

impl AuthorityPki {
    /// A fresh root, intermediate and leaf for the authority.
    pub fn generate(authority_name: &str, user_id: &str) -> Result<Self, AuthorityPkiError> {
        let root = TestCa::try_root(TEST_ROOT_NAME)?;
        let intermediate = root.try_intermediate(TEST_INTERMEDIATE_NAME)?;
        let leaf = intermediate.issue_leaf(authority_name, user_id, 1001, (2025, 2035))?;
        Ok(Self {
            root,
            intermediate,
            leaf,
        })
    }

    /// The chain the authority presents: leaf, then intermediate (PEM).
    pub fn chain_pem(&self) -> String {
        format!("{}{}", self.leaf.certificate_pem, self.intermediate.pem)
    }

    /// Writes `roots.pem`, `authority-chain.pem` and `authority-key.pem`
    /// into `dir` (which must exist).
    pub fn write_to(&self, dir: &Path) -> Result<AuthorityPkiFiles, AuthorityPkiError> {
        let files = AuthorityPkiFiles {
            roots_file: dir.join("roots.pem"),
            authority_chain: dir.join("authority-chain.pem"),
            authority_key: dir.join("authority-key.pem"),
        };
        write(&files.roots_file, self.root.pem.as_bytes(), false)?;
        write(&files.authority_chain, self.chain_pem().as_bytes(), false)?;
        write(&files.authority_key, self.leaf.key_pem.as_bytes(), true)?;
        Ok(files)
    }
}

fn write(path: &Path, contents: &[u8], private: bool) -> Result<(), AuthorityPkiError> {
    write_file(path, contents, private).map_err(|source| AuthorityPkiError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Writes `contents` to `path`, readable only by the owner if `private`
/// (on Unix). Shared with [`crate::TestTls`].
pub(crate) fn write_file(path: &Path, contents: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    options
        .open(path)
        .and_then(|mut file| file.write_all(contents))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_hold_root_chain_and_a_private_key() {
        let pki = AuthorityPki::generate("Fischereiamt Berlin", "@fischereiamt:localhost").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let files = pki.write_to(dir.path()).unwrap();
        let roots = std::fs::read_to_string(&files.roots_file).unwrap();
        assert_eq!(roots.matches("BEGIN CERTIFICATE").count(), 1);
        let chain = std::fs::read_to_string(&files.authority_chain).unwrap();
        assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2);
        assert!(chain.starts_with(&pki.leaf.certificate_pem));
        let key = std::fs::read_to_string(&files.authority_key).unwrap();
        assert!(key.contains("PRIVATE KEY"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&files.authority_key)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "only the owner may read the key");
        }
    }
}
