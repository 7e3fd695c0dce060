//! The homeserver configuration a test server runs with.
//!
//! Loopback only, SQLite, no federation, no key servers, registration only
//! through the shared secret, and rate limits high enough that tests are
//! never throttled.

use std::path::Path;

use base64::Engine as _;
use rand::RngCore as _;

/// The server name of every test homeserver. User ids read `@name:localhost`.
pub const SERVER_NAME: &str = "localhost";

/// Random secrets of one test server.
pub(crate) struct Secrets {
    pub(crate) registration: String,
    macaroon: String,
    form: String,
}

impl Secrets {
    pub(crate) fn generate() -> Self {
        Self {
            registration: random_token(),
            macaroon: random_token(),
            form: random_token(),
        }
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Writes a fresh ed25519 signing key in Synapse's file format
/// (`ed25519 <key id> <unpadded base64 seed>`).
pub(crate) fn write_signing_key(path: &Path) -> std::io::Result<()> {
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(seed);
    std::fs::write(path, format!("ed25519 a_test {encoded}\n"))
}

/// Renders `homeserver.yaml` for a server in `dir` listening on `port`, with
/// `extra` appended verbatim (YAML at top level, e.g. `oidc_providers`).
pub(crate) fn render(dir: &Path, port: u16, secrets: &Secrets, extra: &str) -> String {
    let dir = dir.display();
    let registration = &secrets.registration;
    let macaroon = &secrets.macaroon;
    let form = &secrets.form;
    let limit = "{per_second: 10000, burst_count: 10000}";
    format!(
        r#"server_name: "{SERVER_NAME}"
public_baseurl: "http://127.0.0.1:{port}/"
pid_file: "{dir}/homeserver.pid"
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{dir}/homeserver.db"
media_store_path: "{dir}/media"
signing_key_path: "{dir}/signing.key"
log_config: "{dir}/log.yaml"
registration_shared_secret: "{registration}"
macaroon_secret_key: "{macaroon}"
form_secret: "{form}"
report_stats: false
enable_metrics: false
enable_registration: false
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
url_preview_enabled: false
presence:
  enabled: false
rc_message: {limit}
rc_registration: {limit}
rc_login:
  address: {limit}
  account: {limit}
  failed_attempts: {limit}
rc_joins:
  local: {limit}
  remote: {limit}
rc_invites:
  per_room: {limit}
  per_user: {limit}
  per_issuer: {limit}
rc_admin_redaction: {limit}
rc_3pid_validation: {limit}
rc_key_requests: {limit}
rc_media_create: {limit}
rc_delayed_event_mgmt: {limit}
rc_room_creation: {limit}
rc_reports: {limit}
{extra}
"#
    )
}

/// Python logging config: everything to `synapse.log` in the server's
/// directory, so a failing test can show why.
pub(crate) fn render_log_config(dir: &Path) -> String {
    let dir = dir.display();
    format!(
        r#"version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'
filters:
  context:
    (): synapse.logging.context.LoggingContextFilter
    request: ""
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: "{dir}/synapse.log"
    filters: [context]
root:
  level: INFO
  handlers: [file]
disable_existing_loggers: false
"#
    )
}
