//! `g2c-stack`: the local world the app talks to in the demo and in the
//! end-to-end tests, started in one process and torn down together.
//!
//! It starts a real Synapse on loopback (crates/testkit), and with `--eid`
//! also the virtual nPA behind pcscd and the eID login service that
//! Synapse trusts as its OpenID Connect provider ([`eid`]); it registers an
//! authority account and a citizen account with passwords (the citizen's
//! password is only for development builds with the `dev-login` feature),
//! prints one JSON line describing all of it on stdout, and keeps running
//! until its stdin closes or it gets Ctrl-C / SIGTERM. Logs go to stderr.
//!
//! stdout is a contract read by `tests/e2e` and `scripts/demo.sh`:
//!
//! ```json
//! {"event":"ready","homeserver":"http://127.0.0.1:PORT",
//!  "authority":{"user_id":"@fischereiamt-…:localhost","user":"fischereiamt-…","password":"…"},
//!  "citizen":{"user_id":"@citizen-…:localhost","user":"citizen-…","password":"…"},
//!  "eid":{"identity_provider":"oidc-amtsbote-eid","reader":"Virtual PCD 00 00",
//!         "pin":"111111","ca_file":"/tmp/…/test-ca.pem",
//!         "attestation_issuer":"https://127.0.0.1:PORT",
//!         "attestation_jwks_file":"/tmp/…/login-service-jwks.json"},
//!  "trust":{"roots_file":"/tmp/…/roots.pem","authority_chain":"/tmp/…/authority-chain.pem",
//!           "authority_key":"/tmp/…/authority-key.pem","authority_name":"Fischereiamt Berlin"}}
//! ```
//!
//! (`"eid": null` without `--eid`.) `trust` is a test government PKI made
//! at start (`g2c_testkit::AuthorityPki`): the app trusts `roots_file`
//! (`AMTSBOTE_TRUST_ROOTS`), and the authority publishes `authority_chain`
//! with `authority_key` in its request rooms (`g2c-authority run-scenario
//! --certificate … --certificate-key …`, which `--scenario` does too), so
//! the app shows it verified as `authority_name`. The authority sends
//! notices only to citizens with the login service's eID attestation
//! (`g2c-authority run-scenario --require-attestation <attestation_issuer>
//! --attestation-jwks <attestation_jwks_file>`, which `--scenario` does
//! too). With `--eid --scenario FILE` the
//! authority plays that scenario (e.g. `scenarios/fishing-permit.toml`)
//! for the card's citizen as soon as they have logged in ([`scenario`]),
//! and every answer it receives follows as a JSON line. The eID parts need root (pcscd) and the
//! virtual card's tools from `scripts/setup.sh`.
//!
//! Passwords are printed because this is a throw-away test world on
//! loopback whose accounts exist only as long as this process runs.

mod eid;
mod ready;
mod scenario;

use anyhow::Context as _;
use g2c_testkit::{Synapse, SynapseOptions};
use tokio::io::AsyncReadExt as _;

use crate::ready::{Account, Ready};

/// The authority's name in its test certificate: the name the scenarios'
/// requests give (scenarios/fishing-permit.toml), so the app verifies it.
const AUTHORITY_NAME: &str = "Fischereiamt Berlin";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    // Both rustls providers are in the graph (through different crates):
    // choose one for the login service's TLS server, the same one the
    // login service's own binary uses.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();

    let args: Vec<String> = std::env::args().skip(1).collect();
    let with_eid = args.iter().any(|arg| arg == "--eid");
    let scenario_file = args
        .iter()
        .position(|arg| arg == "--scenario")
        .map(|i| args.get(i + 1).context("--scenario needs a file"))
        .transpose()?
        .map(|file| scenario::resolve(std::path::Path::new(file)));
    if scenario_file.is_some() && !with_eid {
        anyhow::bail!("--scenario plays for the virtual card's citizen: it needs --eid");
    }
    let dir = tempfile::Builder::new().prefix("g2c-stack-").tempdir()?;
    let eid = if with_eid {
        Some(eid::EidService::start(dir.path()).await?)
    } else {
        None
    };
    let options = match &eid {
        Some(eid) => SynapseOptions {
            extra_config: eid.synapse_config(),
            env: eid.synapse_env(),
        },
        None => SynapseOptions::default(),
    };
    let synapse = Synapse::start_with(options)
        .await
        .context("starting Synapse")?;
    if let Some(eid) = &eid {
        eid.admit(synapse.base_url())?;
    }
    tracing::info!(homeserver = synapse.base_url(), "Synapse is up");
    let authority = synapse
        .register_user("fischereiamt")
        .await
        .context("registering the authority")?;
    let citizen = synapse
        .register_user("citizen")
        .await
        .context("registering the citizen")?;
    let pki_dir = dir.path().join("trust");
    std::fs::create_dir(&pki_dir).context("creating the PKI directory")?;
    let pki_files = g2c_testkit::AuthorityPki::generate(AUTHORITY_NAME, &authority.user_id)
        .and_then(|pki| pki.write_to(&pki_dir))
        .context("generating the test government PKI")?;

    Ready {
        homeserver: synapse.base_url().to_owned(),
        authority: Account::from(&authority),
        citizen: Account::from(&citizen),
        eid: eid
            .as_ref()
            .map(|eid| eid.info(scenario::citizen_user_id(synapse.server_name()))),
        trust: ready::Trust::new(&pki_files, AUTHORITY_NAME),
    }
    .print()?;

    if let Some(file) = scenario_file {
        let attestation = eid
            .as_ref()
            .context("--scenario needs --eid")?
            .attestation_verifier()
            .context("the login service's attestation verifier")?;
        let player = scenario::play(
            synapse.base_url().to_owned(),
            authority.clone(),
            citizen.clone(),
            scenario::EidCitizen {
                user_id: scenario::citizen_user_id(synapse.server_name()),
                attestation,
            },
            file,
            dir.path().join("authority"),
            pki_files.clone(),
        );
        tokio::spawn(async move {
            if let Err(error) = player.await {
                tracing::error!("the scenario failed: {error:#}");
            }
        });
    }

    wait_for_the_end().await;
    tracing::info!("stopping");
    drop(synapse);
    drop(eid);
    Ok(())
}

/// Returns when stdin reaches its end (the parent is done with us or died)
/// or on Ctrl-C / SIGTERM.
async fn wait_for_the_end() {
    let stdin_closed = async {
        let mut stdin = tokio::io::stdin();
        let mut buffer = [0u8; 256];
        loop {
            match stdin.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    };
    let terminated = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    term.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    };
    tokio::select! {
        () = stdin_closed => {}
        () = terminated => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
