//! The Synapse configuration that makes the eID login service its OpenID
//! Connect provider, as the login-service's tests and `g2c-stack` start
//! Synapse with it (the `extra_config` of [`crate::SynapseOptions`]).
//!
//! One provider, [`LOGIN_SERVICE_IDP_ID`] (clients ask for `oidc-` + it),
//! whose accounts are named after the ID token's `sub` (the citizen's
//! pseudonym localpart), and an SSO client whitelist for the app's
//! loopback redirect. Synapse verifies the provider's metadata fully: the
//! issuer must be `https` and its certificate trusted, e.g. through
//! [`crate::TestTlsFiles::synapse_env`].

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

#[cfg(test)]
mod tests {
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
}
