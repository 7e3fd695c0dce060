//! Where the app logs in: the homeserver and its eID identity provider.
//!
//! A pilot deployment builds the app with its homeserver
//! (`AMTSBOTE_DEFAULT_HOMESERVER` at compile time); `AMTSBOTE_HOMESERVER`
//! at run time overrides it (the demo and the end-to-end tests point the
//! app at their local homeserver this way). The identity provider's id is
//! the homeserver's name for the eID login service (Synapse: `oidc-` +
//! the `idp_id` of its `oidc_providers` entry), `AMTSBOTE_IDP` overrides it.
//! Without any homeserver the login screen says so instead of guessing.

/// The homeserver's id for the eID identity provider unless configured.
pub const DEFAULT_IDENTITY_PROVIDER: &str = "oidc-amtsbote-eid";

/// The login configuration, read once at start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginConfig {
    /// The homeserver's base URL, if one is configured.
    pub homeserver: Option<String>,
    /// The identity provider's id at the homeserver.
    pub identity_provider: String,
}

impl LoginConfig {
    /// From the build's default and the environment.
    pub fn from_env() -> Self {
        Self::from_values(
            option_env!("AMTSBOTE_DEFAULT_HOMESERVER"),
            std::env::var("AMTSBOTE_HOMESERVER").ok(),
            std::env::var("AMTSBOTE_IDP").ok(),
        )
    }

    fn from_values(
        built_in: Option<&str>,
        homeserver: Option<String>,
        idp: Option<String>,
    ) -> Self {
        let nonempty = |s: &String| !s.trim().is_empty();
        Self {
            homeserver: homeserver
                .filter(nonempty)
                .or_else(|| built_in.map(str::to_owned).filter(nonempty))
                .map(|url| url.trim().trim_end_matches('/').to_owned()),
            identity_provider: idp
                .filter(nonempty)
                .unwrap_or_else(|| DEFAULT_IDENTITY_PROVIDER.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_overrides_the_built_in_homeserver() {
        let config = LoginConfig::from_values(
            Some("https://matrix.example"),
            Some("http://127.0.0.1:8008/".into()),
            None,
        );
        assert_eq!(config.homeserver.as_deref(), Some("http://127.0.0.1:8008"));
        assert_eq!(config.identity_provider, DEFAULT_IDENTITY_PROVIDER);
    }

    #[test]
    fn empty_values_count_as_unset() {
        let config = LoginConfig::from_values(None, Some(" ".into()), Some(String::new()));
        assert_eq!(config.homeserver, None);
        assert_eq!(config.identity_provider, DEFAULT_IDENTITY_PROVIDER);
        let config =
            LoginConfig::from_values(Some("https://matrix.example"), None, Some("oidc-x".into()));
        assert_eq!(config.homeserver.as_deref(), Some("https://matrix.example"));
        assert_eq!(config.identity_provider, "oidc-x");
    }
}
