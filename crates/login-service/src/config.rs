//! The service's TOML configuration and its validation.
//!
//! Production runs on TLS with an `https` issuer. Plain HTTP needs
//! `insecure_plain_http = true` *and* a loopback listen address, and is meant
//! for tests only.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;
use zeroize::Zeroizing;

/// The whole configuration file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where to listen, e.g. `0.0.0.0:443`.
    pub listen: SocketAddr,
    /// The issuer URL, e.g. `https://login.example`; every endpoint lives
    /// below it.
    pub issuer: String,
    /// Serve plain HTTP (tests on loopback only).
    #[serde(default)]
    pub insecure_plain_http: bool,
    /// TLS certificate and key; required unless `insecure_plain_http`.
    pub tls: Option<TlsConfig>,
    /// Where the ID token signing key is kept; generated at start if unset.
    #[serde(default)]
    pub signing_key: Option<PathBuf>,
    /// The eID terminal: certificate chain, key, trust list.
    pub eid: EidConfig,
    /// Lifetimes of codes, tokens and sessions.
    #[serde(default)]
    pub lifetimes: Lifetimes,
    /// The registered relying parties (the homeserver).
    pub clients: Vec<ClientConfig>,
}

/// TLS files (PEM).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The server certificate followed by its intermediates.
    pub certificate_chain: PathBuf,
    /// The server's private key.
    pub private_key: PathBuf,
}

/// The eID terminal's credentials.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EidConfig {
    /// CV certificates, DV then terminal (DER files).
    pub terminal_certificate_chain: Vec<PathBuf>,
    /// The terminal's private key (PKCS#8, DER or PEM).
    pub terminal_key: PathBuf,
    /// The certificate description (DER).
    pub certificate_description: PathBuf,
    /// CSCA certificates (PEM bundle or one DER certificate): EF.CardSecurity
    /// must be signed by a document signer one of them issued.
    pub trust_list: PathBuf,
    /// The sector public key for Restricted Identification (uncompressed
    /// EC point, binary).
    pub sector_public_key: PathBuf,
}

/// Lifetimes in seconds.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lifetimes {
    /// Authorization codes (single use).
    pub code: u64,
    /// Access tokens (only for `/userinfo`).
    pub access_token: u64,
    /// ID tokens.
    pub id_token: u64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            code: 60,
            access_token: 300,
            id_token: 300,
        }
    }
}

/// One registered relying party.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The `client_id`.
    pub client_id: String,
    /// The shared secret for `client_secret_basic` / `client_secret_post`.
    pub client_secret: Zeroizing<String>,
    /// Exact redirect URIs; no patterns, no prefixes.
    pub redirect_uris: Vec<String>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("redirect_uris", &self.redirect_uris)
            .finish()
    }
}

/// A configuration that must not run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not valid TOML or not the expected shape.
    #[error("config is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    /// The issuer is not an absolute URL without query or fragment.
    #[error("issuer must be an absolute URL without query or fragment")]
    BadIssuer,
    /// TLS is missing and plain HTTP was not explicitly allowed on loopback.
    #[error(
        "TLS is required: set [tls], or for tests on loopback only `insecure_plain_http = true`"
    )]
    TlsRequired,
    /// Plain HTTP was asked for on a non-loopback address.
    #[error("plain HTTP is only allowed when listening on loopback")]
    PlainHttpNotOnLoopback,
    /// The issuer scheme does not match the transport.
    #[error("issuer must be https (http only with insecure_plain_http)")]
    IssuerScheme,
    /// A client is incomplete.
    #[error("client {0:?}: {1}")]
    BadClient(String, &'static str),
}

impl Config {
    /// Parses and validates a TOML configuration.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the rules that a parse cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let issuer = url::Url::parse(&self.issuer).map_err(|_| ConfigError::BadIssuer)?;
        if issuer.query().is_some() || issuer.fragment().is_some() || issuer.cannot_be_a_base() {
            return Err(ConfigError::BadIssuer);
        }
        if self.insecure_plain_http {
            if !self.listen.ip().is_loopback() {
                return Err(ConfigError::PlainHttpNotOnLoopback);
            }
            if self.tls.is_some() {
                return Err(ConfigError::TlsRequired);
            }
        } else {
            if self.tls.is_none() {
                return Err(ConfigError::TlsRequired);
            }
            if issuer.scheme() != "https" {
                return Err(ConfigError::IssuerScheme);
            }
        }
        validate_clients(&self.clients)
    }
}

/// Checks the registered clients: unique ids, a secret of at least 32
/// characters, absolute redirect URIs without fragments.
pub fn validate_clients(clients: &[ClientConfig]) -> Result<(), ConfigError> {
    let mut seen = std::collections::HashSet::new();
    for client in clients {
        let bad = |why| Err(ConfigError::BadClient(client.client_id.clone(), why));
        if client.client_id.is_empty() || !seen.insert(client.client_id.as_str()) {
            return bad("client_id empty or repeated");
        }
        if client.client_secret.len() < 32 {
            return bad("client_secret shorter than 32 characters");
        }
        if client.redirect_uris.is_empty() {
            return bad("no redirect_uris");
        }
        for uri in &client.redirect_uris {
            match url::Url::parse(uri) {
                Ok(url) if url.fragment().is_none() && !url.cannot_be_a_base() => {}
                _ => return bad("redirect_uri not absolute or has a fragment"),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(listen: &str, issuer: &str, plain: bool, tls: bool) -> String {
        let tls = if tls {
            "[tls]\ncertificate_chain = \"c.pem\"\nprivate_key = \"k.pem\"\n"
        } else {
            ""
        };
        format!(
            r#"listen = "{listen}"
issuer = "{issuer}"
insecure_plain_http = {plain}
{tls}
[eid]
terminal_certificate_chain = ["dv.cvcert", "terminal.cvcert"]
terminal_key = "terminal.pkcs8"
certificate_description = "description.der"
trust_list = "csca.pem"
sector_public_key = "sector.pub"

[[clients]]
client_id = "synapse"
client_secret = "0123456789abcdef0123456789abcdef"
redirect_uris = ["https://matrix.example/_synapse/client/oidc/callback"]
"#
        )
    }

    #[test]
    fn production_config_with_tls_is_accepted() {
        let parsed =
            Config::parse(&config("0.0.0.0:443", "https://login.example", false, true)).unwrap();
        assert_eq!(parsed.lifetimes.code, 60);
        assert!(!format!("{parsed:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn plain_http_only_on_loopback_and_only_when_asked() {
        assert!(
            Config::parse(&config(
                "127.0.0.1:8080",
                "http://127.0.0.1:8080",
                true,
                false
            ))
            .is_ok()
        );
        assert!(matches!(
            Config::parse(&config("0.0.0.0:8080", "http://login.example", true, false)),
            Err(ConfigError::PlainHttpNotOnLoopback)
        ));
        assert!(matches!(
            Config::parse(&config(
                "127.0.0.1:8080",
                "http://127.0.0.1:8080",
                false,
                false
            )),
            Err(ConfigError::TlsRequired)
        ));
        assert!(matches!(
            Config::parse(&config("0.0.0.0:443", "http://login.example", false, true)),
            Err(ConfigError::IssuerScheme)
        ));
    }

    #[test]
    fn weak_or_incomplete_clients_are_refused() {
        let text = config("0.0.0.0:443", "https://login.example", false, true)
            .replace("0123456789abcdef0123456789abcdef", "short");
        assert!(matches!(
            Config::parse(&text),
            Err(ConfigError::BadClient(..))
        ));
        let text = config("0.0.0.0:443", "https://login.example", false, true)
            .replace("issuer =", "unknown_key = 1\nissuer =");
        assert!(matches!(Config::parse(&text), Err(ConfigError::Parse(_))));
    }
}
