//! The OpenID Connect provider's state machine, independent of HTTP:
//! authorization requests, the eID relay sessions they open, single-use
//! authorization codes, tokens and user info.
//!
//! Everything that can expire is checked against an injectable [`Clock`];
//! expired entries are pruned on every call. Codes, tokens and session ids
//! are 256-bit random values and never logged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::authenticator::{EidAuthenticator, EidSession, EidStep};
use crate::clock::Clock;
use crate::config::{ClientConfig, ConfigError, Lifetimes, validate_clients};
use crate::relay::{
    self, ClientBody, JoinInfo, RelayError, RelayErrorCode, ServiceBody, TransmitCommands,
};
use crate::signing::{SigningError, SigningKey, at_hash};
use crate::{pkce, pseudonym};

/// Most relay sessions open at once; more get `busy`.
pub const MAX_OPEN_SESSIONS: usize = 10_000;

/// The parameters of an authorization request (query of `/authorize`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuthorizeParams {
    /// Must be `code`.
    pub response_type: Option<String>,
    /// A registered client.
    pub client_id: Option<String>,
    /// One of the client's registered redirect URIs, exactly.
    pub redirect_uri: Option<String>,
    /// Must contain `openid`.
    pub scope: Option<String>,
    /// Required; returned unchanged.
    pub state: Option<String>,
    /// Required; put into the ID token.
    pub nonce: Option<String>,
    /// Required: base64url SHA-256 of the verifier.
    pub code_challenge: Option<String>,
    /// Must be `S256`.
    pub code_challenge_method: Option<String>,
    /// Only `query` (or absent) is supported.
    pub response_mode: Option<String>,
}

/// Why an authorization request was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// The client is unknown or the redirect URI is not registered: the
    /// user sees an error page, nobody is redirected.
    #[error("unknown client or unregistered redirect_uri")]
    UntrustedRedirect,
    /// The request is invalid; the client learns why at its redirect URI.
    #[error("{error}: {description}")]
    Redirect {
        /// OAuth error code (`invalid_request`, `unsupported_response_type`, …).
        error: &'static str,
        /// Human-readable cause.
        description: &'static str,
        /// The error response URL.
        redirect_to: String,
    },
    /// Too many sessions are open.
    #[error("too many open sessions")]
    Busy,
}

/// The form of a token request, plus the client's credentials.
#[derive(Debug, Default)]
pub struct TokenRequest {
    /// Must be `authorization_code`.
    pub grant_type: Option<String>,
    /// The authorization code.
    pub code: Option<String>,
    /// Must equal the one in the authorization request.
    pub redirect_uri: Option<String>,
    /// The PKCE verifier.
    pub code_verifier: Option<String>,
    /// The authenticated client (from Basic or the form).
    pub client: Option<ClientCredentials>,
}

/// A client id and secret as presented.
pub struct ClientCredentials {
    /// The client id.
    pub client_id: String,
    /// The secret.
    pub client_secret: Zeroizing<String>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// A refused token request (RFC 6749 5.2).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{error}: {description}")]
pub struct TokenError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, …
    pub error: &'static str,
    /// Human-readable cause.
    pub description: &'static str,
}

impl TokenError {
    fn new(error: &'static str, description: &'static str) -> Self {
        Self { error, description }
    }
}

/// A successful token response.
#[derive(Debug, Serialize, Deserialize)]
pub struct TokenResponse {
    /// For `/userinfo`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The signed ID token.
    pub id_token: String,
    /// Always `openid`.
    pub scope: String,
}

/// The claims of an ID token. Nothing about the person but the pseudonymous
/// subject.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct IdTokenClaims {
    /// The issuer URL.
    pub iss: String,
    /// The pseudonym-derived localpart.
    pub sub: String,
    /// The client id.
    pub aud: String,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
    /// When the eID authentication finished.
    pub auth_time: u64,
    /// The nonce from the authorization request.
    pub nonce: String,
    /// Half of SHA-256 over the access token.
    pub at_hash: String,
}

#[derive(Clone)]
struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    state: String,
    nonce: String,
    code_challenge: String,
}

enum Phase {
    Joined,
    Greeted,
    Running { eid: Box<dyn EidSession>, step: u32 },
}

struct Session {
    request: AuthRequest,
    expires_at: u64,
    step_deadline: u64,
    phase: Phase,
}

struct Grant {
    request: AuthRequest,
    sub: String,
    auth_time: u64,
    expires_at: u64,
}

struct UsedCode {
    access_token: Option<String>,
    forget_at: u64,
}

struct AccessGrant {
    sub: String,
    expires_at: u64,
}

#[derive(Default)]
struct State {
    sessions: HashMap<String, Session>,
    codes: HashMap<String, Grant>,
    used_codes: HashMap<String, UsedCode>,
    access_tokens: HashMap<String, AccessGrant>,
}

impl State {
    fn prune(&mut self, now: u64) {
        self.sessions.retain(|_, s| now < s.expires_at);
        self.codes.retain(|_, g| now < g.expires_at);
        self.used_codes.retain(|_, u| now < u.forget_at);
        self.access_tokens.retain(|_, t| now < t.expires_at);
    }
}

/// The provider: registered clients, signing key, eID authenticator, state.
pub struct Provider {
    issuer: String,
    clients: RwLock<HashMap<String, ClientConfig>>,
    lifetimes: Lifetimes,
    signing_key: SigningKey,
    eid: Arc<dyn EidAuthenticator>,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    /// Tickets of finished eID authentications (see [`crate::attestation`]).
    attestations: crate::attestation::AttestationTickets,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// A random 256-bit value, base64url.
fn random_token() -> String {
    let mut bytes = Zeroizing::new([0u8; 32]);
    // A failing system RNG leaves no safe way to go on.
    getrandom::fill(bytes.as_mut()).expect("the system random number generator failed");
    data_encoding::BASE64URL_NOPAD.encode(bytes.as_ref())
}

fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = match url::Url::parse(base) {
        Ok(url) => url,
        Err(_) => return base.to_owned(),
    };
    {
        let mut query = url.query_pairs_mut();
        for (key, value) in pairs {
            query.append_pair(key, value);
        }
    }
    url.into()
}

impl Provider {
    /// A provider for `issuer` (trailing `/` ignored) with these clients.
    pub fn new(
        issuer: &str,
        clients: Vec<ClientConfig>,
        lifetimes: Lifetimes,
        signing_key: SigningKey,
        eid: Arc<dyn EidAuthenticator>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        validate_clients(&clients)?;
        Ok(Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            clients: RwLock::new(
                clients
                    .into_iter()
                    .map(|c| (c.client_id.clone(), c))
                    .collect(),
            ),
            lifetimes,
            signing_key,
            eid,
            clock,
            state: Mutex::new(State::default()),
            attestations: Default::default(),
        })
    }

    /// Replaces the registered clients (configuration reload). Codes and
    /// sessions already issued stay bound to the client they were issued to.
    pub fn set_clients(&self, clients: Vec<ClientConfig>) -> Result<(), ConfigError> {
        validate_clients(&clients)?;
        let map = clients
            .into_iter()
            .map(|c| (c.client_id.clone(), c))
            .collect();
        *self.clients.write().unwrap_or_else(|e| e.into_inner()) = map;
        Ok(())
    }

    fn client(&self, client_id: &str) -> Option<ClientConfig> {
        self.clients
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(client_id)
            .cloned()
    }

    /// The issuer URL without a trailing slash.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves maps that are still valid.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The discovery document (`/.well-known/openid-configuration`).
    pub fn discovery(&self) -> serde_json::Value {
        serde_json::json!({
            "issuer": self.issuer,
            "authorization_endpoint": self.endpoint("/authorize"),
            "token_endpoint": self.endpoint("/token"),
            "userinfo_endpoint": self.endpoint("/userinfo"),
            "jwks_uri": self.endpoint("/jwks"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [crate::signing::ALGORITHM],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash"],
        })
    }

    /// The public signing key set (`/jwks`).
    pub fn jwks(&self) -> serde_json::Value {
        self.signing_key.jwks()
    }

    /// Checks an authorization request and opens its relay session.
    pub fn authorize(&self, params: &AuthorizeParams) -> Result<JoinInfo, AuthorizeError> {
        let client = params
            .client_id
            .as_deref()
            .and_then(|id| self.client(id))
            .ok_or(AuthorizeError::UntrustedRedirect)?;
        let redirect_uri = params
            .redirect_uri
            .as_deref()
            .filter(|uri| client.redirect_uris.iter().any(|r| r == uri))
            .ok_or(AuthorizeError::UntrustedRedirect)?;
        let refuse = |error: &'static str, description: &'static str| {
            let mut pairs = vec![("error", error), ("error_description", description)];
            if let Some(state) = &params.state {
                pairs.push(("state", state));
            }
            AuthorizeError::Redirect {
                error,
                description,
                redirect_to: with_query(redirect_uri, &pairs),
            }
        };
        if params.response_type.as_deref() != Some("code") {
            return Err(refuse(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
        if params
            .response_mode
            .as_deref()
            .is_some_and(|m| m != "query")
        {
            return Err(refuse(
                "invalid_request",
                "only response_mode=query is supported",
            ));
        }
        if !params
            .scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|s| s == "openid"))
        {
            return Err(refuse("invalid_scope", "scope must include openid"));
        }
        let state = params
            .state
            .clone()
            .filter(|s| !s.is_empty() && s.len() <= 512)
            .ok_or_else(|| refuse("invalid_request", "state is required (1-512 characters)"))?;
        let nonce = params
            .nonce
            .clone()
            .filter(|n| !n.is_empty() && n.len() <= 512)
            .ok_or_else(|| refuse("invalid_request", "nonce is required (1-512 characters)"))?;
        if params.code_challenge_method.as_deref() != Some("S256") {
            return Err(refuse(
                "invalid_request",
                "PKCE with code_challenge_method=S256 is required",
            ));
        }
        let code_challenge = params
            .code_challenge
            .clone()
            .filter(|c| pkce::is_valid_challenge(c))
            .ok_or_else(|| {
                refuse(
                    "invalid_request",
                    "code_challenge must be an S256 challenge",
                )
            })?;

        let now = self.clock.now();
        let mut state_guard = self.state();
        state_guard.prune(now);
        if state_guard.sessions.len() >= MAX_OPEN_SESSIONS {
            return Err(AuthorizeError::Busy);
        }
        let session_id = random_token();
        state_guard.sessions.insert(
            session_id.clone(),
            Session {
                request: AuthRequest {
                    client_id: client.client_id.clone(),
                    redirect_uri: redirect_uri.to_owned(),
                    state,
                    nonce,
                    code_challenge,
                },
                expires_at: now + relay::SESSION_LIFETIME_SECS,
                step_deadline: now + relay::STEP_TIMEOUT_SECS,
                phase: Phase::Joined,
            },
        );
        tracing::info!(client_id = %client.client_id, "authorization request accepted, relay session opened");
        Ok(JoinInfo {
            version: relay::PROTOCOL_VERSION,
            relay_url: self.endpoint(&format!("/relay/v1/{session_id}")),
            expires_in: relay::SESSION_LIFETIME_SECS,
        })
    }

    /// Handles one relay message for `session_id`. Any error ends the
    /// session.
    pub fn relay(&self, session_id: &str, body: ClientBody) -> Result<ServiceBody, RelayError> {
        let now = self.clock.now();
        let mut state = self.state();
        state.prune(now);
        let Some(mut session) = state.sessions.remove(session_id) else {
            return Err(RelayError::new(
                RelayErrorCode::UnknownSession,
                "no such relay session",
            ));
        };
        let fail = |request: &AuthRequest, code: RelayErrorCode, message: String| {
            tracing::info!(%code, "relay session ended: {message}");
            RelayError {
                code,
                message,
                redirect_to: Some(with_query(
                    &request.redirect_uri,
                    &[
                        ("error", "access_denied"),
                        ("error_description", "eID authentication failed"),
                        ("state", &request.state),
                    ],
                )),
            }
        };
        if now >= session.step_deadline {
            return Err(fail(
                &session.request,
                RelayErrorCode::Timeout,
                "step timeout".into(),
            ));
        }
        let phase = std::mem::replace(&mut session.phase, Phase::Joined);
        let outcome = match (phase, body) {
            (_, ClientBody::Abort { .. }) => {
                return Err(fail(
                    &session.request,
                    RelayErrorCode::Aborted,
                    "aborted by the app".into(),
                ));
            }
            (Phase::Joined, ClientBody::Hello) => {
                session.phase = Phase::Greeted;
                session.step_deadline = now + relay::STEP_TIMEOUT_SECS;
                let hello = self.eid.hello();
                state.sessions.insert(session_id.to_owned(), session);
                return Ok(ServiceBody::Hello(hello));
            }
            (Phase::Greeted, ClientBody::Start(start)) => {
                self.eid.begin(&start).map(|(eid, step)| (eid, 0, step))
            }
            (Phase::Running { mut eid, step }, ClientBody::Transmit(batch))
                if batch.step == step =>
            {
                eid.step(batch.responses).map(|next| (eid, step, next))
            }
            _ => {
                return Err(fail(
                    &session.request,
                    RelayErrorCode::UnexpectedMessage,
                    "message out of order or wrong step".into(),
                ));
            }
        };
        let (eid, step, next) = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                use crate::authenticator::EidError;
                let code = match error {
                    EidError::Card { .. } => RelayErrorCode::CardError,
                    EidError::TerminalRejected(_) => RelayErrorCode::TerminalNotAccepted,
                    EidError::UntrustedCard(_) => RelayErrorCode::CardNotTrusted,
                    EidError::BadStart(_) | EidError::Verification(_) | EidError::Protocol(_) => {
                        RelayErrorCode::AuthenticationFailed
                    }
                };
                return Err(fail(&session.request, code, error.to_string()));
            }
        };
        match next {
            EidStep::Transmit {
                secure_messaging,
                commands,
            } => {
                let step = step + 1;
                if step > relay::MAX_TRANSMIT_STEPS {
                    return Err(fail(
                        &session.request,
                        RelayErrorCode::TooManySteps,
                        "too many round trips".into(),
                    ));
                }
                if relay::check_batch(&commands).is_err() || commands.is_empty() {
                    return Err(fail(
                        &session.request,
                        RelayErrorCode::Internal,
                        "the eID step produced an invalid batch".into(),
                    ));
                }
                session.phase = Phase::Running { eid, step };
                session.step_deadline = now + relay::STEP_TIMEOUT_SECS;
                state.sessions.insert(session_id.to_owned(), session);
                Ok(ServiceBody::Transmit(TransmitCommands {
                    step,
                    secure_messaging,
                    commands,
                }))
            }
            EidStep::Done(pseudonym) => {
                let sub = pseudonym::localpart(&pseudonym);
                self.attestations.record(session_id, &sub, now);
                let code = random_token();
                let redirect_to = with_query(
                    &session.request.redirect_uri,
                    &[("code", &code), ("state", &session.request.state)],
                );
                state.codes.insert(
                    code,
                    Grant {
                        request: session.request,
                        sub,
                        auth_time: now,
                        expires_at: now + self.lifetimes.code,
                    },
                );
                tracing::info!("eID authentication succeeded, authorization code issued");
                Ok(ServiceBody::Done { redirect_to })
            }
        }
    }

    fn authenticate_client(
        &self,
        credentials: Option<&ClientCredentials>,
    ) -> Result<ClientConfig, TokenError> {
        let invalid = || TokenError::new("invalid_client", "client authentication failed");
        let credentials = credentials.ok_or_else(invalid)?;
        let client = self.client(&credentials.client_id).ok_or_else(invalid)?;
        let matches: bool = client
            .client_secret
            .as_bytes()
            .ct_eq(credentials.client_secret.as_bytes())
            .into();
        if matches { Ok(client) } else { Err(invalid()) }
    }

    /// Exchanges an authorization code for tokens.
    pub fn token(&self, request: &TokenRequest) -> Result<TokenResponse, TokenError> {
        let client = self.authenticate_client(request.client.as_ref())?;
        if request.grant_type.as_deref() != Some("authorization_code") {
            return Err(TokenError::new(
                "unsupported_grant_type",
                "only authorization_code is supported",
            ));
        }
        let code = request
            .code
            .as_deref()
            .ok_or_else(|| TokenError::new("invalid_request", "code is required"))?;
        let invalid_grant = |why| TokenError::new("invalid_grant", why);

        let now = self.clock.now();
        let mut state = self.state();
        state.prune(now);
        if let Some(used) = state.used_codes.get_mut(code) {
            // RFC 6749 4.1.2: a replayed code revokes what it produced.
            if let Some(token) = used.access_token.take() {
                state.access_tokens.remove(&token);
            }
            tracing::warn!("authorization code replayed; its access token is revoked");
            return Err(invalid_grant("code already used"));
        }
        // Single use: the code is gone whatever the outcome below.
        let grant = state.codes.remove(code);
        let forget_at = now + self.lifetimes.code + self.lifetimes.access_token;
        state.used_codes.insert(
            code.to_owned(),
            UsedCode {
                access_token: None,
                forget_at,
            },
        );
        let grant = grant.ok_or_else(|| invalid_grant("unknown or expired code"))?;
        if grant.request.client_id != client.client_id {
            return Err(invalid_grant("code was issued to another client"));
        }
        if now >= grant.expires_at {
            return Err(invalid_grant("code expired"));
        }
        if request.redirect_uri.as_deref() != Some(grant.request.redirect_uri.as_str()) {
            return Err(invalid_grant("redirect_uri does not match"));
        }
        let verifier = request.code_verifier.as_deref().unwrap_or_default();
        if !pkce::verify(verifier, &grant.request.code_challenge) {
            return Err(invalid_grant("PKCE verification failed"));
        }

        let access_token = random_token();
        let claims = IdTokenClaims {
            iss: self.issuer.clone(),
            sub: grant.sub.clone(),
            aud: client.client_id.clone(),
            exp: now + self.lifetimes.id_token,
            iat: now,
            auth_time: grant.auth_time,
            nonce: grant.request.nonce.clone(),
            at_hash: at_hash(&access_token),
        };
        let id_token = self.signing_key.sign(&claims).map_err(|e: SigningError| {
            tracing::error!("signing an ID token failed: {e}");
            TokenError::new("server_error", "could not sign the ID token")
        })?;
        state.access_tokens.insert(
            access_token.clone(),
            AccessGrant {
                sub: grant.sub,
                expires_at: now + self.lifetimes.access_token,
            },
        );
        if let Some(used) = state.used_codes.get_mut(code) {
            used.access_token = Some(access_token.clone());
        }
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: self.lifetimes.access_token,
            id_token,
            scope: "openid".into(),
        })
    }

    /// Issues the eID attestation of relay session `session_id` (single
    /// use; see [`crate::attestation`]): a JWT signed with the ID-token key.
    pub fn attest(
        &self,
        session_id: &str,
        request: &crate::attestation::AttestationRequest,
    ) -> Result<String, crate::attestation::AttestationError> {
        let claims = crate::attestation::claims_for(
            &self.attestations,
            &self.issuer,
            session_id,
            request,
            self.clock.now(),
        )?;
        self.signing_key.sign(&claims).map_err(|error| {
            tracing::error!("signing an attestation failed: {error}");
            crate::attestation::AttestationError::Signing
        })
    }

    /// The user info for a valid access token: only `sub`.
    pub fn userinfo(&self, access_token: &str) -> Option<serde_json::Value> {
        let now = self.clock.now();
        let mut state = self.state();
        state.prune(now);
        state
            .access_tokens
            .get(access_token)
            .map(|grant| serde_json::json!({ "sub": grant.sub }))
    }
}

#[cfg(test)]
mod tests;
