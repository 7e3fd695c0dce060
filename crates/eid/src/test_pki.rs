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

    /// The private key as PKCS#8 DER (`id-ecPublicKey`, named curve, no
    /// public key): what the login-service reads as its terminal key and
    /// what vicc's `--ca-key` (OpenSSL's `d2i_AutoPrivateKey`) reads as the
    /// chip's Chip Authentication key.
    pub fn pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        let ec_private = Zeroizing::new(der(
            0x30,
            &[
                &der(0x02, &[&[1]]),
                &Zeroizing::new(der(0x04, &[&self.secret])),
            ],
        ));
        let algorithm = der(
            0x30,
            &[
                &der_oid(&crate::card_security::ID_EC_PUBLIC_KEY),
                &der_oid(&ec::curve_oid(self.curve)),
            ],
        );
        Zeroizing::new(der(
            0x30,
            &[
                &der(0x02, &[&[0]]),
                &algorithm,
                &Zeroizing::new(der(0x04, &[&ec_private])),
            ],
        ))
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

fn der(tag: u32, parts: &[&[u8]]) -> Vec<u8> {
    crate::tlv::encode(tag, &parts.concat())
}

fn der_uint(v: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = v.iter().copied().skip_while(|b| *b == 0).collect();
    if v.first().is_none_or(|b| b & 0x80 != 0) {
        v.insert(0, 0);
    }
    der(0x02, &[&v])
}

fn der_oid(oid: &der::asn1::ObjectIdentifier) -> Vec<u8> {
    der(0x06, &[oid.as_bytes()])
}

fn der_ecdsa(plain: &[u8]) -> Vec<u8> {
    let (r, s) = plain.split_at(plain.len() / 2);
    der(0x30, &[&der_uint(r), &der_uint(s)])
}

const ECDSA_SHA256: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const SHA256: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

fn name(cn: &str) -> Vec<u8> {
    let cn_oid = der::asn1::ObjectIdentifier::new_unwrap("2.5.4.3");
    let c_oid = der::asn1::ObjectIdentifier::new_unwrap("2.5.4.6");
    der(
        0x30,
        &[
            &der(
                0x31,
                &[&der(0x30, &[&der_oid(&c_oid), &der(0x13, &[b"DE"])])],
            ),
            &der(
                0x31,
                &[&der(
                    0x30,
                    &[&der_oid(&cn_oid), &der(0x0C, &[cn.as_bytes()])],
                )],
            ),
        ],
    )
}

fn spki(key: &TestKey) -> Vec<u8> {
    let alg = der(
        0x30,
        &[
            &der_oid(&crate::card_security::ID_EC_PUBLIC_KEY),
            &der_oid(&ec::curve_oid(key.curve)),
        ],
    );
    der(0x30, &[&alg, &der(0x03, &[&[0], &key.public])])
}

/// An X.509 v1 certificate `subject` issued by `issuer` (ECDSA-SHA-256).
fn x509(serial: u8, issuer: &str, issuer_key: &TestKey, subject: &str, key: &TestKey) -> Vec<u8> {
    let alg = der(0x30, &[&der_oid(&ECDSA_SHA256)]);
    let validity = der(
        0x30,
        &[
            &der(0x17, &[b"250101000000Z"]),
            &der(0x17, &[b"351231235959Z"]),
        ],
    );
    let tbs = der(
        0x30,
        &[
            &der_uint(&[serial]),
            &alg,
            &name(issuer),
            &validity,
            &name(subject),
            &spki(key),
        ],
    );
    let sig = der_ecdsa(&issuer_key.sign(&tbs));
    der(0x30, &[&tbs, &alg, &der(0x03, &[&[0], &sig])])
}

/// A chip: Chip Authentication and Restricted Identification keys, EF.CardAccess and
/// an EF.CardSecurity signed by a test document signer under a test CSCA.
#[derive(Debug)]
pub struct CardSecurityFixture {
    /// The card's static CA key pair.
    pub ca_key: TestKey,
    /// The card's RI key pair (key reference 0x84).
    pub ri_key: TestKey,
    /// The CSCA key.
    pub csca_key: TestKey,
    /// The CSCA certificate (DER).
    pub csca_der: Vec<u8>,
    /// EF.CardAccess: PACE (ECDH-GM-AES-128, brainpoolP256r1), CA info and domain
    /// parameters, TA info.
    pub card_access: Vec<u8>,
    /// EF.CardSecurity (CMS SignedData).
    pub ef_card_security: Vec<u8>,
}

impl CardSecurityFixture {
    /// Generates all keys and files; CA and RI keys on `curve`.
    pub fn generate(curve: Curve) -> Self {
        use crate::tlv::encode;
        let ca_key = TestKey::generate(curve);
        let ri_key = TestKey::generate(curve);
        let csca_key = TestKey::generate(curve);
        let ds_key = TestKey::generate(curve);
        let csca_der = x509(1, "Test CSCA", &csca_key, "Test CSCA", &csca_key);
        let ds_der = x509(2, "Test CSCA", &csca_key, "Test DS", &ds_key);

        let int = |v: u8| der_uint(&[v]);
        let std_params = der(
            0x30,
            &[
                &der_oid(&crate::card_security::STANDARDIZED_DOMAIN_PARAMETERS),
                &int(curve.parameter_id() as u8),
            ],
        );
        let pace = der(
            0x30,
            &[
                &der_oid(&der::asn1::ObjectIdentifier::new_unwrap(
                    "0.4.0.127.0.7.2.2.4.2.2",
                )),
                &int(2),
                &int(13),
            ],
        );
        let ca_info = der(
            0x30,
            &[
                &der_oid(&crate::ca::ID_CA_ECDH_AES_CBC_CMAC_128),
                &int(2),
                &int(1),
            ],
        );
        let ca_domain = der(
            0x30,
            &[&der_oid(&crate::ca::ID_CA_ECDH), &std_params, &int(1)],
        );
        let ta_info = der(0x30, &[&der_oid(&crate::card_security::ID_TA), &int(2)]);
        let ca_pk = der(
            0x30,
            &[
                &der_oid(&crate::card_security::ID_PK_ECDH),
                &der(0x30, &[&std_params, &der(0x03, &[&[0], &ca_key.public])]),
                &int(1),
            ],
        );
        let ri_info = der(
            0x30,
            &[
                &der_oid(&crate::ri::ID_RI_ECDH_SHA_256),
                &der(0x30, &[&int(1), &int(0x84), &der(0x01, &[&[0]])]),
            ],
        );
        let card_access = encode(
            0x31,
            &[pace.clone(), ta_info.clone(), ca_info.clone(), ca_domain].concat(),
        );
        let security_infos = encode(0x31, &[pace, ta_info, ca_info, ca_pk, ri_info].concat());

        let content_type_attr = der(
            0x30,
            &[
                &der_oid(&crate::card_security::ID_CONTENT_TYPE),
                &der(0x31, &[&der_oid(&crate::card_security::ID_SECURITY_OBJECT)]),
            ],
        );
        let digest_attr = der(
            0x30,
            &[
                &der_oid(&crate::card_security::ID_MESSAGE_DIGEST),
                &der(
                    0x31,
                    &[&der(
                        0x04,
                        &[&HashAlgorithm::Sha256.digest(&security_infos)],
                    )],
                ),
            ],
        );
        let attrs_content = [content_type_attr, digest_attr].concat();
        let signature = der_ecdsa(&ds_key.sign(&encode(0x31, &attrs_content)));
        let signer_info = der(
            0x30,
            &[
                &int(1),
                &der(0x30, &[&name("Test CSCA"), &der_uint(&[2])]),
                &der(0x30, &[&der_oid(&SHA256)]),
                &encode(0xA0, &attrs_content),
                &der(0x30, &[&der_oid(&ECDSA_SHA256)]),
                &der(0x04, &[&signature]),
            ],
        );
        let signed_data = der(
            0x30,
            &[
                &int(3),
                &der(0x31, &[&der(0x30, &[&der_oid(&SHA256)])]),
                &der(
                    0x30,
                    &[
                        &der_oid(&crate::card_security::ID_SECURITY_OBJECT),
                        &der(0xA0, &[&der(0x04, &[&security_infos])]),
                    ],
                ),
                &encode(0xA0, &ds_der),
                &der(0x31, &[&signer_info]),
            ],
        );
        let ef_card_security = der(
            0x30,
            &[
                &der_oid(&crate::card_security::ID_SIGNED_DATA),
                &der(0xA0, &[&signed_data]),
            ],
        );
        Self {
            ca_key,
            ri_key,
            csca_key,
            csca_der,
            card_access,
            ef_card_security,
        }
    }

    /// The CSCA certificate, parsed.
    pub fn csca_certificate(&self) -> x509_cert::Certificate {
        use der::Decode;
        x509_cert::Certificate::from_der(&self.csca_der)
            .unwrap_or_else(|e| unreachable!("test CSCA: {e}"))
    }
}
