//! Citizens proven by eID: verifying the login service's attestation that
//! binds a citizen's Matrix account to its cross-signing master key, and
//! refusing notices to unattested citizens when so configured.
//!
//! The citizen's app publishes the attestation JWT (ES256, issued by the
//! login service right after an eID authentication; see
//! `g2c_login_service::attestation`) in the request room as the state event
//! [`ATTESTATION_EVENT`] with the citizen's user id as state key and content
//! `{"attestation": "<JWT>"}`. [`AttestationVerifier`] checks signature
//! (the service's JWKS, configured, never fetched through the homeserver),
//! issuer, audience, expiry, subject and that the attested master key is the
//! citizen's current one. A homeserver can withhold the event (the notice is
//! then refused: fail closed) but cannot forge it.

use std::time::{SystemTime, UNIX_EPOCH};

use g2c_protocol::prompt::NoticeEventContent;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use matrix_sdk::RoomMemberships;
use matrix_sdk::deserialized_responses::RawAnySyncOrStrippedState;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::{OwnedEventId, OwnedUserId, RoomId, UserId};
use serde::Deserialize;

use crate::client::AuthorityClient;
use crate::media::Attachment;

/// The state event type carrying a citizen's attestation.
pub const ATTESTATION_EVENT: &str = "de.amtsbote.g2c.v1.eid_attestation";

/// The `aud` of attestations (as the login service issues them).
pub const ATTESTATION_AUDIENCE: &str = "de.amtsbote.g2c.eid_attestation";

/// Why a citizen is not attested.
#[derive(Debug, thiserror::Error)]
pub enum AttestationRefusal {
    /// The JWKS could not be read.
    #[error("invalid JWKS: {0}")]
    Jwks(String),
    /// No attestation event for the citizen in the room.
    #[error("{0} has no eID attestation in this room")]
    Missing(OwnedUserId),
    /// The JWT does not verify (signature, issuer, audience, expiry).
    #[error("the attestation of {user} does not verify: {reason}")]
    Invalid {
        /// The citizen.
        user: OwnedUserId,
        /// What failed.
        reason: String,
    },
    /// The attestation is for another account.
    #[error("the attestation names another account than {0}")]
    OtherAccount(OwnedUserId),
    /// The attested master key is not the citizen's current one (the
    /// identity was replaced since the eID login).
    #[error("the attested master key of {0} is not its current one")]
    KeyMismatch(OwnedUserId),
    /// The citizen has no cross-signing identity.
    #[error("{0} has no cross-signing identity")]
    NoIdentity(OwnedUserId),
    /// The homeserver could not be asked.
    #[error("matrix: {0}")]
    Matrix(Box<matrix_sdk::Error>),
    /// Sending the notice failed after the check.
    #[error("send: {0}")]
    Send(Box<crate::AuthorityError>),
}

impl From<matrix_sdk::Error> for AttestationRefusal {
    fn from(error: matrix_sdk::Error) -> Self {
        Self::Matrix(Box::new(error))
    }
}

/// The claims the authority reads from an attestation.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct AttestationClaims {
    /// The Matrix user id.
    pub sub: String,
    /// The attested master key (unpadded base64 ed25519).
    pub master_key: String,
    /// When the eID authentication happened.
    pub iat: u64,
    /// Expiry.
    pub exp: u64,
}

/// Verifies attestations of one login service.
pub struct AttestationVerifier {
    issuer: String,
    keys: JwkSet,
}

impl std::fmt::Debug for AttestationVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttestationVerifier")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl AttestationVerifier {
    /// A verifier for the login service `issuer` with its JWKS (the JSON of
    /// its `/jwks`, configured out of band).
    pub fn new(issuer: &str, jwks: &str) -> Result<Self, AttestationRefusal> {
        let keys: JwkSet =
            serde_json::from_str(jwks).map_err(|e| AttestationRefusal::Jwks(e.to_string()))?;
        Ok(Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            keys,
        })
    }

    /// Verifies `jwt` as an attestation of `user`'s master key
    /// `master_key` (unpadded base64) at `now`.
    pub fn verify(
        &self,
        jwt: &str,
        user: &UserId,
        master_key: &str,
        now: SystemTime,
    ) -> Result<AttestationClaims, AttestationRefusal> {
        let invalid = |reason: String| AttestationRefusal::Invalid {
            user: user.to_owned(),
            reason,
        };
        let header = jsonwebtoken::decode_header(jwt).map_err(|e| invalid(e.to_string()))?;
        let jwk = header
            .kid
            .as_deref()
            .and_then(|kid| self.keys.find(kid))
            .ok_or_else(|| invalid("unknown signing key".into()))?;
        let key = DecodingKey::from_jwk(jwk).map_err(|e| invalid(e.to_string()))?;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&[ATTESTATION_AUDIENCE]);
        validation.set_issuer(&[&self.issuer]);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<AttestationClaims>(jwt, &key, &validation)
            .map_err(|e| invalid(e.to_string()))?
            .claims;
        let now = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        if now >= claims.exp {
            return Err(invalid("expired".into()));
        }
        if claims.sub != user.as_str() {
            return Err(AttestationRefusal::OtherAccount(user.to_owned()));
        }
        if claims.master_key != master_key {
            return Err(AttestationRefusal::KeyMismatch(user.to_owned()));
        }
        Ok(claims)
    }
}

impl AuthorityClient {
    /// Checks the eID attestation of `citizen` in `room_id` against the
    /// citizen's current master key.
    pub async fn citizen_attestation(
        &self,
        room_id: &RoomId,
        citizen: &UserId,
        verifier: &AttestationVerifier,
    ) -> Result<AttestationClaims, AttestationRefusal> {
        let room = self
            .matrix()
            .get_room(room_id)
            .ok_or_else(|| AttestationRefusal::Missing(citizen.to_owned()))?;
        let raw = match room
            .get_state_event(StateEventType::from(ATTESTATION_EVENT), citizen.as_str())
            .await?
        {
            Some(RawAnySyncOrStrippedState::Sync(raw)) => raw.json().get().to_owned(),
            _ => return Err(AttestationRefusal::Missing(citizen.to_owned())),
        };
        let event: serde_json::Value = serde_json::from_str(&raw)
            .map_err(|_| AttestationRefusal::Missing(citizen.to_owned()))?;
        // Only the citizen may publish their own attestation.
        if event["sender"] != citizen.as_str() {
            return Err(AttestationRefusal::Missing(citizen.to_owned()));
        }
        let jwt = event["content"]["attestation"]
            .as_str()
            .ok_or_else(|| AttestationRefusal::Missing(citizen.to_owned()))?;
        let identity = self
            .matrix()
            .encryption()
            .request_user_identity(citizen)
            .await?
            .ok_or_else(|| AttestationRefusal::NoIdentity(citizen.to_owned()))?;
        let master_key = identity
            .master_key()
            .get_first_key()
            .ok_or_else(|| AttestationRefusal::NoIdentity(citizen.to_owned()))?
            .to_base64();
        verifier.verify(jwt, citizen, &master_key, SystemTime::now())
    }

    /// Sends `notice` only if every other member of the room (the citizen)
    /// is attested; otherwise refuses with the first refusal and sends
    /// nothing. `label` names the notice in the answers (a scenario's step
    /// id).
    pub async fn send_notice_to_attested(
        &self,
        room_id: &RoomId,
        notice: NoticeEventContent,
        attachments: &[Attachment],
        label: Option<&str>,
        verifier: &AttestationVerifier,
    ) -> Result<OwnedEventId, AttestationRefusal> {
        let room = self
            .matrix()
            .get_room(room_id)
            .ok_or_else(|| AttestationRefusal::Missing(self.user_id()))?;
        let own = self.user_id();
        let members = room
            .members(RoomMemberships::JOIN | RoomMemberships::INVITE)
            .await?;
        for member in members.iter().filter(|m| m.user_id() != own) {
            let claims = self
                .citizen_attestation(room_id, member.user_id(), verifier)
                .await?;
            tracing::info!(citizen = %claims.sub, "citizen attested by eID");
        }
        self.send_notice(room_id, notice, attachments, label)
            .await
            .map_err(|e| AttestationRefusal::Send(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use p256::pkcs8::DecodePrivateKey as _;

    const ISSUER: &str = "https://id.example/login";
    const USER: &str = "@p-abc:hs.example";
    const KEY: &str = "dGhpcnR5LXR3by1ieXRlcy1vZi1tYXN0ZXIta2V5ISE";

    /// A login-service-like ES256 key: the encoding key and its JWKS.
    fn service_key() -> (jsonwebtoken::EncodingKey, String) {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let pem = pair.serialize_pem();
        let point = p256::SecretKey::from_pkcs8_pem(&pem)
            .unwrap()
            .public_key()
            .to_sec1_bytes();
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "k1",
            "x": b64(&point[1..33]), "y": b64(&point[33..65]),
        }]});
        (
            jsonwebtoken::EncodingKey::from_ec_der(&pair.serialize_der()),
            jwks.to_string(),
        )
    }

    fn attestation(key: &jsonwebtoken::EncodingKey, claims: serde_json::Value) -> String {
        let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
        header.kid = Some("k1".into());
        jsonwebtoken::encode(&header, &claims, key).unwrap()
    }

    fn claims(iss: &str, sub: &str, exp: u64) -> serde_json::Value {
        serde_json::json!({
            "iss": iss, "sub": sub, "aud": ATTESTATION_AUDIENCE,
            "iat": 1_700_000_000u64, "exp": exp, "master_key": KEY,
        })
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000)
    }

    #[test]
    fn a_valid_attestation_for_the_current_key_verifies() {
        let (key, jwks) = service_key();
        let verifier = AttestationVerifier::new(ISSUER, &jwks).unwrap();
        let jwt = attestation(&key, claims(ISSUER, USER, 1_900_000_000));
        let user = UserId::parse(USER).unwrap();
        let verified = verifier.verify(&jwt, &user, KEY, now()).unwrap();
        assert_eq!(verified.sub, USER);
    }

    #[test]
    fn another_key_account_issuer_signer_or_an_expired_one_is_refused() {
        let (key, jwks) = service_key();
        let verifier = AttestationVerifier::new(ISSUER, &jwks).unwrap();
        let user = UserId::parse(USER).unwrap();
        let good = attestation(&key, claims(ISSUER, USER, 1_900_000_000));
        assert!(matches!(
            verifier.verify(&good, &user, "b3RoZXIta2V5", now()),
            Err(AttestationRefusal::KeyMismatch(_))
        ));
        let other = UserId::parse("@p-other:hs.example").unwrap();
        assert!(matches!(
            verifier.verify(&good, &other, KEY, now()),
            Err(AttestationRefusal::OtherAccount(_))
        ));
        let foreign_issuer = attestation(&key, claims("https://evil", USER, 1_900_000_000));
        assert!(matches!(
            verifier.verify(&foreign_issuer, &user, KEY, now()),
            Err(AttestationRefusal::Invalid { .. })
        ));
        let expired = attestation(&key, claims(ISSUER, USER, 1_750_000_000));
        assert!(matches!(
            verifier.verify(&expired, &user, KEY, now()),
            Err(AttestationRefusal::Invalid { .. })
        ));
        let (impostor, _) = service_key();
        let forged = attestation(&impostor, claims(ISSUER, USER, 1_900_000_000));
        assert!(matches!(
            verifier.verify(&forged, &user, KEY, now()),
            Err(AttestationRefusal::Invalid { .. })
        ));
    }

    #[test]
    fn a_jwks_that_is_not_json_is_refused() {
        assert!(matches!(
            AttestationVerifier::new("https://id.example", "nope"),
            Err(AttestationRefusal::Jwks(_))
        ));
    }

    #[test]
    fn a_token_that_is_not_a_jwt_is_invalid() {
        let verifier = AttestationVerifier::new("https://id.example", r#"{"keys": []}"#).unwrap();
        let user = UserId::parse("@p-abc:hs").unwrap();
        assert!(matches!(
            verifier.verify("not.a.jwt", &user, "KEY", SystemTime::now()),
            Err(AttestationRefusal::Invalid { .. })
        ));
    }
}
