//! Where the app logs in: the homeserver and its eID identity provider.
//!
//! A pilot deployment builds the app with its homeserver
//! (`AMTSBOTE_DEFAULT_HOMESERVER` at compile time); `AMTSBOTE_HOMESERVER`
//! at run time overrides it (the demo and the end-to-end tests point the
//! app at their local homeserver this way). The identity provider's id is
//! the homeserver's name for the eID login service (Synapse: `oidc-` +
//! the `idp_id` of its `oidc_providers` entry), `AMTSBOTE_IDP` overrides it.
//! Without any homeserver the login screen says so instead of guessing.
//!
//! [`TrustRoots`] are the government roots authorities are verified against
//! (their X.509 chains, `g2c_core::trust`): `AMTSBOTE_TRUST_ROOTS` at run
//! time names a PEM file of root certificates (and `AMTSBOTE_TRUST_CRLS`
//! optional revocation lists, separated like `PATH`); a build may embed
//! roots as PEM text in `AMTSBOTE_DEFAULT_TRUST_ROOTS` at compile time.
//! The pilot has no real government root, so a build without either shows
//! every authority as unverified, saying that no roots are configured; a
//! file that cannot be read is logged and shown as its own reason, never a
//! crash.

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

/// Where the trust roots come from (build or environment), read once at
/// start.
#[derive(Clone, Debug)]
pub enum TrustRoots {
    /// Neither the build nor the environment names roots: no authority can
    /// be verified.
    NotConfigured,
    /// The roots (and CRLs) in use.
    Loaded(g2c_core::trust::TrustAnchors),
    /// Roots were configured but could not be read; no authority can be
    /// verified. The error is in the log.
    Unreadable,
}

/// Run time: the PEM file of root certificates.
pub const TRUST_ROOTS_ENV: &str = "AMTSBOTE_TRUST_ROOTS";
/// Run time: CRL files (PEM or DER), separated like `PATH`.
pub const TRUST_CRLS_ENV: &str = "AMTSBOTE_TRUST_CRLS";

impl TrustRoots {
    /// From the environment, else the build's embedded roots.
    pub fn from_env() -> Self {
        Self::from_values(
            option_env!("AMTSBOTE_DEFAULT_TRUST_ROOTS"),
            std::env::var_os(TRUST_ROOTS_ENV),
            std::env::var_os(TRUST_CRLS_ENV),
        )
    }

    fn from_values(
        built_in_pem: Option<&str>,
        roots_file: Option<std::ffi::OsString>,
        crl_files: Option<std::ffi::OsString>,
    ) -> Self {
        let crls: Vec<std::path::PathBuf> = crl_files
            .map(|list| {
                std::env::split_paths(&list)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let loaded = match roots_file.filter(|f| !f.is_empty()) {
            Some(file) => {
                let path = std::path::PathBuf::from(file);
                let crl_paths: Vec<&std::path::Path> = crls.iter().map(|p| p.as_path()).collect();
                g2c_core::trust::TrustAnchors::load(&path, &crl_paths).map_err(|error| {
                    tracing::error!(
                        %error,
                        file = %path.display(),
                        "the trust roots ({TRUST_ROOTS_ENV}) cannot be used: no authority can be verified"
                    );
                })
            }
            None => match built_in_pem.filter(|pem| !pem.trim().is_empty()) {
                None => {
                    tracing::warn!(
                        "no trust roots configured ({TRUST_ROOTS_ENV}): no authority can be verified"
                    );
                    return Self::NotConfigured;
                }
                Some(pem) => g2c_core::trust::TrustAnchors::from_roots_pem(pem)
                    .and_then(|anchors| {
                        crls.iter().try_fold(anchors, |anchors, crl| {
                            let bytes = std::fs::read(crl).map_err(|source| {
                                g2c_core::trust::AnchorError::Read {
                                    path: crl.display().to_string(),
                                    source,
                                }
                            })?;
                            anchors.with_crl(&bytes)
                        })
                    })
                    .map_err(|error| {
                        tracing::error!(
                            %error,
                            "the built-in trust roots cannot be used: no authority can be verified"
                        );
                    }),
            },
        };
        match loaded {
            Ok(anchors) => {
                tracing::info!(
                    roots = anchors.roots().len(),
                    crls = anchors.crls().len(),
                    "trust roots loaded"
                );
                Self::Loaded(anchors)
            }
            Err(()) => Self::Unreadable,
        }
    }

    /// The anchors to give the core client (none unless loaded).
    pub fn anchors(&self) -> g2c_core::trust::TrustAnchors {
        match self {
            Self::Loaded(anchors) => anchors.clone(),
            Self::NotConfigured | Self::Unreadable => g2c_core::trust::TrustAnchors::none(),
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

    const ROOT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBdjCCAR2gAwIBAgIUZ3hxQ2b7KVQ5yCoh1WvYvLqN4fYwCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----
";

    #[test]
    fn without_roots_nothing_is_configured() {
        assert!(matches!(
            TrustRoots::from_values(None, None, None),
            TrustRoots::NotConfigured
        ));
        assert!(matches!(
            TrustRoots::from_values(Some(" "), Some("".into()), None),
            TrustRoots::NotConfigured
        ));
        assert!(TrustRoots::NotConfigured.anchors().roots().is_empty());
    }

    #[test]
    fn a_missing_or_broken_roots_file_is_unreadable_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        assert!(matches!(
            TrustRoots::from_values(None, Some(missing.into()), None),
            TrustRoots::Unreadable
        ));
        let broken = dir.path().join("broken.pem");
        std::fs::write(&broken, ROOT_PEM).unwrap();
        let roots = TrustRoots::from_values(None, Some(broken.into()), None);
        assert!(matches!(roots, TrustRoots::Unreadable));
        assert!(roots.anchors().roots().is_empty());
        // The environment's file wins over the build's roots, also when broken.
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        assert!(matches!(
            TrustRoots::from_values(Some(ROOT_PEM), Some(empty.into()), None),
            TrustRoots::Unreadable
        ));
    }

    #[test]
    fn a_roots_file_is_loaded_with_its_crls() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let root_pem = params.self_signed(&key).unwrap().pem();
        let crl_pem = rcgen::CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(2025, 1, 1),
            next_update: rcgen::date_time_ymd(2099, 1, 1),
            crl_number: rcgen::SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: Vec::new(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        }
        .signed_by(&rcgen::Issuer::new(params, key))
        .unwrap()
        .pem()
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let roots = dir.path().join("roots.pem");
        std::fs::write(&roots, &root_pem).unwrap();
        let crl = dir.path().join("root.crl");
        std::fs::write(&crl, crl_pem).unwrap();
        let loaded = TrustRoots::from_values(None, Some(roots.clone().into()), Some(crl.into()));
        let TrustRoots::Loaded(anchors) = loaded else {
            panic!("not loaded: {loaded:?}");
        };
        assert_eq!(anchors.roots().len(), 1);
        assert_eq!(anchors.crls().len(), 1);
        // The build's embedded PEM, when the environment names no file.
        let built_in = TrustRoots::from_values(Some(&root_pem), None, None);
        assert_eq!(built_in.anchors().roots().len(), 1);
    }
}
