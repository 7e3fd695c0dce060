//! End to end: a real Synapse logs citizens in through this provider, with
//! the real eID step.
//!
//! The app's path without a browser: SSO redirect at Synapse → `/authorize`
//! (JSON) → the relay with [`RelayClient`] around g2c-eid's card-side
//! relay and a [`FakeCard`](g2c_eid::fake_card::FakeCard) (card side of
//! PACE, TA, CA and RI) → back to Synapse's callback → `loginToken` at the
//! app's loopback → `m.login.token`. Synapse's part of that walk is
//! `g2c_testkit::SsoWalk`, shared with the virtual-card test; the app's own
//! walk ([`SsoLogin`]) is tested beside it.
//!
//! The provider is built as the binary builds it: a TOML configuration
//! (parsed and validated by [`Config::parse`]) naming the eID files and the
//! TLS certificate, all generated at test time into a temporary directory
//! (test CV PKI and chips from g2c-eid, a TLS CA from `g2c_testkit::TestTls`). It serves
//! HTTPS with an `https` issuer, and Synapse verifies the provider's
//! metadata fully (no `skip_verification`): Synapse's HTTP client for OIDC
//! (`RegularPolicyForHTTPS`) trusts OpenSSL's default verify paths, which
//! honour `SSL_CERT_FILE` in its environment, set here to the test CA. The
//! certificate is for the IP address 127.0.0.1, which Synapse checks.

use std::sync::Arc;

use g2c_eid::fake_card::FakeCard;
use g2c_testkit::{
    EidServiceFiles, LOGIN_SERVICE_CLIENT_ID as CLIENT_ID, SsoWalk, Synapse, SynapseOptions,
    TestTls, TestTlsFiles, login_service_config, login_service_oidc_config,
};
use zeroize::Zeroizing;

use crate::attestation::{ATTESTATION_AUDIENCE, AttestationClaims};
use crate::client::{ClientError, RelayClient};
use crate::clock::SystemClock;
use crate::config::{ClientConfig, Config};
use crate::eac::EacAuthenticator;
use crate::provider::Provider;
use crate::pseudonym;
use crate::relay::{RelayError, RelayErrorCode};
use crate::server::{Transport, serve};
use crate::signing::SigningKey;
use crate::sso::{AttestationTicket, SsoError, SsoLogin, Terms};
use crate::test_support::{TestEid, pace};

/// A cross-signing master key as the app would send it (32 bytes, unpadded
/// base64).
const MASTER_KEY: &str = "dGhpcnR5LXR3by1ieXRlcy1vZi1tYXN0ZXIta2V5ISE";

fn random_secret() -> Zeroizing<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).unwrap();
    Zeroizing::new(data_encoding::HEXLOWER.encode(&bytes))
}

/// The service's configuration file, as an operator would write it
/// ([`login_service_config`]), naming `eid`'s files written into `dir`.
fn config_toml(
    listen: std::net::SocketAddr,
    dir: &std::path::Path,
    tls: &TestTlsFiles,
    eid: &TestEid,
) -> String {
    let files = eid.write_files(dir);
    let eid = EidServiceFiles {
        terminal_certificate_chain: files.terminal_certificate_chain,
        terminal_key: files.terminal_key,
        certificate_description: files.certificate_description,
        trust_list: files.trust_list,
        sector_public_key: files.sector_public_key,
    };
    login_service_config(listen, tls, &eid)
}

/// How a login ended.
#[derive(Debug)]
enum Outcome {
    /// Logged in as this Matrix user.
    LoggedIn(String),
    /// The service refused during the relay.
    Refused(RelayError),
}

/// One full SSO login of a fresh app with `card`, walked by hand
/// ([`SsoWalk`]).
async fn login(synapse: &Synapse, ca: &reqwest::Certificate, card: &mut FakeCard) -> Outcome {
    let (walk, authorize_url) = SsoWalk::start(synapse, ca).await;
    assert!(
        authorize_url.starts_with("https://127.0.0.1:"),
        "{authorize_url}"
    );

    let relay = RelayClient::join(walk.http().clone(), &authorize_url)
        .await
        .unwrap();
    let hello = relay.hello().await.unwrap();
    assert_eq!(hello.description.subject_name, "Amtsbote Testdienst");
    // The app shows the description and CHAT, the citizen enters the PIN.
    let (pace_start, mut card_relay) = pace(card, &hello.required_chat);
    match relay.run(pace_start, &mut card_relay).await {
        // Back to Synapse's callback, then on to the app's loopback.
        Ok(redirect) => Outcome::LoggedIn(walk.log_in(redirect).await),
        Err(ClientError::Refused(error)) => {
            // The flow ends at Synapse with an error, never with a login.
            let back = error.redirect_to.as_deref().expect("an error redirect");
            walk.assert_no_login_token(back).await;
            Outcome::Refused(error)
        }
        Err(other) => panic!("relay failed: {other}"),
    }
}

/// One login the way the app does it: [`SsoLogin`] from the homeserver to
/// `hello` (checked), PACE, [`EidLoginSession::finish`](crate::sso::EidLoginSession::finish)
/// back to the login token, then `m.login.token`. Returns the user id and
/// the ticket for the account's eID attestation.
async fn login_as_the_app(
    synapse: &Synapse,
    ca: &reqwest::Certificate,
    card: &mut FakeCard,
) -> (String, AttestationTicket) {
    let session = SsoLogin::new(synapse.base_url(), "oidc-amtsbote-eid")
        .with_root_certificate(ca.clone())
        .begin()
        .await
        .unwrap();
    let consent = session.consent().clone();
    assert_eq!(consent.provider_name, "Amtsbote Testdienst");
    assert!(
        matches!(consent.terms, Terms::Text(ref t) if !t.is_empty()),
        "{consent:?}"
    );
    assert_eq!(
        consent.required_rights,
        vec![g2c_eid::cvc::AccessRight::RestrictedIdentification]
    );
    let (start, mut relay) = pace(card, session.required_chat());
    let finished = session.finish(start, &mut relay).await.unwrap();
    // The ticket never shows the session id.
    assert_eq!(
        format!("{:?}", finished.attestation),
        "AttestationTicket { .. }"
    );
    let user_id = synapse
        .log_in_with_token(finished.login_token.as_str())
        .await
        .unwrap();
    (user_id, finished.attestation)
}

/// Verifies `jwt` with the provider's published JWKS and returns its claims.
fn verified_attestation(provider: &Provider, jwt: &str) -> AttestationClaims {
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(provider.jwks()).unwrap();
    let kid = jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[ATTESTATION_AUDIENCE]);
    validation.set_issuer(&[provider.issuer()]);
    jsonwebtoken::decode::<AttestationClaims>(jwt, &key, &validation)
        .unwrap()
        .claims
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
async fn citizens_log_in_to_synapse_with_the_eid_card_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let eid = TestEid::generate();
    let test_tls = TestTls::generate().unwrap();
    let tls_files = test_tls.write_to(dir.path()).unwrap();
    let ca = test_tls.reqwest_ca_certificate().unwrap();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = listener.local_addr().unwrap();
    let config = Config::parse(&config_toml(listen, dir.path(), &tls_files, &eid)).unwrap();
    let tls = config.tls.as_ref().unwrap();
    let transport = Transport::tls_from_pem_files(&tls.certificate_chain, &tls.private_key)
        .await
        .unwrap();
    let authenticator = EacAuthenticator::from_config(&config.eid).unwrap();

    // Clients are registered once Synapse's port (its callback URL) is known.
    let provider = Arc::new(
        Provider::new(
            &config.issuer,
            config.clients.clone(),
            config.lifetimes,
            SigningKey::generate().unwrap(),
            Arc::new(authenticator),
            Arc::new(SystemClock),
        )
        .unwrap(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        transport,
        crate::http::router(provider.clone()),
        async {
            let _ = stopped.await;
        },
    ));

    let secret = random_secret();
    // Full metadata verification: https issuer, endpoints below it, TLS
    // checked against the test CA via SSL_CERT_FILE.
    let extra_config = login_service_oidc_config(&config.issuer, &secret);
    assert!(!extra_config.contains("skip_verification"));
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

    let user = |i: usize| {
        format!(
            "@{}:{}",
            pseudonym::localpart(&eid.expected_pseudonym(i)),
            synapse.server_name()
        )
    };

    // Card one: its account is named after its RI pseudonym in this sector.
    let mut card_one = eid.card(0);
    let first = logged_in(login(&synapse, &ca, &mut card_one).await);
    assert_eq!(first, user(0));
    assert!(first.starts_with("@c-"));
    // The same card again, through the app's own SSO walk: the same account,
    // and its ticket gets the account's master key attested, once.
    let (again, ticket) = login_as_the_app(&synapse, &ca, &mut card_one).await;
    assert_eq!(again, first);
    let jwt = ticket.fetch_attestation(&first, MASTER_KEY).await.unwrap();
    let claims = verified_attestation(&provider, &jwt);
    assert_eq!(claims.sub, first);
    assert_eq!(claims.master_key, MASTER_KEY);
    assert_eq!(claims.iss, config.issuer);
    // A renewal of the attestation without a new login: the eID step
    // only, stopping before Synapse's callback; its ticket attests card
    // one's account once more.
    let session = SsoLogin::new(synapse.base_url(), "oidc-amtsbote-eid")
        .with_root_certificate(ca.clone())
        .begin()
        .await
        .unwrap();
    let (start, mut relay) = pace(&mut card_one, session.required_chat());
    let ticket = session
        .finish_for_attestation(start, &mut relay)
        .await
        .unwrap();
    let renewed = ticket.fetch_attestation(&first, MASTER_KEY).await.unwrap();
    let claims = verified_attestation(&provider, &renewed);
    assert_eq!(claims.sub, first);
    assert_eq!(claims.master_key, MASTER_KEY);
    // Another card: another account.
    let second = logged_in(login(&synapse, &ca, &mut eid.card(1)).await);
    assert_eq!(second, user(1));
    assert_ne!(second, first);
    // A ticket of card one's login does not attest card two's account.
    let (_, ticket) = login_as_the_app(&synapse, &ca, &mut card_one).await;
    let error = ticket
        .fetch_attestation(&second, MASTER_KEY)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SsoError::Attestation(reason) if reason.starts_with("403")),
        "{error}"
    );

    // EF.CardSecurity signed under a CSCA the service does not trust.
    let error = refused(login(&synapse, &ca, &mut eid.card_under_unknown_csca()).await);
    assert_eq!(error.code, RelayErrorCode::CardNotTrusted, "{error}");
    // A card that trusts another CVCA refuses the service's terminal chain.
    let error = refused(login(&synapse, &ca, &mut eid.card_with_other_cvca()).await);
    assert_eq!(error.code, RelayErrorCode::TerminalNotAccepted, "{error}");

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
