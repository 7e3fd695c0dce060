//! End to end: a real Synapse logs a citizen in through this provider.
//!
//! The app's path without a browser: SSO redirect at Synapse → `/authorize`
//! (JSON) → the relay with the [`RelayClient`] and a test card → back to
//! Synapse's callback → `loginToken` at the app's loopback → `m.login.token`.
//!
//! The eID step here is [`UnverifiedTestAuthenticator`] (no TA/CA/RI
//! cryptography): this test proves the OpenID Connect and relay plumbing
//! with Synapse, not the eID protocols.
//!
//! Synapse insists on an https issuer in its metadata checks, and the test
//! harness cannot yet make Synapse trust a test CA (it would need
//! `SSL_CERT_FILE` in Synapse's environment), so the provider entry sets
//! `skip_verification: true` and the provider serves plain HTTP on
//! loopback. Production requires TLS and full verification.

use std::sync::Arc;

use g2c_testkit::{Synapse, SynapseOptions};
use zeroize::Zeroizing;

use crate::client::RelayClient;
use crate::clock::SystemClock;
use crate::config::{ClientConfig, Lifetimes};
use crate::provider::Provider;
use crate::pseudonym;
use crate::relay::SecureMessaging;
use crate::server::{Transport, serve};
use crate::signing::SigningKey;
use crate::test_support::{TestCard, UnverifiedTestAuthenticator, test_start};

const CLIENT_ID: &str = "synapse";
const APP_REDIRECT: &str = "http://127.0.0.1:9/cb";

fn random_secret() -> Zeroizing<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).unwrap();
    Zeroizing::new(data_encoding::HEXLOWER.encode(&bytes))
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("expected a redirect, got {}", response.status()))
        .to_owned()
}

/// One full SSO login with `pseudonym` on the card; returns the user id.
async fn login(synapse: &Synapse, pseudonym: &[u8]) -> String {
    // A fresh app: its own cookie jar, and it follows redirects itself.
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let start = http
        .get(format!(
            "{}/_matrix/client/v3/login/sso/redirect/oidc-amtsbote-eid?redirectUrl={}",
            synapse.base_url(),
            url::form_urlencoded::byte_serialize(APP_REDIRECT.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .unwrap();
    assert!(start.status().is_redirection(), "{}", start.status());
    let authorize_url = location(&start);

    let relay = RelayClient::join(http.clone(), &authorize_url)
        .await
        .unwrap();
    let hello = relay.hello().await.unwrap();
    assert_eq!(hello.description.subject_name, "Amtsbote test login");
    let mut card = TestCard {
        pseudonym: pseudonym.to_vec(),
        seen: Vec::new(),
    };
    let mut redirect = relay.run(test_start(), &mut card).await.unwrap();
    assert_eq!(
        card.seen,
        [SecureMessaging::Client, SecureMessaging::Service]
    );

    // Back to Synapse's callback, then on to the app's loopback.
    let mut hops = 0;
    let login_token = loop {
        assert!(
            redirect.starts_with(synapse.base_url()),
            "left Synapse: {redirect}"
        );
        let response = http.get(&redirect).send().await.unwrap();
        if !response.status().is_redirection() {
            let status = response.status();
            panic!(
                "Synapse answered {status}: {}",
                response.text().await.unwrap()
            );
        }
        redirect = location(&response);
        if redirect.starts_with(APP_REDIRECT) {
            let url = url::Url::parse(&redirect).unwrap();
            break url
                .query_pairs()
                .find(|(k, _)| k == "loginToken")
                .map(|(_, v)| v.into_owned())
                .expect("loginToken in the redirect to the app");
        }
        hops += 1;
        assert!(hops < 5, "too many redirects");
    };

    let login: serde_json::Value = http
        .post(format!("{}/_matrix/client/v3/login", synapse.base_url()))
        .json(&serde_json::json!({ "type": "m.login.token", "token": login_token }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    login["user_id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_logs_in_to_synapse_through_the_eid_relay() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let secret = random_secret();

    // Clients are registered once Synapse's port (its callback URL) is known;
    // Synapse fetches the discovery document while it starts.
    let provider = Arc::new(
        Provider::new(
            &issuer,
            Vec::new(),
            Lifetimes::default(),
            SigningKey::generate().unwrap(),
            Arc::new(UnverifiedTestAuthenticator),
            Arc::new(SystemClock),
        )
        .unwrap(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        Transport::PlainOnLoopback,
        crate::http::router(provider.clone()),
        async {
            let _ = stopped.await;
        },
    ));

    let extra_config = format!(
        r#"
oidc_providers:
  - idp_id: amtsbote-eid
    idp_name: "Personalausweis"
    issuer: "{issuer}"
    client_id: "{CLIENT_ID}"
    client_secret: "{secret}"
    scopes: ["openid"]
    # Loopback test only: plain-HTTP issuer, so Synapse's metadata checks
    # are off. Production: https issuer, TLS, full verification.
    skip_verification: true
    user_mapping_provider:
      config:
        localpart_template: "{{{{ user.sub }}}}"
sso:
  client_whitelist: ["http://127.0.0.1:"]
"#,
        secret = secret.as_str()
    );
    let synapse = Synapse::start_with(SynapseOptions { extra_config })
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

    let card = b"RI pseudonym of test card one";
    let expected = format!(
        "@{}:{}",
        pseudonym::localpart(&crate::authenticator::SectorPseudonym::new(card.to_vec())),
        synapse.server_name()
    );
    let user_id = login(&synapse, card).await;
    assert_eq!(user_id, expected);
    assert!(user_id.starts_with("@c-"));

    // The same card again: the same account. Another card: another one.
    assert_eq!(login(&synapse, card).await, expected);
    let other = login(&synapse, b"RI pseudonym of test card two").await;
    assert_ne!(other, expected);

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
