//! Test harness for the workspace's integration tests: a real Synapse
//! homeserver on loopback, with a fresh data directory and fresh users per
//! test.
//!
//! [`Synapse::start`] writes a config into a temporary directory, picks a free
//! loopback port, starts the homeserver from the project's pinned virtualenv
//! and waits until `/_matrix/client/versions` answers. Dropping the
//! [`Synapse`] kills the process and removes its directory, also when the
//! test fails or panics. [`Synapse::stop`] and [`Synapse::resume`] take the
//! server down and bring it back on the same port and data, for tests of
//! what happens while the homeserver is away.
//!
//! The virtualenv is installed by `scripts/setup.sh`; its Python is found
//! through the `G2C_SYNAPSE_PYTHON` environment variable or at the default
//! path that script uses. This crate is only for tests and the demo; nothing
//! in the product depends on it.
//!
//! [`VirtualCard`] runs a virtual nPA behind pcscd; [`VirtualCardPki`]
//! generates the PKI with which it takes part in a whole online eID
//! authentication, and the login-service's files for it.
//!
//! [`AuthorityPki`] and [`TestCa`] generate a test government PKI for
//! authorities (root, intermediate, leaves naming an authority's Matrix
//! account), which the app's X.509 verification of authorities trusts.
//!
//! [`TestTls`] generates a throwaway CA and a certificate for 127.0.0.1
//! for the login service's HTTPS; [`login_service_oidc_config`] is the
//! Synapse YAML that makes the login service its OIDC provider, and
//! [`login_service_config`] the login service's own TOML for it.
//! [`SsoWalk`] walks Synapse's side of an eID login by hand for the
//! login-service's SSO tests.

mod authority_pki;
mod config;
mod oidc_provider;
mod python;
mod register;
mod server;
mod sso_walk;
mod test_tls;
mod virtual_card;
mod virtual_card_pki;

pub use authority_pki::{
    AuthorityPki, AuthorityPkiError, AuthorityPkiFiles, IssuedLeaf, TEST_INTERMEDIATE_NAME,
    TEST_ROOT_NAME, TestCa, self_signed_leaf,
};
pub use oidc_provider::{
    LOGIN_SERVICE_CLIENT_ID, LOGIN_SERVICE_IDP_ID, login_service_config, login_service_oidc_config,
};
pub use python::synapse_python;
pub use register::RegisteredUser;
pub use server::{Synapse, SynapseOptions};
pub use sso_walk::{SSO_APP_REDIRECT, SsoWalk};
pub use test_tls::{TEST_TLS_CA_NAME, TEST_TLS_SERVER_IP, TestTls, TestTlsError, TestTlsFiles};
pub use virtual_card::{LOCK_FILE, VirtualCard, VirtualCardError};
pub use virtual_card_pki::{
    EidServiceFiles, VIRTUAL_CARD_PIN, VIRTUAL_CARD_RI_PSEUDONYM, VirtualCardFiles, VirtualCardPki,
    VirtualCardPkiError,
};

/// What can go wrong while running a test homeserver.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The pinned Synapse virtualenv is not where it should be.
    #[error("Synapse is not installed at {path}: run `scripts/setup.sh` or set G2C_SYNAPSE_PYTHON")]
    NotInstalled {
        /// The Python interpreter that was looked for.
        path: std::path::PathBuf,
    },
    /// Writing the config or starting the process failed.
    #[error("could not start Synapse: {0}")]
    Io(#[from] std::io::Error),
    /// The process exited before it answered.
    #[error("Synapse exited during start-up ({status}); last log lines:\n{log_tail}")]
    Exited {
        /// The exit status.
        status: std::process::ExitStatus,
        /// The end of its log, to see why.
        log_tail: String,
    },
    /// The process did not answer within the start-up limit.
    #[error("Synapse did not answer within {seconds} s; last log lines:\n{log_tail}")]
    StartTimeout {
        /// The limit that was waited.
        seconds: u64,
        /// The end of its log.
        log_tail: String,
    },
    /// An HTTP request to the homeserver failed.
    #[error("request to Synapse failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The homeserver answered a request with an error.
    #[error("Synapse refused {what}: {status} {body}")]
    Refused {
        /// What was asked.
        what: &'static str,
        /// The HTTP status.
        status: reqwest::StatusCode,
        /// The response body.
        body: String,
    },
}
