//! The Synapse configuration that makes the eID login service its OpenID
//! Connect provider, as the login-service's tests and `g2c-stack` start
//! Synapse with it (the `extra_config` of [`crate::SynapseOptions`]), and
//! the login service's own configuration for that pairing
//! ([`login_service_config`]: loopback HTTPS with [`crate::TestTls`], the
//! virtual card's `[eid]` files).
//!
//! One provider, [`LOGIN_SERVICE_IDP_ID`] (clients ask for `oidc-` + it),
//! whose accounts are named after the ID token's `sub` (the citizen's
//! pseudonym localpart), and an SSO client whitelist for the app's
//! loopback redirect. Synapse verifies the provider's metadata fully: the
//! issuer must be `https` and its certificate trusted, e.g. through
//! [`crate::TestTlsFiles::synapse_env`].

use std::net::SocketAddr;

use crate::virtual_card_pki::toml_string;
use crate::{EidServiceFiles, TestTlsFiles};

/// The `idp_id` of the login service in Synapse's config.
pub const LOGIN_SERVICE_IDP_ID: &str = "amtsbote-eid";

/// The client id Synapse uses at the login service.
pub const LOGIN_SERVICE_CLIENT_ID: &str = "synapse";

/// The `oidc_providers` and `sso` YAML trusting the login service at
/// `issuer`, with Synapse as client [`LOGIN_SERVICE_CLIENT_ID`] holding
/// `client_secret`.
pub fn login_service_oidc_config(issuer: &str, client_secret: &str) -> String {
    format!(
        r#"
oidc_providers:
  - idp_id: {LOGIN_SERVICE_IDP_ID}
    idp_name: "Personalausweis"
    issuer: "{issuer}"
    client_id: "{LOGIN_SERVICE_CLIENT_ID}"
    client_secret: "{client_secret}"
    scopes: ["openid"]
    user_mapping_provider:
      config:
        localpart_template: "{{{{ user.sub }}}}"
sso:
  client_whitelist: ["http://127.0.0.1:"]
"#
    )
}

/// The login service's configuration file (TOML, as `Config::parse` of
/// `g2c-login-service` reads it): listening on `listen` with the issuer
/// `https://{listen}`, no clients yet (the caller adds Synapse once it
/// knows Synapse's address), HTTPS with `tls`, the eID step with `eid`.
pub fn login_service_config(
    listen: SocketAddr,
    tls: &TestTlsFiles,
    eid: &EidServiceFiles,
) -> String {
    format!(
        "listen = \"{listen}\"\nissuer = \"https://{listen}\"\nclients = []\n\n\
         [tls]\ncertificate_chain = {chain}\nprivate_key = {key}\n\n{eid}",
        chain = toml_string(&tls.certificate_chain.display().to_string()),
        key = toml_string(&tls.private_key.display().to_string()),
        eid = eid.to_toml(),
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn the_provider_is_verified_and_names_accounts_after_the_subject() {
        let yaml = login_service_oidc_config("https://127.0.0.1:4433", "s3cret");
        assert!(yaml.contains("issuer: \"https://127.0.0.1:4433\""));
        assert!(yaml.contains("client_secret: \"s3cret\""));
        assert!(yaml.contains("idp_id: amtsbote-eid"));
        assert!(yaml.contains("localpart_template: \"{{ user.sub }}\""));
        assert!(!yaml.contains("skip_verification"));
    }

    #[test]
    fn the_login_service_config_names_the_tls_and_eid_files() {
        let tls = TestTlsFiles {
            ca_certificate: PathBuf::from("/t/test-ca.pem"),
            certificate_chain: PathBuf::from("/t/tls-chain.pem"),
            private_key: PathBuf::from("/t/tls \"key\".pem"),
        };
        let eid = EidServiceFiles {
            terminal_certificate_chain: vec![PathBuf::from("/t/dv.cvcert")],
            terminal_key: PathBuf::from("/t/terminal.pkcs8"),
            certificate_description: PathBuf::from("/t/description.der"),
            trust_list: PathBuf::from("/t/csca.pem"),
            sector_public_key: PathBuf::from("/t/sector.bin"),
        };
        let toml = login_service_config("127.0.0.1:4433".parse().unwrap(), &tls, &eid);
        assert!(toml.starts_with(
            "listen = \"127.0.0.1:4433\"\nissuer = \"https://127.0.0.1:4433\"\nclients = []\n"
        ));
        assert!(toml.contains(
            "[tls]\ncertificate_chain = \"/t/tls-chain.pem\"\nprivate_key = \"/t/tls \\\"key\\\".pem\"\n"
        ));
        assert!(toml.ends_with(&eid.to_toml()));
    }
}
