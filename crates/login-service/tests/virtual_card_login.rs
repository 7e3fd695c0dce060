//! The login-service's real eID step against the virtual nPA behind real
//! PC/SC: vicc (`-t nPA`, OpenPACE's card side) in vpcd behind pcscd,
//! started by `g2c_testkit::VirtualCard` with the PKI of
//! `g2c_testkit::VirtualCardPki` (the card trusts its CVCA, holds the CA
//! key of its EF.CardSecurity, signed under its CSCA).
//!
//! The app's side is g2c-eid's: PACE with PIN 111111 and the CHAT from
//! `hello` over `g2c_eid::reader`, then `ClientRelay` runs the service's
//! batches on the card. The service's side is [`EacAuthenticator`] built
//! from the `[eid]` files: TA v2, EF.CardSecurity against the CSCA trust
//! list, CA v2, RI under the CA keys.
//!
//! vicc answers Restricted Identification with a fixed value whatever the
//! sector, so the pseudonym is asserted to be exactly that value (read end
//! to end under the CA keys); that pseudonyms differ per card and per
//! sector is shown with g2c-eid's `FakeCard` (`src/sso_tests.rs`,
//! `src/eac.rs`).
//!
//! Needs root and `scripts/virtual-card/setup.sh` (like every virtual-card
//! test).

use g2c_eid::apdu::CommandApdu;
use g2c_eid::card_access::SecurityInfos;
use g2c_eid::eac::Batch;
use g2c_eid::pace::{self, Pace, PaceParameters};
use g2c_eid::reader::{PcscCard, ReaderContext};
use g2c_eid::relay::ClientRelay;
use g2c_eid::secrets::{Password, Pin};
use g2c_eid::transport::CardTransport;
use g2c_login_service::authenticator::{EidAuthenticator as _, EidError, EidStep};
use g2c_login_service::config::EidConfig;
use g2c_login_service::eac::EacAuthenticator;
use g2c_login_service::relay::Start;
use g2c_testkit::{
    EidServiceFiles, VIRTUAL_CARD_PIN, VIRTUAL_CARD_RI_PSEUDONYM, VirtualCard, VirtualCardPki,
};

fn eid_config(files: &EidServiceFiles) -> EidConfig {
    EidConfig {
        terminal_certificate_chain: files.terminal_certificate_chain.clone(),
        terminal_key: files.terminal_key.clone(),
        certificate_description: files.certificate_description.clone(),
        trust_list: files.trust_list.clone(),
        sector_public_key: files.sector_public_key.clone(),
    }
}

fn connect(card: &VirtualCard) -> PcscCard {
    let ctx = ReaderContext::establish().expect("pcscd");
    ctx.connect(card.reader_name())
        .expect("connect to the card")
}

/// The app: EF.CardAccess, PACE with the PIN and `chat`, the `start`
/// message and the card-side relay.
fn pace_with_pin<'a>(
    card: &'a mut PcscCard,
    chat: &[u8],
) -> (Start, ClientRelay<&'a mut PcscCard>) {
    let read = CommandApdu::new(0x00, 0xB0, 0x9C, 0x00)
        .with_le(256)
        .unwrap();
    let card_access = card.transmit(&read).unwrap().into_data();
    let params = PaceParameters::select(&SecurityInfos::parse(&card_access).unwrap()).unwrap();
    let pin = Pin::new(VIRTUAL_CARD_PIN).unwrap();
    let outcome = pace::establish(
        &mut *card,
        Pace::new(&params, Password::Pin(&pin), Some(chat)).unwrap(),
    )
    .expect("PACE with PIN 111111 and the service's CHAT");
    let start = Start::from_pace(card_access, &outcome.session_info(), None);
    (start, ClientRelay::new(card, outcome.keys))
}

/// One eID authentication of the card in `vcard` by `service`, relayed by
/// the app without HTTP. Returns the pseudonym bytes.
fn authenticate(vcard: &VirtualCard, service: &EacAuthenticator) -> Result<Vec<u8>, EidError> {
    authenticate_with_chat(vcard, service, &service.hello().required_chat)
}

/// As [`authenticate`], with PACE run with `chat` (which the app does not
/// report, so the service cannot refuse it before TA).
fn authenticate_with_chat(
    vcard: &VirtualCard,
    service: &EacAuthenticator,
    chat: &[u8],
) -> Result<Vec<u8>, EidError> {
    let mut card = connect(vcard);
    let (start, mut relay) = pace_with_pin(&mut card, chat);
    let (mut session, mut step) = service.begin(&start)?;
    let mut batches = 0;
    loop {
        match step {
            EidStep::Done(pseudonym) => return Ok(pseudonym.as_bytes().to_vec()),
            EidStep::Transmit {
                secure_messaging,
                commands,
            } => {
                batches += 1;
                assert!(batches <= 8, "too many batches");
                let responses = relay
                    .run(&Batch {
                        protection: secure_messaging.into(),
                        commands,
                    })
                    .expect("the app relays the batch");
                step = session.step(responses)?;
            }
        }
    }
}

#[test]
fn eac_with_the_virtual_card_yields_its_pseudonym() {
    let dir = tempfile::tempdir().unwrap();
    let pki = VirtualCardPki::generate(dir.path()).unwrap();
    let service = EacAuthenticator::from_config(&eid_config(&pki.eid)).unwrap();
    let vcard = VirtualCard::start_with_pki(&pki).expect("virtual card");

    let pseudonym = authenticate(&vcard, &service).unwrap_or_else(|e| {
        panic!(
            "eID authentication failed: {e}\nvicc log: {}",
            vcard.log_dir().join("vicc.log").display()
        )
    });
    assert_eq!(pseudonym, VIRTUAL_CARD_RI_PSEUDONYM);
    // The same card again, in a new session: the same pseudonym.
    assert_eq!(authenticate(&vcard, &service).unwrap(), pseudonym);
}

/// The card grants Restricted Identification only with the right in the
/// CHAT PACE ran with (project patch 0004 to vicc): TA and CA succeed, RI
/// is refused with 6982, and the service ends with a card error.
#[test]
fn the_card_refuses_ri_without_the_right_in_the_pace_chat() {
    use g2c_eid::cvc::{AccessRight, Chat, Role};
    let dir = tempfile::tempdir().unwrap();
    let pki = VirtualCardPki::generate(dir.path()).unwrap();
    let service = EacAuthenticator::from_config(&eid_config(&pki.eid)).unwrap();
    let vcard = VirtualCard::start_with_pki(&pki).expect("virtual card");

    let age_only = Chat::authentication(Role::Terminal, &[AccessRight::AgeVerification]).to_tlv();
    let error = authenticate_with_chat(&vcard, &service, &age_only).unwrap_err();
    assert!(
        matches!(error, EidError::Card { status: 0x6982 }),
        "{error:?}"
    );
    // The same card, PACE with the service's CHAT: the pseudonym.
    assert_eq!(
        authenticate(&vcard, &service).unwrap(),
        VIRTUAL_CARD_RI_PSEUDONYM
    );
}

/// The full login: a real Synapse over TLS logs citizens in through the
/// login-service, whose eID step authenticates the virtual card.
mod sso {
    use std::sync::Arc;

    use g2c_login_service::authenticator::SectorPseudonym;
    use g2c_login_service::client::{ClientError, RelayClient};
    use g2c_login_service::clock::SystemClock;
    use g2c_login_service::config::{ClientConfig, Config};
    use g2c_login_service::eac::EacAuthenticator;
    use g2c_login_service::provider::Provider;
    use g2c_login_service::pseudonym;
    use g2c_login_service::relay::{RelayError, RelayErrorCode};
    use g2c_login_service::server::{Transport, serve};
    use g2c_login_service::signing::SigningKey;
    use g2c_testkit::{
        LOGIN_SERVICE_CLIENT_ID as CLIENT_ID, SsoWalk, Synapse, SynapseOptions, TestTls,
        VIRTUAL_CARD_RI_PSEUDONYM, VirtualCard, VirtualCardFiles, VirtualCardPki,
        login_service_config, login_service_oidc_config,
    };
    use zeroize::Zeroizing;

    use super::{connect, pace_with_pin};

    /// How a login ended.
    #[derive(Debug)]
    enum Outcome {
        LoggedIn(String),
        Refused(RelayError),
    }

    /// One full SSO login of a fresh app with the card in `vcard`.
    async fn login(synapse: &Synapse, ca: &reqwest::Certificate, vcard: &VirtualCard) -> Outcome {
        let (walk, authorize_url) = SsoWalk::start(synapse, ca).await;
        let relay = RelayClient::join(walk.http().clone(), &authorize_url)
            .await
            .unwrap();
        let hello = relay.hello().await.unwrap();
        assert_eq!(hello.description.subject_name, "Amtsbote Testdienst");

        // The app: PACE with the PIN over PC/SC, then the relay.
        let mut card = connect(vcard);
        let (pace_start, mut card_relay) = pace_with_pin(&mut card, &hello.required_chat);
        match relay.run(pace_start, &mut card_relay).await {
            // Back through Synapse's callback to the app's loopback.
            Ok(redirect) => Outcome::LoggedIn(walk.log_in(redirect).await),
            Err(ClientError::Refused(error)) => {
                let back = error.redirect_to.as_deref().expect("an error redirect");
                walk.assert_no_login_token(back).await;
                Outcome::Refused(error)
            }
            Err(other) => panic!("relay failed: {other}"),
        }
    }

    fn logged_in(outcome: Outcome) -> String {
        match outcome {
            Outcome::LoggedIn(user) => user,
            Outcome::Refused(error) => panic!("login refused: {error}"),
        }
    }

    fn refused(outcome: Outcome) -> RelayError {
        match outcome {
            Outcome::Refused(error) => error,
            Outcome::LoggedIn(user) => panic!("logged in as {user}, expected a refusal"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn citizen_logs_in_to_synapse_with_the_virtual_card_over_tls() {
        let dir = tempfile::tempdir().unwrap();
        let pki = VirtualCardPki::generate(&dir.path().join("pki")).unwrap();
        let test_tls = TestTls::generate().unwrap();
        let tls_files = test_tls.write_to(dir.path()).unwrap();
        let ca = test_tls.reqwest_ca_certificate().unwrap();

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let listen = listener.local_addr().unwrap();
        let config = Config::parse(&login_service_config(listen, &tls_files, &pki.eid)).unwrap();
        let tls = config.tls.as_ref().unwrap();
        let transport = Transport::tls_from_pem_files(&tls.certificate_chain, &tls.private_key)
            .await
            .unwrap();
        let provider = Arc::new(
            Provider::new(
                &config.issuer,
                config.clients.clone(),
                config.lifetimes,
                SigningKey::generate().unwrap(),
                Arc::new(EacAuthenticator::from_config(&config.eid).unwrap()),
                Arc::new(SystemClock),
            )
            .unwrap(),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            listener,
            transport,
            g2c_login_service::http::router(provider.clone()),
            async {
                let _ = stopped.await;
            },
        ));

        let mut random = [0u8; 24];
        getrandom::fill(&mut random).unwrap();
        let secret = Zeroizing::new(data_encoding::HEXLOWER.encode(&random));
        let extra_config = login_service_oidc_config(&config.issuer, &secret);
        let synapse = Synapse::start_with(SynapseOptions {
            extra_config,
            env: tls_files.synapse_env(),
        })
        .await
        .unwrap();
        provider
            .set_clients(vec![ClientConfig {
                client_id: CLIENT_ID.into(),
                client_secret: secret.clone(),
                redirect_uris: vec![format!(
                    "{}/_synapse/client/oidc/callback",
                    synapse.base_url()
                )],
            }])
            .unwrap();

        // The virtual card: its account is named after its RI pseudonym
        // (vicc's fixed value), read end to end under the CA keys.
        let expected = format!(
            "@{}:{}",
            pseudonym::localpart(&SectorPseudonym::new(VIRTUAL_CARD_RI_PSEUDONYM.to_vec())),
            synapse.server_name()
        );
        let vcard = VirtualCard::start_with_pki(&pki).expect("virtual card");
        let first = logged_in(login(&synapse, &ca, &vcard).await);
        assert_eq!(first, expected);
        assert!(first.starts_with("@c-"), "{first}");
        // The same card again: the same account.
        assert_eq!(logged_in(login(&synapse, &ca, &vcard).await), first);
        drop(vcard);

        // Another PKI's files, mixed into the card: what the service must refuse.
        let other = VirtualCardPki::generate(&dir.path().join("other")).unwrap();
        // A chip whose EF.CardSecurity is signed under a CSCA the service
        // does not trust (the card still trusts the service's CVCA).
        let vcard = VirtualCard::start_with_args(
            VirtualCardFiles {
                cvca: pki.card.cvca.clone(),
                ..other.card.clone()
            }
            .vicc_args(),
        )
        .expect("virtual card with an untrusted chip");
        let error = refused(login(&synapse, &ca, &vcard).await);
        assert_eq!(error.code, RelayErrorCode::CardNotTrusted, "{error}");
        drop(vcard);
        // A card that trusts another CVCA refuses the service's terminal chain.
        let vcard = VirtualCard::start_with_args(
            VirtualCardFiles {
                cvca: other.card.cvca.clone(),
                ..pki.card.clone()
            }
            .vicc_args(),
        )
        .expect("virtual card trusting another CVCA");
        let error = refused(login(&synapse, &ca, &vcard).await);
        assert_eq!(error.code, RelayErrorCode::TerminalNotAccepted, "{error}");
        drop(vcard);

        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }
}
