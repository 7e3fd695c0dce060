//! `g2c-login-service`: the eID login service (OpenID Connect provider for
//! the homeserver, eID relay endpoint).
//!
//! `g2c-login-service --config login.toml` serves; `g2c-login-service
//! generate-signing-key PATH` writes a new ES256 key (mode 0600).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use g2c_login_service::config::Config;
use g2c_login_service::eac::EacAuthenticator;
use g2c_login_service::server::{Transport, serve};
use g2c_login_service::signing::SigningKey;

#[derive(Parser)]
#[command(version, about = "The Amtsbote eID login service")]
struct Args {
    /// The TOML configuration file.
    #[arg(long, default_value = "/etc/amtsbote/login-service.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Writes a new ID token signing key (PKCS#8 PEM) to a new file.
    GenerateSigningKey {
        /// Where to write it; must not exist.
        path: PathBuf,
    },
    /// Checks the configuration and exits.
    CheckConfig,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    if let Some(Command::GenerateSigningKey { path }) = &args.command {
        let key = SigningKey::generate()?;
        key.save_new(path)?;
        println!("wrote signing key {} to {}", key.kid(), path.display());
        return Ok(());
    }

    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("reading {}", args.config.display()))?;
    let config = Config::parse(&text).with_context(|| format!("in {}", args.config.display()))?;
    let signing_key = match &config.signing_key {
        Some(path) => SigningKey::load(path)?,
        None => {
            tracing::warn!("no signing_key configured: using a fresh key for this process");
            SigningKey::generate()?
        }
    };
    // The eID step: TA v2 with the configured chain and key, EF.CardSecurity
    // against the CSCA trust list, CA v2, RI with the sector key. Any
    // problem with these files stops the service here.
    let authenticator = EacAuthenticator::from_config(&config.eid)
        .context("loading the eID terminal configuration ([eid])")?;
    if matches!(args.command, Some(Command::CheckConfig)) {
        println!(
            "configuration is valid; signing key {}, terminal {}",
            signing_key.kid(),
            authenticator.terminal()
        );
        return Ok(());
    }
    tracing::info!(terminal = %authenticator.terminal(), "eID terminal loaded");
    let authenticator = Arc::new(authenticator);

    let provider = Arc::new(g2c_login_service::provider::Provider::new(
        &config.issuer,
        config.clients.clone(),
        config.lifetimes,
        signing_key,
        authenticator,
        Arc::new(g2c_login_service::clock::SystemClock),
    )?);
    let transport = match &config.tls {
        Some(tls) => Transport::tls_from_pem_files(&tls.certificate_chain, &tls.private_key)
            .await
            .context("loading the TLS certificate and key")?,
        None => Transport::PlainOnLoopback,
    };
    let listener = std::net::TcpListener::bind(config.listen)
        .with_context(|| format!("binding {}", config.listen))?;
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    serve(
        listener,
        transport,
        g2c_login_service::http::router(provider),
        shutdown,
    )
    .await?;
    Ok(())
}
