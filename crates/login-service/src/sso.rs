//! The app's whole eID login through the homeserver's SSO, without a
//! browser (feature `client`).
//!
//! The homeserver lists the login service as an OpenID Connect provider.
//! [`SsoLogin::begin`] asks the homeserver for the SSO redirect, follows it
//! to the provider's `/authorize` (asking for JSON), joins the relay session
//! and fetches `hello`. Before anything is shown, it checks that the
//! certificate description is the one the terminal certificate names by
//! hash, and parses the description and the requested rights itself: what
//! the citizen consents to comes from the signed certificate, not from the
//! service's readable summary. [`EidLoginSession::finish`] runs the relay
//! on the card (after the app ran PACE with the citizen's PIN), follows the
//! redirect back through the homeserver's OIDC callback and stops at the
//! app's loopback redirect, whose `loginToken` is the result, together
//! with an [`AttestationTicket`]: once the app has logged in to Matrix and
//! has its cross-signing master key, [`AttestationTicket::fetch_attestation`]
//! asks the login service to sign the binding of the account to that key
//! (see the service's `attestation` module).
//! [`EidLoginSession::finish_for_attestation`] is the same eID step for a
//! citizen who is logged in already and only renews the attestation: it
//! stops before the homeserver's callback and returns just the ticket. The
//! ticket is the relay
//! session's id, a bearer secret that never passes through the homeserver:
//! it is zeroized when dropped, used once, and never logged or shown.
//!
//! The app never listens on its redirect address: it reads the token from
//! the `Location` header and never follows it, so the address only has to
//! be on the homeserver's `sso.client_whitelist`. The homeserver ties the
//! callback to the start of the flow with a cookie, so the HTTP client
//! keeps cookies for the one login and is dropped afterwards.

use g2c_eid::cvc::{AccessRight, CertificateDescription, Chat, CvCertificate, TermsOfUsage};
use g2c_eid::relay::ClientRelay;
use g2c_eid::transport::CardTransport;
use zeroize::Zeroizing;

use crate::client::{ClientError, RelayClient};
use crate::relay::{Hello, RelayError, Start};

/// The loopback address the homeserver sends the login token to. Port 9
/// (discard) because nothing must ever listen there: the app takes the
/// token out of the redirect and never follows it.
pub const APP_REDIRECT: &str = "http://127.0.0.1:9/amtsbote/sso-done";

/// Redirects the walk back from the provider may take through the
/// homeserver before it must reach [`APP_REDIRECT`].
const MAX_REDIRECTS: usize = 5;

/// What can go wrong in the SSO walk.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// An HTTP request failed (network, TLS).
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The homeserver does not offer the eID provider, or answered
    /// something other than the expected redirect.
    #[error("the homeserver did not start the eID login: {0}")]
    Homeserver(String),
    /// The service's `hello` does not hold together: the certificate
    /// description is not the one the terminal certificate names, or a
    /// certificate does not parse. Nothing is shown, no PIN is asked.
    #[error("the service's certificate is not valid: {0}")]
    Certificate(String),
    /// The relay failed (card, protocol, or the service refused).
    #[error(transparent)]
    Relay(#[from] ClientError),
    /// The homeserver did not hand back a login token.
    #[error("the homeserver did not complete the login: {0}")]
    Callback(String),
    /// The login service did not issue the eID attestation (HTTP status and
    /// its reason, e.g. the ticket expired or was used).
    #[error("the login service refused the attestation: {0}")]
    Attestation(String),
}

impl SsoError {
    /// The service's refusal, if that is what ended the walk.
    pub fn refusal(&self) -> Option<&RelayError> {
        match self {
            Self::Relay(ClientError::Refused(error)) => Some(error),
            _ => None,
        }
    }
}

/// The start of an eID login at one homeserver.
#[derive(Debug, Clone)]
pub struct SsoLogin {
    homeserver: String,
    idp_id: String,
    extra_roots: Vec<reqwest::Certificate>,
}

/// What the citizen is asked to consent to, from the terminal certificate
/// and its certificate description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// The service provider (the description's subject).
    pub provider_name: String,
    /// The provider's web address, if given.
    pub provider_url: Option<String>,
    /// Who issued the provider's certificate (the description's issuer).
    pub issuer_name: String,
    /// Terms of usage as plain text (HTML or PDF terms are not shown as
    /// such; the app says they exist).
    pub terms: Terms,
    /// The rights the service needs (it gets no others).
    pub required_rights: Vec<AccessRight>,
    /// Rights the citizen may additionally grant.
    pub optional_rights: Vec<AccessRight>,
    /// The terminal certificate's validity, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day of validity, `YYYY-MM-DD`.
    pub valid_until: String,
}

/// The terms of usage, as far as the app shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Terms {
    /// Plain text, shown as text.
    Text(String),
    /// Terms in a format the app does not render (HTML, PDF, other).
    NotShown,
}

/// What a finished eID login hands the app.
#[derive(Debug)]
pub struct FinishedLogin {
    /// The homeserver's `m.login.token`. Secret; never log it.
    pub login_token: Zeroizing<String>,
    /// The right to one eID attestation, for the account the token logs in to.
    pub attestation: AttestationTicket,
}

/// The right to ask the login service, once and for a few minutes after
/// the eID authentication, to attest the account's cross-signing master
/// key: the attestation URL `{issuer}/attestation/v1/{relay session id}`.
/// The session id is a bearer secret: zeroized on drop, redacted in
/// `Debug`, never logged.
pub struct AttestationTicket {
    http: reqwest::Client,
    url: Zeroizing<String>,
}

impl std::fmt::Debug for AttestationTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttestationTicket").finish_non_exhaustive()
    }
}

impl AttestationTicket {
    /// The ticket of the relay session at `relay_url`
    /// (`{issuer}/relay/v1/{session}`, as the service's `/authorize`
    /// hands it out).
    fn for_relay(http: reqwest::Client, relay_url: &str) -> Result<Self, SsoError> {
        let (issuer, session) = relay_url
            .rsplit_once("/relay/v1/")
            .filter(|(_, session)| !session.is_empty() && !session.contains('/'))
            .ok_or_else(|| SsoError::Attestation("the relay URL has no session id".into()))?;
        Ok(Self {
            http,
            url: Zeroizing::new(format!("{issuer}/attestation/v1/{session}")),
        })
    }

    /// Asks the login service to attest that `user_id` (the account the
    /// eID login produced) holds the cross-signing master key `master_key`
    /// (unpadded base64 ed25519). Returns the attestation, a JWT to publish
    /// in the request rooms. Consumes the ticket: the service accepts it
    /// once.
    pub async fn fetch_attestation(
        self,
        user_id: &str,
        master_key: &str,
    ) -> Result<String, SsoError> {
        #[derive(serde::Deserialize)]
        struct Issued {
            attestation: String,
        }
        let response = self
            .http
            .post(self.url.as_str())
            .json(&serde_json::json!({ "user_id": user_id, "master_key": master_key }))
            .send()
            .await
            // The error's URL holds the session id: drop it.
            .map_err(reqwest::Error::without_url)?;
        let status = response.status();
        if !status.is_success() {
            let reason = response
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|body| body["error"].as_str().map(str::to_owned))
                .unwrap_or_default();
            return Err(SsoError::Attestation(format!("{status}: {reason}")));
        }
        let issued: Issued = response
            .json()
            .await
            .map_err(|_| SsoError::Attestation("an unreadable answer".into()))?;
        Ok(issued.attestation)
    }
}

/// A login between `hello` and the login token.
#[derive(Debug)]
pub struct EidLoginSession {
    http: reqwest::Client,
    homeserver: String,
    relay: RelayClient,
    hello: Hello,
    consent: Consent,
}

impl SsoLogin {
    /// A login at `homeserver` (base URL) through its OIDC provider
    /// `idp_id` (Synapse: `oidc-<idp_id from its config>`).
    pub fn new(homeserver: &str, idp_id: &str) -> Self {
        Self {
            homeserver: homeserver.trim_end_matches('/').to_owned(),
            idp_id: idp_id.to_owned(),
            extra_roots: Vec::new(),
        }
    }

    /// Also trusts `certificate` as a TLS root for this login (a pilot's
    /// own CA, or a test CA); the system's roots stay trusted.
    pub fn with_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.extra_roots.push(certificate);
        self
    }

    /// Walks from the homeserver to the service's `hello` and checks it.
    pub async fn begin(&self) -> Result<EidLoginSession, SsoError> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .tls_certs_merge(self.extra_roots.iter().cloned())
            .build()?;
        let redirect: String =
            url::form_urlencoded::byte_serialize(APP_REDIRECT.as_bytes()).collect();
        let start = http
            .get(format!(
                "{}/_matrix/client/v3/login/sso/redirect/{}?redirectUrl={redirect}",
                self.homeserver, self.idp_id
            ))
            .send()
            .await?;
        if !start.status().is_redirection() {
            return Err(SsoError::Homeserver(format!(
                "expected a redirect, got {}",
                start.status()
            )));
        }
        let authorize = location(&start)
            .ok_or_else(|| SsoError::Homeserver("a redirect without a Location header".into()))?;
        let relay = RelayClient::join(http.clone(), &authorize).await?;
        let hello = relay.hello().await?;
        let consent = match consent_of(&hello) {
            Ok(consent) => consent,
            Err(error) => {
                // Best effort: tell the service the session is dead.
                let _ = relay.abort("invalid_certificate").await;
                return Err(error);
            }
        };
        Ok(EidLoginSession {
            http,
            homeserver: self.homeserver.clone(),
            relay,
            hello,
            consent,
        })
    }
}

impl EidLoginSession {
    /// What the citizen consents to.
    pub fn consent(&self) -> &Consent {
        &self.consent
    }

    /// The CHAT PACE must run with (the service's required rights).
    pub fn required_chat(&self) -> &[u8] {
        &self.hello.required_chat
    }

    /// Runs the relay on the card after PACE, then walks back through the
    /// homeserver to the login token; also returns the ticket for the
    /// account's eID attestation. Card I/O blocks: call this where blocking
    /// is fine (a blocking task with its own runtime handle).
    pub async fn finish<T: CardTransport>(
        &self,
        start: Start,
        card: &mut ClientRelay<T>,
    ) -> Result<FinishedLogin, SsoError> {
        let mut next = self.relay.run(start, card).await?;
        for _ in 0..MAX_REDIRECTS {
            if !next.starts_with(&self.homeserver) {
                return Err(SsoError::Callback(
                    "the service sent the app somewhere other than the homeserver".into(),
                ));
            }
            let response = self.http.get(&next).send().await?;
            if !response.status().is_redirection() {
                return Err(SsoError::Callback(format!(
                    "the homeserver answered {}",
                    response.status()
                )));
            }
            next = location(&response)
                .ok_or_else(|| SsoError::Callback("a redirect without a Location".into()))?;
            if next.starts_with(APP_REDIRECT) {
                return Ok(FinishedLogin {
                    login_token: login_token(&next)?,
                    attestation: AttestationTicket::for_relay(
                        self.http.clone(),
                        self.relay.relay_url(),
                    )?,
                });
            }
        }
        Err(SsoError::Callback("too many redirects".into()))
    }

    /// Runs the relay on the card after PACE like [`Self::finish`], for an
    /// eID authentication of a citizen who is logged in already and only
    /// renews their account's attestation: it stops at the service's
    /// redirect back to the homeserver without following it, so no login
    /// token and no new device come of it, and returns the ticket for the
    /// attestation. The service attests only the account of this card's
    /// pseudonym.
    pub async fn finish_for_attestation<T: CardTransport>(
        &self,
        start: Start,
        card: &mut ClientRelay<T>,
    ) -> Result<AttestationTicket, SsoError> {
        self.relay.run(start, card).await?;
        AttestationTicket::for_relay(self.http.clone(), self.relay.relay_url())
    }

    /// Ends the session at the service (the citizen cancelled, the card was
    /// removed before PACE).
    pub async fn abort(&self, reason: &str) {
        if let Err(error) = self.relay.abort(reason).await {
            tracing::debug!(%error, "abort not delivered");
        }
    }
}

fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()
        .map(str::to_owned)
}

fn login_token(redirect: &str) -> Result<Zeroizing<String>, SsoError> {
    let url = url::Url::parse(redirect)
        .map_err(|_| SsoError::Callback("an unreadable redirect".into()))?;
    url.query_pairs()
        .find(|(key, _)| key == "loginToken")
        .map(|(_, value)| Zeroizing::new(value.into_owned()))
        .ok_or_else(|| SsoError::Callback("no login token in the redirect".into()))
}

/// Checks `hello` and extracts what the citizen is asked.
fn consent_of(hello: &Hello) -> Result<Consent, SsoError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| SsoError::Certificate(format!("{what}: {e}"));
    let certificate = CvCertificate::parse(&hello.terminal_certificate)
        .map_err(|e| bad("terminal certificate", &e))?;
    certificate
        .check_description(&hello.certificate_description)
        .map_err(|e| bad("certificate description", &e))?;
    let description = CertificateDescription::parse(&hello.certificate_description)
        .map_err(|e| bad("certificate description", &e))?;
    let required = Chat::parse(&hello.required_chat).map_err(|e| bad("required rights", &e))?;
    // The service may not ask for more than its certificate grants.
    let granted = &certificate.body.chat;
    if required.intersect(granted) != required {
        return Err(SsoError::Certificate(
            "the service asks for rights its certificate does not grant".into(),
        ));
    }
    let optional = if hello.optional_chat.is_empty() {
        Vec::new()
    } else {
        Chat::parse(&hello.optional_chat)
            .map_err(|e| bad("optional rights", &e))?
            .intersect(granted)
            .rights()
            .into_iter()
            .collect()
    };
    Ok(Consent {
        provider_name: description.subject_name,
        provider_url: description.subject_url,
        issuer_name: description.issuer_name,
        terms: match description.terms_of_usage {
            TermsOfUsage::Plain(text) => Terms::Text(text),
            _ => Terms::NotShown,
        },
        required_rights: required.rights().into_iter().collect(),
        optional_rights: optional,
        valid_from: certificate.body.effective.to_string(),
        valid_until: certificate.body.expiry.to_string(),
    })
}
