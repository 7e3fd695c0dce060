//! The configured trust anchors: government root certificates and
//! certificate revocation lists (CRLs).
//!
//! The product ships the real root (configurable, e.g. a file next to the
//! app's config); tests generate a root at test time. Nothing here is
//! fetched from the network: a CRL is as fresh as its configured copy (see
//! docs/security.md for what that leaves open).

use std::path::Path;

use der::{Decode, DecodePem};
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;

/// Errors loading trust anchors.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    /// A file could not be read.
    #[error("could not read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A certificate or CRL could not be parsed.
    #[error("invalid {what}: {source}")]
    Parse {
        /// What was parsed.
        what: &'static str,
        /// The DER/PEM error.
        #[source]
        source: der::Error,
    },
    /// A PEM file held no certificate.
    #[error("no certificate in the root file")]
    Empty,
}

/// The roots an authority's chain must end at, and the revocation lists
/// that are checked on the way.
#[derive(Clone, Debug, Default)]
pub struct TrustAnchors {
    roots: Vec<Certificate>,
    crls: Vec<CertificateList>,
}

impl TrustAnchors {
    /// No roots: every authority is unverified ([`super::UntrustedReason::UnknownRoot`]).
    pub fn none() -> Self {
        Self::default()
    }

    /// Roots from PEM text (one or more `CERTIFICATE` blocks).
    pub fn from_roots_pem(pem: &str) -> Result<Self, AnchorError> {
        let roots =
            Certificate::load_pem_chain(pem.as_bytes()).map_err(|source| AnchorError::Parse {
                what: "root certificate",
                source,
            })?;
        if roots.is_empty() {
            return Err(AnchorError::Empty);
        }
        Ok(Self {
            roots,
            crls: Vec::new(),
        })
    }

    /// Roots from a PEM file and CRLs from files (PEM `X509 CRL` or DER).
    pub fn load(roots_pem: &Path, crl_files: &[&Path]) -> Result<Self, AnchorError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| AnchorError::Read {
                path: path.display().to_string(),
                source,
            })
        };
        let roots = String::from_utf8_lossy(&read(roots_pem)?).into_owned();
        let mut anchors = Self::from_roots_pem(&roots)?;
        for crl in crl_files {
            anchors = anchors.with_crl(&read(crl)?)?;
        }
        Ok(anchors)
    }

    /// Adds a CRL, PEM (`-----BEGIN X509 CRL-----`) or DER.
    pub fn with_crl(mut self, crl: &[u8]) -> Result<Self, AnchorError> {
        let parsed = if crl.starts_with(b"-----BEGIN") {
            CertificateList::from_pem(crl)
        } else {
            CertificateList::from_der(crl)
        }
        .map_err(|source| AnchorError::Parse {
            what: "CRL",
            source,
        })?;
        self.crls.push(parsed);
        Ok(self)
    }

    /// The configured roots.
    pub fn roots(&self) -> &[Certificate] {
        &self.roots
    }

    /// The configured revocation lists.
    pub fn crls(&self) -> &[CertificateList] {
        &self.crls
    }
}
