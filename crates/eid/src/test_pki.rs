//! A test PKI generated at run time (feature `fake-card`): CVCA → DV → terminal
//! CV certificates with a certificate description, and the keys.
//!
//! Nothing here is a real key: every key pair is generated when a test calls
//! [`TestPki::generate`], so no private key is ever committed.

use zeroize::Zeroizing;

use crate::cvc::{
    AccessRight, CertificateBody, CertificateDescription, CertificateExtension,
    CertificateReference, Chat, CvCertificate, CvDate, CvPublicKey, HashAlgorithm, ID_PLAIN_FORMAT,
    ID_TA_ECDSA_SHA_256, Role, TermsOfUsage,
};
use crate::ec;
use crate::pace::Curve;
use crate::ta::TerminalKey;

/// The rights the test terminal asks for.
pub const TERMINAL_RIGHTS: [AccessRight; 6] = [
    AccessRight::AgeVerification,
    AccessRight::RestrictedIdentification,
    AccessRight::PinManagement,
    AccessRight::ReadDataGroup(4),
    AccessRight::ReadDataGroup(5),
    AccessRight::ReadDataGroup(8),
];

/// The rights the test DV grants (no PIN management).
pub const DV_RIGHTS: [AccessRight; 6] = [
    AccessRight::AgeVerification,
    AccessRight::RestrictedIdentification,
    AccessRight::CanAllowed,
    AccessRight::ReadDataGroup(4),
    AccessRight::ReadDataGroup(5),
    AccessRight::ReadDataGroup(8),
];

/// A CV certificate signer: a key pair on a curve.
pub struct TestKey {
    /// The curve.
    pub curve: Curve,
    secret: Zeroizing<Vec<u8>>,
    /// The uncompressed public key.
    pub public: Vec<u8>,
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestKey")
            .field("curve", &self.curve)
            .finish_non_exhaustive()
    }
}

impl TestKey {
    /// A fresh key pair.
    pub fn generate(curve: Curve) -> Self {
        let secret = ec::generate_secret(curve).unwrap_or_default();
        let public = ec::public_key(curve, &secret).unwrap_or_default();
        Self {
            curve,
            secret,
            public,
        }
    }

    /// The private scalar (test code only).
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// Signs `message` with ECDSA-SHA-256 (plain r || s).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        ec::sign_prehash(
            self.curve,
            &self.secret,
            &HashAlgorithm::Sha256.digest(message),
        )
        .unwrap_or_default()
    }
}

fn reference(s: &str) -> CertificateReference {
    CertificateReference::new(s.as_bytes()).unwrap_or_else(|_| unreachable!("test reference"))
}

fn date(y: u16, m: u8, d: u8) -> CvDate {
    CvDate::new(y, m, d).unwrap_or_else(|_| unreachable!("test date"))
}

/// Signs `body` with `key` into a certificate.
pub fn issue(body: CertificateBody, key: &TestKey) -> CvCertificate {
    let sig = key.sign(&body.to_tlv());
    CvCertificate::from_parts(body, sig).unwrap_or_else(|e| unreachable!("test certificate: {e}"))
}

fn body(
    car: &str,
    chr: &str,
    public: &[u8],
    curve: Option<Curve>,
    chat: Chat,
    extensions: Vec<CertificateExtension>,
) -> CertificateBody {
    CertificateBody {
        car: reference(car),
        public_key: CvPublicKey {
            algorithm: ID_TA_ECDSA_SHA_256,
            hash: HashAlgorithm::Sha256,
            curve,
            point: public.to_vec(),
        },
        chr: reference(chr),
        chat,
        effective: date(2025, 1, 1),
        expiry: date(2030, 12, 31),
        extensions,
    }
}

/// A complete CV PKI for tests.
#[derive(Debug)]
pub struct TestPki {
    /// The curve of all keys.
    pub curve: Curve,
    /// The self-signed CVCA certificate (explicit domain parameters).
    pub cvca: CvCertificate,
    /// The DV certificate.
    pub dv: CvCertificate,
    /// The terminal certificate (with a description extension).
    pub terminal: CvCertificate,
    /// The terminal's certificate description.
    pub description: CertificateDescription,
    /// The CVCA key.
    pub cvca_key: TestKey,
    /// The DV key.
    pub dv_key: TestKey,
    /// The terminal key.
    pub terminal_key: TestKey,
}

impl TestPki {
    /// Generates keys and certificates `DETESTCVCA00001` → `DETESTDV000001` →
    /// `DETESTTERM00001`, valid 2025-01-01 to 2030-12-31.
    pub fn generate(curve: Curve) -> Self {
        let cvca_key = TestKey::generate(curve);
        let dv_key = TestKey::generate(curve);
        let terminal_key = TestKey::generate(curve);
        let cvca = issue(
            body(
                "DETESTCVCA00001",
                "DETESTCVCA00001",
                &cvca_key.public,
                Some(curve),
                Chat::authentication(Role::Cvca, &crate::test_pki::all_rights()),
                vec![],
            ),
            &cvca_key,
        );
        let dv = issue(
            body(
                "DETESTCVCA00001",
                "DETESTDV000001",
                &dv_key.public,
                None,
                Chat::authentication(Role::DvOfficialDomestic, &DV_RIGHTS),
                vec![],
            ),
            &cvca_key,
        );
        let description = CertificateDescription {
            description_type: ID_PLAIN_FORMAT,
            issuer_name: "Test DV".into(),
            issuer_url: Some("https://dv.example".into()),
            subject_name: "Amtsbote Testdienst".into(),
            subject_url: Some("https://amtsbote.example".into()),
            terms_of_usage: TermsOfUsage::Plain(
                "Amtsbote test service.\nName, Anschrift: Musterstraße 1".into(),
            ),
            redirect_url: None,
            comm_certificates: vec![vec![0xAB; 32]],
        };
        let terminal = issue(
            body(
                "DETESTDV000001",
                "DETESTTERM00001",
                &terminal_key.public,
                None,
                Chat::authentication(Role::Terminal, &TERMINAL_RIGHTS),
                vec![CertificateExtension::Description {
                    hash: HashAlgorithm::Sha256.digest(&description.to_der()),
                }],
            ),
            &dv_key,
        );
        Self {
            curve,
            cvca,
            dv,
            terminal,
            description,
            cvca_key,
            dv_key,
            terminal_key,
        }
    }

    /// DV and terminal certificates, in the order the card needs them.
    pub fn chain(&self) -> Vec<CvCertificate> {
        vec![self.dv.clone(), self.terminal.clone()]
    }

    /// The terminal's private key as the service holds it.
    pub fn terminal_key(&self) -> TerminalKey {
        TerminalKey::new(self.curve, ID_TA_ECDSA_SHA_256, self.terminal_key.secret())
            .unwrap_or_else(|e| unreachable!("test terminal key: {e}"))
    }

    /// A second terminal certificate signed by the terminal key (a role violation).
    pub fn issue_terminal_from_terminal(&self) -> CvCertificate {
        let k = TestKey::generate(self.curve);
        issue(
            body(
                "DETESTTERM00001",
                "DETESTTERM00002",
                &k.public,
                None,
                Chat::authentication(Role::Terminal, &TERMINAL_RIGHTS),
                vec![],
            ),
            &self.terminal_key,
        )
    }
}

/// Every named right of an authentication terminal.
pub fn all_rights() -> Vec<AccessRight> {
    (0..38).filter_map(AccessRight::from_bit).collect()
}
