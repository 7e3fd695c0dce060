//! The eID half of the stack: the virtual nPA with a PKI made for this run,
//! and the login service that authenticates it, in this process, over TLS.
//!
//! The order matters because each side must know the other: the login
//! service listens first (its issuer URL goes into Synapse's
//! `oidc_providers`), Synapse starts trusting the run's TLS CA through
//! `SSL_CERT_FILE` and verifying the provider's metadata fully, and then
//! the provider learns Synapse's callback URL ([`EidService::admit`]).
//! Nothing here is a stand-in: it is the login service's own
//! `EacAuthenticator` talking to the card through the app's relay.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use g2c_authority::trust::AttestationVerifier;
use g2c_login_service::clock::SystemClock;
use g2c_login_service::config::{ClientConfig, Config};
use g2c_login_service::eac::EacAuthenticator;
use g2c_login_service::provider::Provider;
use g2c_login_service::server::{Transport, serve};
use g2c_login_service::signing::SigningKey;
use g2c_testkit::{
    LOGIN_SERVICE_CLIENT_ID, LOGIN_SERVICE_IDP_ID, TestTls, TestTlsFiles, VIRTUAL_CARD_PIN,
    VirtualCard, VirtualCardPki, login_service_config, login_service_oidc_config,
};
use zeroize::Zeroizing;

/// The `idp_id` of the provider in Synapse's config; clients ask for
/// `oidc-` + this.
pub const IDP_ID: &str = LOGIN_SERVICE_IDP_ID;

/// The virtual card and the login service, running.
pub struct EidService {
    provider: Arc<Provider>,
    client_secret: Zeroizing<String>,
    tls_files: TestTlsFiles,
    /// The login service's JWKS, for verifiers of its eID attestations.
    jwks_file: PathBuf,
    card: VirtualCard,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl EidService {
    /// Generates the PKI in `dir`, starts the card and the login service.
    pub async fn start(dir: &Path) -> anyhow::Result<Self> {
        let pki = VirtualCardPki::generate(dir).context("generating the card's PKI")?;
        let card = tokio::task::block_in_place(|| VirtualCard::start_with_pki(&pki))
            .context("starting the virtual card")?;
        let tls_files = TestTls::generate()
            .and_then(|tls| tls.write_to(dir))
            .context("the login service's TLS certificate")?;

        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let listen = listener.local_addr()?;
        let config = Config::parse(&login_service_config(listen, &tls_files, &pki.eid))
            .context("the login service's configuration")?;
        let tls = config.tls.as_ref().context("TLS configured")?;
        let transport = Transport::tls_from_pem_files(&tls.certificate_chain, &tls.private_key)
            .await
            .context("loading the TLS certificate")?;
        let authenticator =
            EacAuthenticator::from_config(&config.eid).context("the eID configuration")?;
        let provider = Arc::new(Provider::new(
            &config.issuer,
            Vec::new(),
            config.lifetimes,
            SigningKey::generate().context("an ID token signing key")?,
            Arc::new(authenticator),
            Arc::new(SystemClock),
        )?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = g2c_login_service::http::router(provider.clone());
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = serve(listener, transport, router, shutdown).await {
                tracing::error!(%error, "the login service stopped");
            }
        });
        tracing::info!(
            issuer = config.issuer,
            reader = card.reader_name(),
            "eID login service is up"
        );

        let jwks_file = dir.join("login-service-jwks.json");
        std::fs::write(&jwks_file, provider.jwks().to_string())
            .context("writing the login service's JWKS")?;
        Ok(Self {
            provider,
            client_secret: random_secret()?,
            tls_files,
            jwks_file,
            card,
            stop: Some(stop),
        })
    }

    /// The `oidc_providers` (and `sso`) YAML for Synapse.
    pub fn synapse_config(&self) -> String {
        login_service_oidc_config(self.provider.issuer(), &self.client_secret)
    }

    /// The environment Synapse needs to trust the provider's TLS.
    pub fn synapse_env(&self) -> Vec<(String, String)> {
        self.tls_files.synapse_env()
    }

    /// Registers Synapse (its base URL) as the provider's one client.
    pub fn admit(&self, synapse_base_url: &str) -> anyhow::Result<()> {
        self.provider.set_clients(vec![ClientConfig {
            client_id: LOGIN_SERVICE_CLIENT_ID.into(),
            client_secret: self.client_secret.clone(),
            redirect_uris: vec![format!("{synapse_base_url}/_synapse/client/oidc/callback")],
        }])?;
        Ok(())
    }

    /// What clients need: the reader, the PIN, the CA to trust, and the
    /// Matrix id the card's citizen gets.
    pub fn info(&self, user_id: String) -> crate::ready::Eid {
        crate::ready::Eid {
            user_id,
            identity_provider: format!("oidc-{IDP_ID}"),
            reader: self.card.reader_name().to_owned(),
            pin: VIRTUAL_CARD_PIN.to_owned(),
            ca_file: self.tls_files.ca_certificate.display().to_string(),
            attestation_issuer: self.provider.issuer().to_owned(),
            attestation_jwks_file: self.jwks_file.display().to_string(),
        }
    }

    /// A verifier of the login service's eID attestations (for the
    /// authority: notices only to attested citizens).
    pub fn attestation_verifier(&self) -> anyhow::Result<AttestationVerifier> {
        Ok(AttestationVerifier::new(
            self.provider.issuer(),
            &self.provider.jwks().to_string(),
        )?)
    }
}

impl Drop for EidService {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn random_secret() -> anyhow::Result<Zeroizing<String>> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("random: {e}"))?;
    Ok(Zeroizing::new(
        bytes.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}
