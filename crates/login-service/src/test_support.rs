//! The eID world of this crate's tests, generated at run time (no key is
//! committed): g2c-eid's test PKI (CVCA → DV → terminal with a certificate
//! description), chips whose EF.CardSecurity is signed under test CSCAs, a
//! sector key, [`FakeCard`]s that run PACE, TA, CA and RI, and the app's
//! side after PACE (g2c-eid's [`ClientRelay`]).

use std::path::Path;

use g2c_eid::apdu::CommandApdu;
use g2c_eid::card_access::SecurityInfos;
use g2c_eid::eac::Batch;
use g2c_eid::fake_card::{FakeCard, FakeEac};
use g2c_eid::pace::{self, Curve, Pace, PaceParameters};
use g2c_eid::relay::ClientRelay;
use g2c_eid::secrets::{Password, Pin};
use g2c_eid::test_pki::{CardSecurityFixture, TestKey, TestPki};
use g2c_eid::transport::CardTransport;
use sha2::Digest as _;
use zeroize::Zeroizing;

use crate::authenticator::SectorPseudonym;
use crate::config::EidConfig;
use crate::eac::{EacAuthenticator, EacCredentials, encode_pkcs8};
use crate::provider::Provider;
use crate::relay::{ClientBody, RelayError, ServiceBody, Start, TransmitResponses};

const PIN: &str = "123456";
const CAN: &str = "222222";
const PUK: &str = "3333333333";
const CURVE: Curve = Curve::BrainpoolP256r1;

/// The service's credentials and two cards it trusts.
///
/// Both cards come from one production batch, as with the nPA: the same
/// EF.CardSecurity (CA key, signed by a document signer under the trusted
/// test CSCA) and each its own Restricted Identification key.
pub(crate) struct TestEid {
    /// The terminal PKI the trusted cards know.
    pub(crate) pki: TestPki,
    /// The batch's chip data, under the trusted CSCA.
    pub(crate) chip: CardSecurityFixture,
    /// The RI keys of card one and card two.
    pub(crate) ri_keys: [TestKey; 2],
    /// The service's RI sector key.
    pub(crate) sector: TestKey,
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

impl TestEid {
    pub(crate) fn generate() -> Self {
        Self {
            pki: TestPki::generate(CURVE),
            chip: CardSecurityFixture::generate(CURVE),
            ri_keys: [TestKey::generate(CURVE), TestKey::generate(CURVE)],
            sector: TestKey::generate(CURVE),
        }
    }

    /// The service side, in memory.
    pub(crate) fn credentials(&self) -> EacCredentials {
        EacCredentials {
            chain: self
                .pki
                .chain()
                .iter()
                .map(|c| c.to_bytes().to_vec())
                .collect(),
            terminal_key_pkcs8: encode_pkcs8(CURVE, self.pki.terminal_key.secret()),
            certificate_description: self.pki.description.to_der(),
            trust_list: vec![self.chip.csca_der.clone()],
            sector_public_key: self.sector.public.clone(),
        }
    }

    pub(crate) fn authenticator(&self) -> EacAuthenticator {
        EacAuthenticator::new(self.credentials()).unwrap()
    }

    /// Writes the service's files into `dir` (key 0600) and returns the
    /// `[eid]` section naming them.
    pub(crate) fn write_files(&self, dir: &Path) -> EidConfig {
        let credentials = self.credentials();
        let mut chain = Vec::new();
        for (name, der) in ["dv.cvcert", "terminal.cvcert"]
            .iter()
            .zip(&credentials.chain)
        {
            std::fs::write(dir.join(name), der).unwrap();
            chain.push(dir.join(name));
        }
        let key = dir.join("terminal.pkcs8");
        {
            use std::io::Write as _;
            use std::os::unix::fs::OpenOptionsExt as _;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&key)
                .unwrap();
            file.write_all(&credentials.terminal_key_pkcs8).unwrap();
        }
        std::fs::write(
            dir.join("description.der"),
            &credentials.certificate_description,
        )
        .unwrap();
        let trust: String = credentials
            .trust_list
            .iter()
            .map(|der| pem("CERTIFICATE", der))
            .collect();
        std::fs::write(dir.join("csca.pem"), trust).unwrap();
        std::fs::write(dir.join("sector.pub"), &credentials.sector_public_key).unwrap();
        EidConfig {
            terminal_certificate_chain: chain,
            terminal_key: key,
            certificate_description: dir.join("description.der"),
            trust_list: dir.join("csca.pem"),
            sector_public_key: dir.join("sector.pub"),
        }
    }

    /// Trusted card `i` (0 or 1).
    pub(crate) fn card(&self, i: usize) -> FakeCard {
        let mut eac = FakeEac::from_fixture(&self.pki, &self.chip);
        eac.ri_secret = Zeroizing::new(self.ri_keys[i].secret().to_vec());
        FakeCard::with_eac(PIN, CAN, PUK, eac)
    }

    /// A card that knows the terminal PKI but whose EF.CardSecurity is
    /// signed under a CSCA the service does not trust (same name as the
    /// trusted one, other key).
    pub(crate) fn card_under_unknown_csca(&self) -> FakeCard {
        let chip = CardSecurityFixture::generate(CURVE);
        FakeCard::with_eac(PIN, CAN, PUK, FakeEac::from_fixture(&self.pki, &chip))
    }

    /// A trusted chip whose card trusts another CVCA (same name, other key),
    /// so it refuses the service's terminal chain.
    pub(crate) fn card_with_other_cvca(&self) -> FakeCard {
        let other = TestPki::generate(CURVE);
        FakeCard::with_eac(PIN, CAN, PUK, FakeEac::from_fixture(&other, &self.chip))
    }

    /// The pseudonym card `i` must yield in this sector (computed
    /// independently: SHA-256 of the ECDH of its RI key and the sector key).
    pub(crate) fn expected_pseudonym(&self, i: usize) -> SectorPseudonym {
        let shared =
            g2c_eid::ec::ecdh(CURVE, self.ri_keys[i].secret(), &self.sector.public).unwrap();
        SectorPseudonym::new(sha2::Sha256::digest(shared.as_slice()).to_vec())
    }

    /// A valid `start` (PACE on a fresh trusted card), for tests of the
    /// provider's message rules.
    pub(crate) fn start(&self) -> Start {
        use crate::authenticator::EidAuthenticator as _;
        let mut card = self.card(0);
        let chat = self.authenticator().hello().required_chat;
        pace(&mut card, &chat).0
    }
}

/// The app: reads EF.CardAccess, runs PACE with the PIN and `chat`, and
/// returns the `start` message and its card-side relay.
pub(crate) fn pace<'a>(
    card: &'a mut FakeCard,
    chat: &[u8],
) -> (Start, ClientRelay<&'a mut FakeCard>) {
    let read = CommandApdu::new(0x00, 0xB0, 0x9C, 0x00)
        .with_le(256)
        .unwrap();
    let card_access = card.transmit(&read).unwrap().into_data();
    let params = PaceParameters::select(&SecurityInfos::parse(&card_access).unwrap()).unwrap();
    let pin = Pin::new(PIN).unwrap();
    let outcome = pace::establish(
        card,
        Pace::new(&params, Password::Pin(&pin), Some(chat)).unwrap(),
    )
    .unwrap();
    let start = Start::from_pace(card_access, &outcome.session_info(), None);
    (start, ClientRelay::new(card, outcome.keys))
}

/// The app's whole relay run against `provider` directly (no HTTP):
/// `hello`, PACE, `start`, the batches. Returns `done.redirect_to`.
pub(crate) fn run_card(
    provider: &Provider,
    session: &str,
    card: &mut FakeCard,
) -> Result<String, RelayError> {
    let ServiceBody::Hello(hello) = provider.relay(session, ClientBody::Hello)? else {
        panic!("expected hello");
    };
    let (start, mut relay) = pace(card, &hello.required_chat);
    let mut next = provider.relay(session, ClientBody::Start(start))?;
    loop {
        match next {
            ServiceBody::Done { redirect_to } => return Ok(redirect_to),
            ServiceBody::Transmit(batch) => {
                let responses = relay
                    .run(&Batch {
                        protection: batch.secure_messaging.into(),
                        commands: batch.commands,
                    })
                    .unwrap();
                next = provider.relay(
                    session,
                    ClientBody::Transmit(TransmitResponses {
                        step: batch.step,
                        responses,
                    }),
                )?;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
