//! A throwaway TLS set-up for loopback tests, generated at test time
//! (rcgen, P-256): a self-signed CA and a server certificate it issued for
//! the IP address 127.0.0.1. Nothing of it is committed.
//!
//! The eID login service serves HTTPS with an `https` issuer, and Synapse
//! verifies the provider's metadata fully (no `skip_verification`), so the
//! login-service's SSO tests, its virtual-card test and `g2c-stack` all
//! need a CA that Synapse and the app trust and a certificate for the
//! loopback address Synapse checks. [`TestTls`] holds them:
//!
//! - the CA certificate as PEM and DER (the app's and Synapse's trust
//!   anchor; [`TestTls::reqwest_ca_certificate`] for reqwest clients);
//! - the server's chain and PKCS#8 key as PEM and DER (for rustls, or the
//!   login service's `[tls]` files);
//! - [`TestTls::write_to`], writing `test-ca.pem`, `tls-chain.pem` and
//!   `tls-key.pem`, which Synapse (`SSL_CERT_FILE`, see
//!   [`TestTlsFiles::synapse_env`]), the login service and the app read.
//!
//! It is separate from [`crate::AuthorityPki`]: that PKI stands for the
//! government's, whose leaves name authorities; this one only makes
//! loopback HTTPS verifiable.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use zeroize::Zeroizing;

/// The test CA's common name.
pub const TEST_TLS_CA_NAME: &str = "Amtsbote test TLS CA";
/// The server certificate's subject alternative name (and common name).
pub const TEST_TLS_SERVER_IP: &str = "127.0.0.1";

/// Errors generating or writing the TLS set-up.
#[derive(Debug, thiserror::Error)]
pub enum TestTlsError {
    /// rcgen refused a certificate or key.
    #[error("generating the test TLS certificates: {0}")]
    Generate(#[from] rcgen::Error),
    /// reqwest did not take the CA certificate.
    #[error("the test CA certificate for reqwest: {0}")]
    Reqwest(#[from] reqwest::Error),
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

/// A test CA and the server certificate for 127.0.0.1 it issued.
pub struct TestTls {
    ca_pem: String,
    ca_der: Vec<u8>,
    certificate_pem: String,
    certificate_der: Vec<u8>,
    key_pem: Zeroizing<String>,
    key_der: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for TestTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestTls").finish_non_exhaustive()
    }
}

/// Where [`TestTls::write_to`] put the files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestTlsFiles {
    /// The CA certificate, PEM: Synapse's `SSL_CERT_FILE`, the app's CA.
    pub ca_certificate: PathBuf,
    /// The server's certificate chain, PEM (the login service's
    /// `[tls] certificate_chain`).
    pub certificate_chain: PathBuf,
    /// The server's private key, PKCS#8 PEM, mode 0600 on Unix (the login
    /// service's `[tls] private_key`).
    pub private_key: PathBuf,
}

impl TestTlsFiles {
    /// The environment with which Synapse's HTTP client (OpenSSL's default
    /// verify paths) trusts the test CA.
    pub fn synapse_env(&self) -> Vec<(String, String)> {
        vec![(
            "SSL_CERT_FILE".into(),
            self.ca_certificate.display().to_string(),
        )]
    }
}

impl TestTls {
    /// A fresh CA and server certificate: CA with unconstrained basic
    /// constraints, key usages certificate and CRL signing; server
    /// certificate with the SAN and common name 127.0.0.1 and the server
    /// authentication usage; P-256 keys, rcgen's default validity.
    pub fn generate() -> Result<Self, TestTlsError> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, TEST_TLS_CA_NAME);
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;

        let server_key = KeyPair::generate()?;
        let mut params = CertificateParams::new(vec![TEST_TLS_SERVER_IP.to_owned()])?;
        params
            .distinguished_name
            .push(DnType::CommonName, TEST_TLS_SERVER_IP);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = params.signed_by(&server_key, &ca)?;

        Ok(Self {
            ca_pem: ca.pem(),
            ca_der: ca.der().to_vec(),
            certificate_pem: server.pem(),
            certificate_der: server.der().to_vec(),
            key_pem: Zeroizing::new(server_key.serialize_pem()),
            key_der: Zeroizing::new(server_key.serialize_der()),
        })
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The CA certificate, DER (a rustls root).
    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// The CA certificate as a root for a reqwest client
    /// (`tls_certs_only`).
    pub fn reqwest_ca_certificate(&self) -> Result<reqwest::Certificate, TestTlsError> {
        Ok(reqwest::Certificate::from_pem(self.ca_pem.as_bytes())?)
    }

    /// The server's certificate chain, PEM (the server certificate; the CA
    /// is the trust anchor and not sent).
    pub fn chain_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The server's certificate chain, DER, leaf first (for rustls).
    pub fn chain_der(&self) -> Vec<Vec<u8>> {
        vec![self.certificate_der.clone()]
    }

    /// The server's private key, PKCS#8 PEM.
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// The server's private key, PKCS#8 DER (for rustls).
    pub fn key_pkcs8_der(&self) -> &[u8] {
        &self.key_der
    }

    /// Writes `test-ca.pem`, `tls-chain.pem` and `tls-key.pem` into `dir`
    /// (which must exist).
    pub fn write_to(&self, dir: &Path) -> Result<TestTlsFiles, TestTlsError> {
        let files = TestTlsFiles {
            ca_certificate: dir.join("test-ca.pem"),
            certificate_chain: dir.join("tls-chain.pem"),
            private_key: dir.join("tls-key.pem"),
        };
        write(&files.ca_certificate, self.ca_pem.as_bytes(), false)?;
        write(
            &files.certificate_chain,
            self.certificate_pem.as_bytes(),
            false,
        )?;
        write(&files.private_key, self.key_pem.as_bytes(), true)?;
        Ok(files)
    }
}

fn write(path: &Path, contents: &[u8], private: bool) -> Result<(), TestTlsError> {
    crate::authority_pki::write_file(path, contents, private).map_err(|source| {
        TestTlsError::Write {
            path: path.to_owned(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_hold_the_ca_the_server_certificate_and_a_private_key() {
        let tls = TestTls::generate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let files = tls.write_to(dir.path()).unwrap();
        let ca = std::fs::read_to_string(&files.ca_certificate).unwrap();
        assert_eq!(ca, tls.ca_pem());
        let chain = std::fs::read_to_string(&files.certificate_chain).unwrap();
        assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 1);
        assert_ne!(chain, ca);
        let key = std::fs::read_to_string(&files.private_key).unwrap();
        assert!(key.contains("BEGIN PRIVATE KEY"));
        assert_eq!(
            files.synapse_env(),
            vec![(
                "SSL_CERT_FILE".to_owned(),
                files.ca_certificate.display().to_string()
            )]
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&files.private_key)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "only the owner may read the key");
        }
    }

    #[test]
    fn the_server_certificate_names_127_0_0_1_and_reqwest_takes_the_ca() {
        let tls = TestTls::generate().unwrap();
        // The IP address 127.0.0.1 as it stands in the SAN (octets).
        let der = tls.chain_der().remove(0);
        assert!(der.windows(6).any(|w| w == [0x87, 0x04, 127, 0, 0, 1]));
        assert!(
            !tls.ca_der()
                .windows(6)
                .any(|w| w == [0x87, 0x04, 127, 0, 0, 1])
        );
        assert!(!tls.key_pkcs8_der().is_empty());
        tls.reqwest_ca_certificate().unwrap();
    }
}
