//! The one line `g2c-stack` prints when everything is up: the contract
//! between the stack and the scripts and tests that use it.

use std::io::Write as _;

use g2c_testkit::RegisteredUser;
use serde::Serialize;

/// Everything a client of the stack needs to know.
#[derive(Debug, Serialize)]
pub struct Ready {
    /// The homeserver's client-server API base URL.
    pub homeserver: String,
    /// The authority's technical account (for `g2c-authority login`).
    pub authority: Account,
    /// A citizen account with a password, for development logins.
    pub citizen: Account,
    /// The eID login, when the stack runs with `--eid`.
    pub eid: Option<Eid>,
    /// The test government PKI: the root the app trusts and the authority's
    /// certificate.
    pub trust: Trust,
}

/// The files of the test government PKI, generated at start.
#[derive(Debug, Serialize)]
pub struct Trust {
    /// The root certificate (PEM): the app's `AMTSBOTE_TRUST_ROOTS`.
    pub roots_file: String,
    /// The authority's certificate chain (PEM, leaf first), naming
    /// [`Trust::authority_name`] and the authority account:
    /// `g2c-authority run-scenario --certificate`.
    pub authority_chain: String,
    /// The chain's private key (PKCS#8 PEM): `--certificate-key`.
    pub authority_key: String,
    /// The authority's name in the certificate (what the app shows).
    pub authority_name: String,
}

impl Trust {
    /// The ready line's part for `files`.
    pub fn new(files: &g2c_testkit::AuthorityPkiFiles, authority_name: &str) -> Self {
        let path = |p: &std::path::Path| p.display().to_string();
        Self {
            roots_file: path(&files.roots_file),
            authority_chain: path(&files.authority_chain),
            authority_key: path(&files.authority_key),
            authority_name: authority_name.to_owned(),
        }
    }
}

/// The eID login's parts: what the app and a test need to use it.
#[derive(Debug, Serialize)]
pub struct Eid {
    /// The Matrix id the virtual card's citizen gets at the eID login.
    pub user_id: String,
    /// The homeserver's id for the eID identity provider.
    pub identity_provider: String,
    /// The virtual card's reader.
    pub reader: String,
    /// The virtual card's PIN (a fixed test value of the emulator).
    pub pin: String,
    /// The PEM file of the CA that issued the login service's TLS
    /// certificate (clients set `SSL_CERT_FILE` to it).
    pub ca_file: String,
    /// The login service's issuer URL: the issuer of citizens' eID
    /// attestations (`g2c-authority … --require-attestation`).
    pub attestation_issuer: String,
    /// The login service's JWKS as a JSON file, to verify attestations
    /// with (`--attestation-jwks`).
    pub attestation_jwks_file: String,
}

/// A password account on the stack's homeserver.
#[derive(Debug, Serialize)]
pub struct Account {
    /// The full Matrix user id.
    pub user_id: String,
    /// The localpart, as a login form takes it.
    pub user: String,
    /// The password.
    pub password: String,
}

impl From<&RegisteredUser> for Account {
    fn from(user: &RegisteredUser) -> Self {
        Self {
            user_id: user.user_id.clone(),
            user: user.localpart.clone(),
            password: user.password.clone(),
        }
    }
}

impl Ready {
    /// Prints the `ready` line on stdout and flushes it.
    pub fn print(&self) -> std::io::Result<()> {
        let mut line = serde_json::to_value(self).map_err(std::io::Error::other)?;
        if let Some(object) = line.as_object_mut() {
            object.insert("event".into(), "ready".into());
        }
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")?;
        stdout.flush()
    }
}
