//! eID attestations: the login service vouches that a Matrix account and its
//! cross-signing master key belong to the person who just authenticated with
//! their eID card.
//!
//! Flow: when a relay session ends with a successful eID authentication
//! ([`crate::provider::Provider::relay`]), the provider remembers, for
//! [`TICKET_LIFETIME_SECS`], that this relay session produced that
//! pseudonymous localpart. The app (the relay client, the only other holder
//! of the session id) logs in to Matrix, sets up cross-signing, and then
//! calls `POST {issuer}/attestation/v1/{session}` once with
//! `{"user_id": "@<localpart>:<server>", "master_key": "<unpadded base64 ed25519>"}`.
//! The provider answers `{"attestation": "<JWT>"}`: ES256 with the same key
//! as its ID tokens (verifiable with `/jwks`), claims [`AttestationClaims`].
//! The ticket is single use.
//!
//! Why a relay-session ticket and not the Matrix access token: with the
//! token the service would have to ask the homeserver whose token it is,
//! and a compromised homeserver could obtain attestations for keys of its
//! choosing. The relay session id never passes through the homeserver.
//!
//! The app publishes the JWT in each request room as the state event
//! `de.amtsbote.g2c.v1.eid_attestation` (state key: the citizen's user id);
//! the authority tool verifies it (`g2c_authority::trust`).

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// The `aud` of every attestation.
pub const ATTESTATION_AUDIENCE: &str = "de.amtsbote.g2c.eid_attestation";

/// How long after the eID authentication the app may ask for its
/// attestation.
pub const TICKET_LIFETIME_SECS: u64 = 600;

/// How long an attestation is valid: a fresh eID login renews it.
pub const ATTESTATION_LIFETIME_SECS: u64 = 365 * 24 * 3600;

/// The claims of an attestation JWT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationClaims {
    /// The provider's issuer URL.
    pub iss: String,
    /// The Matrix user id.
    pub sub: String,
    /// Always [`ATTESTATION_AUDIENCE`].
    pub aud: String,
    /// Issued at (seconds since the epoch): the eID authentication's time.
    pub iat: u64,
    /// Expires at.
    pub exp: u64,
    /// The account's cross-signing master key, unpadded base64 (ed25519).
    pub master_key: String,
}

/// What the app sends.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct AttestationRequest {
    /// The Matrix user id the eID login produced.
    pub user_id: String,
    /// The master key to bind, unpadded base64.
    pub master_key: String,
}

/// Why no attestation was issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestationError {
    /// No successful eID authentication for this session, or its ticket
    /// expired or was used.
    #[error("no attestation ticket for this session")]
    NoTicket,
    /// The user id's localpart is not the eID's pseudonym.
    #[error("the user id does not belong to this eID authentication")]
    WrongUser,
    /// The master key is not a 32-byte unpadded base64 value.
    #[error("invalid master key")]
    InvalidKey,
    /// Signing failed.
    #[error("could not sign the attestation")]
    Signing,
}

struct Ticket {
    localpart: String,
    auth_time: u64,
}

/// Tickets of finished eID authentications, by relay session id.
#[derive(Default)]
pub struct AttestationTickets {
    tickets: Mutex<HashMap<String, Ticket>>,
}

impl std::fmt::Debug for AttestationTickets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttestationTickets").finish_non_exhaustive()
    }
}

impl AttestationTickets {
    /// Remembers that relay `session_id` authenticated `localpart` at `now`.
    pub fn record(&self, session_id: &str, localpart: &str, now: u64) {
        let mut tickets = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        tickets.retain(|_, t| now < t.auth_time + TICKET_LIFETIME_SECS);
        tickets.insert(
            session_id.to_owned(),
            Ticket {
                localpart: localpart.to_owned(),
                auth_time: now,
            },
        );
    }

    /// Takes the ticket of `session_id` (single use) if it is still valid:
    /// `(localpart, auth_time)`.
    fn take(&self, session_id: &str, now: u64) -> Option<(String, u64)> {
        let mut tickets = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        let ticket = tickets.remove(session_id)?;
        (now < ticket.auth_time + TICKET_LIFETIME_SECS)
            .then_some((ticket.localpart, ticket.auth_time))
    }
}

/// Checks the request against the ticket of `session_id` and returns the
/// claims to sign.
pub fn claims_for(
    tickets: &AttestationTickets,
    issuer: &str,
    session_id: &str,
    request: &AttestationRequest,
    now: u64,
) -> Result<AttestationClaims, AttestationError> {
    let (localpart, auth_time) = tickets
        .take(session_id, now)
        .ok_or(AttestationError::NoTicket)?;
    let user_localpart = request
        .user_id
        .strip_prefix('@')
        .and_then(|rest| rest.split_once(':'))
        .map(|(local, _server)| local)
        .ok_or(AttestationError::WrongUser)?;
    if user_localpart != localpart {
        return Err(AttestationError::WrongUser);
    }
    let key = data_encoding::BASE64_NOPAD
        .decode(request.master_key.as_bytes())
        .map_err(|_| AttestationError::InvalidKey)?;
    if key.len() != 32 {
        return Err(AttestationError::InvalidKey);
    }
    Ok(AttestationClaims {
        iss: issuer.to_owned(),
        sub: request.user_id.clone(),
        aud: ATTESTATION_AUDIENCE.to_owned(),
        iat: auth_time,
        exp: auth_time + ATTESTATION_LIFETIME_SECS,
        master_key: request.master_key.clone(),
    })
}

/// `POST {issuer}/attestation/v1/{session}`: `{"attestation": JWT}`, or
/// 403 `{"error": …}` when there is no valid ticket for the session or the
/// request does not match it.
pub(crate) async fn http_attest(
    axum::extract::State(provider): axum::extract::State<std::sync::Arc<crate::provider::Provider>>,
    axum::extract::Path(session): axum::extract::Path<String>,
    axum::Json(request): axum::Json<AttestationRequest>,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let mut response = match provider.attest(&session, &request) {
        Ok(attestation) => {
            axum::Json(serde_json::json!({ "attestation": attestation })).into_response()
        }
        Err(error) => {
            tracing::info!(%error, "attestation refused");
            let status = match error {
                AttestationError::Signing => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                AttestationError::InvalidKey => axum::http::StatusCode::BAD_REQUEST,
                AttestationError::NoTicket | AttestationError::WrongUser => {
                    axum::http::StatusCode::FORBIDDEN
                }
            };
            (
                status,
                axum::Json(serde_json::json!({ "error": error.to_string() })),
            )
                .into_response()
        }
    };
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "dGhpcnR5LXR3by1ieXRlcy1vZi1tYXN0ZXIta2V5ISE";

    fn request(user_id: &str) -> AttestationRequest {
        AttestationRequest {
            user_id: user_id.into(),
            master_key: KEY.into(),
        }
    }

    #[test]
    fn a_ticket_attests_its_own_pseudonym_once() {
        let tickets = AttestationTickets::default();
        tickets.record("session", "p-abc", 1000);
        let claims = claims_for(
            &tickets,
            "https://id",
            "session",
            &request("@p-abc:hs"),
            1100,
        )
        .unwrap();
        assert_eq!(claims.sub, "@p-abc:hs");
        assert_eq!(claims.master_key, KEY);
        assert_eq!(claims.iat, 1000);
        assert_eq!(
            claims_for(
                &tickets,
                "https://id",
                "session",
                &request("@p-abc:hs"),
                1100
            ),
            Err(AttestationError::NoTicket)
        );
    }

    #[test]
    fn another_pseudonym_an_old_ticket_or_a_bad_key_is_refused() {
        let tickets = AttestationTickets::default();
        tickets.record("s1", "p-abc", 1000);
        assert_eq!(
            claims_for(&tickets, "i", "s1", &request("@p-other:hs"), 1001),
            Err(AttestationError::WrongUser)
        );
        tickets.record("s2", "p-abc", 1000);
        assert_eq!(
            claims_for(
                &tickets,
                "i",
                "s2",
                &request("@p-abc:hs"),
                1000 + TICKET_LIFETIME_SECS
            ),
            Err(AttestationError::NoTicket)
        );
        tickets.record("s3", "p-abc", 1000);
        let mut bad = request("@p-abc:hs");
        bad.master_key = "short".into();
        assert_eq!(
            claims_for(&tickets, "i", "s3", &bad, 1001),
            Err(AttestationError::InvalidKey)
        );
        assert_eq!(
            claims_for(&tickets, "i", "unknown", &request("@p-abc:hs"), 1001),
            Err(AttestationError::NoTicket)
        );
    }
}
