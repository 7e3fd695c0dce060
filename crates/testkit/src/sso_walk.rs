//! Synapse's side of an eID login, walked by hand the way the app walks it
//! (no browser), for the login-service's SSO tests with the in-process card
//! and with the virtual card.
//!
//! [`SsoWalk::start`] asks Synapse for the SSO redirect to the login
//! service ([`crate::LOGIN_SERVICE_IDP_ID`]) on behalf of a fresh app: its
//! own cookie jar (Synapse ties its OIDC callback to the start of the flow
//! with a cookie), only the test CA as TLS root, no automatic redirects.
//! The test then runs the eID relay at the provider's `/authorize` with
//! [`SsoWalk::http`]. [`SsoWalk::log_in`] follows the service's redirect
//! back through Synapse's callback to the app's loopback address
//! ([`SSO_APP_REDIRECT`]) and logs in with its `loginToken`;
//! [`SsoWalk::assert_no_login_token`] follows a refusal's error redirect and
//! checks that Synapse hands the app no token.
//!
//! It is written apart from the app's own walk (`g2c_login_service::sso`),
//! so that the tests check Synapse's behaviour, not that walk's reading of
//! it. Every deviation panics with what Synapse did: this is test code.

use reqwest::Url;

use crate::{LOGIN_SERVICE_IDP_ID, Synapse};

/// The app's loopback redirect in the walk (on Synapse's
/// `sso.client_whitelist` of [`crate::login_service_oidc_config`]); port 9
/// (discard): the walk reads the token from the `Location` header and never
/// follows it there.
pub const SSO_APP_REDIRECT: &str = "http://127.0.0.1:9/cb";

/// Redirects from the service back through Synapse before the walk must
/// have reached [`SSO_APP_REDIRECT`].
const MAX_REDIRECTS: usize = 5;

/// One app's SSO login at a test Synapse, between Synapse's redirect to the
/// login service and the login token.
pub struct SsoWalk<'a> {
    synapse: &'a Synapse,
    http: reqwest::Client,
}

impl<'a> SsoWalk<'a> {
    /// A fresh app asks `synapse` for the SSO redirect to the login service,
    /// trusting only `ca`; returns the walk and where Synapse sent the app
    /// (the provider's `/authorize`).
    ///
    /// # Panics
    ///
    /// If the client cannot be built or Synapse does not redirect.
    pub async fn start(synapse: &'a Synapse, ca: &reqwest::Certificate) -> (Self, String) {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .tls_certs_only([ca.clone()])
            .build()
            .expect("the app's HTTP client");
        let url = Url::parse_with_params(
            &format!(
                "{}/_matrix/client/v3/login/sso/redirect/oidc-{LOGIN_SERVICE_IDP_ID}",
                synapse.base_url()
            ),
            [("redirectUrl", SSO_APP_REDIRECT)],
        )
        .expect("the SSO redirect URL");
        let start = http.get(url).send().await.expect("Synapse's SSO redirect");
        assert!(start.status().is_redirection(), "{}", start.status());
        let authorize_url = location(&start);
        (Self { synapse, http }, authorize_url)
    }

    /// The app's HTTP client, with the walk's cookies: the relay at the
    /// provider runs on it.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Follows `redirect` (the service's, after the eID step) through
    /// Synapse's callback to the app's loopback redirect and logs in with
    /// its `loginToken`; the Matrix user id.
    ///
    /// # Panics
    ///
    /// If a redirect leaves Synapse, Synapse answers without a redirect (the
    /// panic shows its answer), there are too many redirects, the last one
    /// has no `loginToken`, or Synapse refuses the token.
    pub async fn log_in(&self, mut redirect: String) -> String {
        let mut hops = 0;
        let login_token = loop {
            assert!(
                redirect.starts_with(self.synapse.base_url()),
                "left Synapse: {redirect}"
            );
            let response = self.http.get(&redirect).send().await.unwrap();
            if !response.status().is_redirection() {
                let status = response.status();
                panic!(
                    "Synapse answered {status}: {}",
                    response.text().await.unwrap()
                );
            }
            redirect = location(&response);
            if redirect.starts_with(SSO_APP_REDIRECT) {
                let url = Url::parse(&redirect).unwrap();
                break url
                    .query_pairs()
                    .find(|(k, _)| k == "loginToken")
                    .map(|(_, v)| v.into_owned())
                    .expect("loginToken in the redirect to the app");
            }
            hops += 1;
            assert!(hops < MAX_REDIRECTS, "too many redirects");
        };
        self.synapse
            .log_in_with_token(&login_token)
            .await
            .expect("Synapse takes the login token")
    }

    /// Follows the service's error redirect after a refused eID step: the
    /// flow ends at Synapse with an error, never with a login token for the
    /// app.
    ///
    /// # Panics
    ///
    /// If Synapse redirects the app to its loopback address.
    pub async fn assert_no_login_token(&self, error_redirect: &str) {
        let response = self.http.get(error_redirect).send().await.unwrap();
        assert!(
            !response.status().is_redirection()
                || !location(&response).starts_with(SSO_APP_REDIRECT),
            "Synapse must not hand the app a login token"
        );
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("expected a redirect, got {}", response.status()))
        .to_owned()
}
