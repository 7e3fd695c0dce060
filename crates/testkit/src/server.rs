//! The Synapse process: start, readiness, stop, resume, and clean-up on drop.

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::config::{self, SERVER_NAME, Secrets};
use crate::register::{self, RegisteredUser};
use crate::{Error, python};

/// How long a start may take before it counts as failed. Synapse is usually
/// ready in about two seconds; a loaded CI machine can take much longer.
const START_LIMIT: Duration = Duration::from_secs(90);

/// How often readiness is probed while starting.
const PROBE_INTERVAL: Duration = Duration::from_millis(50);

/// Options for a test homeserver.
#[derive(Clone, Debug, Default)]
pub struct SynapseOptions {
    /// YAML appended to the generated `homeserver.yaml` at top level, e.g. an
    /// `oidc_providers` list. It must not repeat a key the harness sets.
    pub extra_config: String,
    /// Environment variables set for the Synapse process, e.g.
    /// `SSL_CERT_FILE` to make it trust a test CA.
    pub env: Vec<(String, String)>,
}

/// A running Synapse homeserver on loopback, owned by one test.
///
/// Dropping it kills the process and deletes its data directory.
pub struct Synapse {
    child: Option<Child>,
    python: PathBuf,
    config_path: PathBuf,
    env: Vec<(String, String)>,
    port: u16,
    base_url: String,
    secrets: Secrets,
    http: reqwest::Client,
    // Declared last so the directory outlives the process it belongs to.
    dir: TempDir,
}

impl std::fmt::Debug for Synapse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Synapse")
            .field("base_url", &self.base_url)
            .field("dir", &self.dir.path())
            .field("pid", &self.pid())
            .finish_non_exhaustive()
    }
}

impl Synapse {
    /// Starts a fresh homeserver with the default options and waits until it
    /// answers.
    pub async fn start() -> Result<Self, Error> {
        Self::start_with(SynapseOptions::default()).await
    }

    /// Starts a fresh homeserver with `options` and waits until it answers.
    pub async fn start_with(options: SynapseOptions) -> Result<Self, Error> {
        let python = python::synapse_python();
        if !python.exists() {
            return Err(Error::NotInstalled { path: python });
        }

        let dir = tempfile::Builder::new().prefix("g2c-synapse-").tempdir()?;
        let port = free_loopback_port()?;
        let secrets = Secrets::generate();
        config::write_signing_key(&dir.path().join("signing.key"))?;
        std::fs::write(
            dir.path().join("log.yaml"),
            config::render_log_config(dir.path()),
        )?;
        let config_path = dir.path().join("homeserver.yaml");
        std::fs::write(
            &config_path,
            config::render(dir.path(), port, &secrets, &options.extra_config),
        )?;

        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        let mut synapse = Self {
            child: None,
            python,
            config_path,
            env: options.env,
            port,
            base_url: format!("http://127.0.0.1:{port}"),
            secrets,
            http,
            dir,
        };
        synapse.resume().await?;
        Ok(synapse)
    }

    /// The client-server API base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The port the homeserver listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The homeserver's server name, the part after the colon in user ids.
    pub fn server_name(&self) -> &'static str {
        SERVER_NAME
    }

    /// The server's data directory (config, SQLite database, media, log).
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process id while the server runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Registers a fresh user whose localpart starts with `prefix`.
    ///
    /// Each call makes a new user, so tests never share cross-signing or
    /// backup state.
    pub async fn register_user(&self, prefix: &str) -> Result<RegisteredUser, Error> {
        self.register(prefix, false).await
    }

    /// Registers a fresh server admin whose localpart starts with `prefix`.
    pub async fn register_admin(&self, prefix: &str) -> Result<RegisteredUser, Error> {
        self.register(prefix, true).await
    }

    async fn register(&self, prefix: &str, admin: bool) -> Result<RegisteredUser, Error> {
        let localpart = unique_localpart(prefix);
        let password = format!("pw-{}", unique_localpart("p"));
        register::register(
            &self.http,
            &self.base_url,
            &self.secrets.registration,
            &localpart,
            &password,
            admin,
        )
        .await
    }

    /// Logs in with an `m.login.token` (what an SSO login ends in), as a new
    /// device; the Matrix user id of the account.
    pub async fn log_in_with_token(&self, login_token: &str) -> Result<String, Error> {
        #[derive(serde::Deserialize)]
        struct LoggedIn {
            user_id: String,
        }
        let response = self
            .http
            .post(format!("{}/_matrix/client/v3/login", self.base_url))
            .json(&serde_json::json!({ "type": "m.login.token", "token": login_token }))
            .send()
            .await?;
        let LoggedIn { user_id } = register::check(response, "the login token")
            .await?
            .json()
            .await?;
        Ok(user_id)
    }

    /// Kills the homeserver and waits for it to be gone. Its data stays, so
    /// [`Synapse::resume`] brings back the same server on the same port.
    pub fn stop(&mut self) -> std::io::Result<()> {
        if let Some(mut child) = self.child.take() {
            match child.kill() {
                Ok(()) => {}
                // Already exited on its own: nothing to kill.
                Err(error) if error.kind() == std::io::ErrorKind::InvalidInput => {}
                Err(error) => return Err(error),
            }
            child.wait()?;
        }
        Ok(())
    }

    /// Starts the homeserver again from its data directory (or for the first
    /// time) and waits until it answers. Does nothing if it runs.
    pub async fn resume(&mut self) -> Result<(), Error> {
        if self.child.is_some() {
            return Ok(());
        }
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.dir.path().join("stderr.log"))?;
        let child = Command::new(&self.python)
            .args(["-m", "synapse.app.homeserver", "--config-path"])
            .arg(&self.config_path)
            .current_dir(self.dir.path())
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        tracing::debug!(pid = child.id(), port = self.port, "started Synapse");
        self.child = Some(child);
        self.wait_until_ready().await
    }

    async fn wait_until_ready(&mut self) -> Result<(), Error> {
        let url = format!("{}/_matrix/client/versions", self.base_url);
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                return Err(Error::Exited {
                    status,
                    log_tail: self.log_tail(),
                });
            }
            let probe = self
                .http
                .get(&url)
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if matches!(&probe, Ok(response) if response.status().is_success()) {
                tracing::debug!(elapsed = ?started.elapsed(), "Synapse is ready");
                return Ok(());
            }
            if started.elapsed() > START_LIMIT {
                let log_tail = self.log_tail();
                self.stop()?;
                return Err(Error::StartTimeout {
                    seconds: START_LIMIT.as_secs(),
                    log_tail,
                });
            }
            // Polling a condition with a bound, not sleeping for a guess: the
            // loop ends the moment the server answers.
            tokio::time::sleep(PROBE_INTERVAL).await;
        }
    }

    /// The last lines Synapse wrote, for error messages.
    pub fn log_tail(&self) -> String {
        let mut lines = Vec::new();
        for name in ["stderr.log", "synapse.log"] {
            if let Ok(text) = std::fs::read_to_string(self.dir.path().join(name)) {
                let all: Vec<&str> = text.lines().collect();
                let start = all.len().saturating_sub(30);
                lines.push(format!("--- {name}"));
                lines.extend(all[start..].iter().map(|line| (*line).to_owned()));
            }
        }
        lines.join("\n")
    }
}

impl Drop for Synapse {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::warn!(%error, "could not stop Synapse");
        }
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
///
/// The kernel picks it; the listener is closed before Synapse binds it, which
/// leaves a tiny window for another process to take it. A start that loses
/// that race fails with Synapse's own "address in use" in the log tail.
fn free_loopback_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// `prefix-<pid>-<counter>-<random>`: unique across tests in one process, across
/// processes, and across runs against the same server.
fn unique_localpart(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random: u32 = rand::random();
    format!(
        "{}-{}-{n}-{random:08x}",
        prefix.to_ascii_lowercase(),
        std::process::id()
    )
}
