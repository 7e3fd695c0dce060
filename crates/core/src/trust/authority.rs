//! Checking the authority behind a request room: its master key's X.509
//! signature, chain, names and validity, turned into an [`AuthorityTrust`].
//!
//! The room claims an authority twice: the `de.amtsbote.g2c.v1.request`
//! state event's sender is the authority's Matrix account, and its
//! `authority_name` is the name the citizen sees. The certificate must name
//! both: the account as a `matrix:u/…` URI in the subject alternative name
//! (the form matrix-rust-sdk's X.509 verification uses), and the name as the
//! subject's organisation (`O`), compared exactly.
//!
//! A verified authority is also marked verified in matrix-sdk (signed with
//! the citizen's user-signing key). From then on, matrix-sdk refuses to share
//! room keys with a replaced identity of that account until the new one is
//! verified again (see [`super::recipients`]), and [`AuthorityTrust`]
//! reports `identity_changed`.

use std::collections::{HashMap, HashSet};
use std::time::SystemTime;

use g2c_protocol::event::REQUEST;
use matrix_sdk::deserialized_responses::RawAnySyncOrStrippedState;
use matrix_sdk::encryption::identities::UserIdentity;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::{OwnedUserId, UserId};
use serde::{Deserialize, Serialize};
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use super::anchors::TrustAnchors;
use super::chain;
use super::master_key_signature::{
    CERTIFICATE_STATE_EVENT, X509MasterKeySignature, signed_bytes, x509_signatures,
};
use super::signature::{self, ECDSA_WITH_SHA256, ECDSA_WITH_SHA384, ID_SHA256, ID_SHA384};
use super::verdict::{AuthorityTrust, UntrustedReason};
use super::verdict_memo::AuthorityVerdicts;
use crate::error::{CoreError, parse_id};
use crate::requests::RequestSummary;
use crate::session::CitizenClient;

/// What a request room claims about its authority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorityClaim {
    /// The authority's Matrix account (the request event's sender).
    pub user_id: OwnedUserId,
    /// The authority's name as the room states it.
    pub authority_name: String,
}

/// What the authority check reads of a request room's state: the claim
/// (the request event's sender and `authority_name`) and the content of
/// the certificate state event if the claimed authority sent it.
///
/// The overview keeps it in each [`crate::requests::RequestSummary`], read
/// from the room's state whenever the summary is computed, so the list's
/// check ([`CitizenClient::stored_authority_trusts`]) reads no room state;
/// why it is as current as the room is in [`crate::summary_store`] ("The
/// authority's claim and certificate"). The request page's
/// [`CitizenClient::authority_trust`] reads it from the room each time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorityEvidence {
    /// The claimed authority; `None` if the room's request event is
    /// missing or unreadable (then the verdict is `not_a_request_room`).
    pub claim: Option<AuthorityClaim>,
    /// The content of the room's certificate state event
    /// ([`CERTIFICATE_STATE_EVENT`]), only if the claimed authority sent it.
    pub published_certificate: Option<serde_json::Value>,
}

impl AuthorityEvidence {
    /// Reads both from `room`'s state (two state store reads).
    pub(crate) async fn read(room: &matrix_sdk::Room) -> Self {
        let claim = request_claim(room).await;
        let published_certificate = match &claim {
            Some(claim) => published_certificate(room, &claim.user_id).await,
            None => None,
        };
        Self {
            claim,
            published_certificate,
        }
    }
}

/// Checks the master key JSON (as `/keys/query` returns it) of the claimed
/// authority against the trust anchors at time `now`.
///
/// Every `io.element.x509` signature is tried; the first that verifies
/// wins. Otherwise the reason of the first one is returned.
pub fn evaluate_master_key(
    master_key: &serde_json::Value,
    claim: &AuthorityClaim,
    anchors: &TrustAnchors,
    now: SystemTime,
) -> AuthorityTrust {
    let signatures = x509_signatures(master_key, claim.user_id.as_str());
    let mut first_reason = None;
    for (key_id, pem) in signatures {
        match evaluate_signature(master_key, pem, claim, anchors, now) {
            Ok(authority_name) => return AuthorityTrust::Verified { authority_name },
            Err(reason) => {
                tracing::info!(%key_id, ?reason, user_id = %claim.user_id, "authority certificate not accepted");
                first_reason.get_or_insert(reason);
            }
        }
    }
    AuthorityTrust::unverified(first_reason.unwrap_or(UntrustedReason::NoCertificate))
}

fn evaluate_signature(
    master_key: &serde_json::Value,
    pem: &str,
    claim: &AuthorityClaim,
    anchors: &TrustAnchors,
    now: SystemTime,
) -> Result<String, UntrustedReason> {
    let parsed = X509MasterKeySignature::from_pem(pem).map_err(|error| {
        tracing::debug!(%error, "unreadable X.509 signature");
        UntrustedReason::Malformed
    })?;
    chain::validate(&parsed.leaf, &parsed.intermediates, anchors, now)?;
    let authority_name = check_names(&parsed.leaf, claim)?;

    let digest_matches = (parsed.signature_algorithm == ECDSA_WITH_SHA256
        && parsed.digest_algorithm == ID_SHA256)
        || (parsed.signature_algorithm == ECDSA_WITH_SHA384
            && parsed.digest_algorithm == ID_SHA384);
    if !digest_matches {
        return Err(UntrustedReason::Malformed);
    }
    let message = signed_bytes(master_key).map_err(|_| UntrustedReason::Malformed)?;
    match signature::verify(
        parsed.leaf.tbs_certificate().subject_public_key_info(),
        &parsed.signature_algorithm,
        &message,
        &parsed.signature,
    ) {
        Ok(()) => Ok(authority_name),
        Err(signature::SignatureError::Invalid) => Err(UntrustedReason::KeyMismatch),
        Err(signature::SignatureError::Unsupported) => Err(UntrustedReason::Malformed),
    }
}

/// The Matrix URI form of a user id in a certificate: `matrix:u/local:server`.
pub fn matrix_uri(user_id: &UserId) -> String {
    user_id.matrix_uri(false).to_string()
}

/// The leaf must name the claimed account (SAN URI) and the claimed
/// authority (subject organisation). Returns the certificate's name.
fn check_names(leaf: &Certificate, claim: &AuthorityClaim) -> Result<String, UntrustedReason> {
    let expected_uri = matrix_uri(&claim.user_id);
    let names_account = match leaf.tbs_certificate().get_extension::<SubjectAltName>() {
        Ok(Some((_, san))) => san.0.iter().any(|name| {
            matches!(name, GeneralName::UniformResourceIdentifier(uri) if uri.as_str() == expected_uri)
        }),
        _ => false,
    };
    if !names_account {
        return Err(UntrustedReason::OtherAuthority);
    }
    let organisation = leaf
        .tbs_certificate()
        .subject()
        .organization()
        .ok()
        .flatten()
        .map(|o| o.value().into_owned())
        .ok_or(UntrustedReason::OtherAuthority)?;
    if organisation.trim() != claim.authority_name.trim() {
        return Err(UntrustedReason::OtherAuthority);
    }
    Ok(organisation)
}

impl CitizenClient {
    /// Whether the authority behind the request room `room_id` is verified,
    /// by its X.509 certificate against the configured trust anchors (see
    /// [`CitizenClient::set_trust_anchors`]).
    ///
    /// Asks the homeserver for the authority's current keys when it can and
    /// falls back to the local store offline: for the request page, where a
    /// replaced identity must show at once. A verified authority is marked
    /// verified in the crypto store (room keys then stop at a replaced
    /// identity; see the module docs).
    pub async fn authority_trust(&self, room_id: &str) -> Result<AuthorityTrust, CoreError> {
        AuthorityCheck::new(self, KeysSource::Homeserver)
            .room(room_id)
            .await
    }

    /// [`CitizenClient::authority_trust`] with the authority's identity as
    /// the local store has it, for lists: matrix-sdk tracks the keys of
    /// everyone in an encrypted room with us and re-queries them in the sync
    /// loop when the server says they changed, so the store is as current as
    /// the last sync, and an overview of a hundred requests does not cost a
    /// hundred keys queries. Only an authority never seen before is asked
    /// for.
    pub async fn stored_authority_trust(&self, room_id: &str) -> Result<AuthorityTrust, CoreError> {
        AuthorityCheck::new(self, KeysSource::Store)
            .room(room_id)
            .await
    }

    /// [`CitizenClient::stored_authority_trust`] for each of `requests`
    /// (as [`CitizenClient::requests`] returned them), in their order, for
    /// the overview. The room's claim and certificate are taken from each
    /// summary's [`AuthorityEvidence`] (read from the room's state when the
    /// summary was computed, recomputed with every change of the room; see
    /// [`crate::summary_store`]), so no room state is read here. Each
    /// authority's identity is read once, each distinct input (account,
    /// name, master key, published certificate) is checked once (see
    /// [`super::verdict_memo`]), all at one moment against one set of trust
    /// anchors, and a verified authority is marked verified once. Nothing
    /// is kept for the next call.
    pub async fn stored_authority_trusts(
        &self,
        requests: &[RequestSummary],
    ) -> Vec<Result<AuthorityTrust, CoreError>> {
        let mut check = AuthorityCheck::new(self, KeysSource::Store);
        let mut verdicts = Vec::with_capacity(requests.len());
        for request in requests {
            verdicts.push(check.evidence(&request.authority_evidence).await);
        }
        tracing::debug!(
            rooms = requests.len(),
            authorities = check.identities.len(),
            evaluations = check.verdicts.evaluations(),
            "checked the authorities of a list"
        );
        verdicts
    }
}

/// One check of one or more rooms' authorities: their identities, read
/// once per authority, and the verdicts, computed once per distinct input.
struct AuthorityCheck<'a> {
    client: &'a CitizenClient,
    keys: KeysSource,
    identities: HashMap<OwnedUserId, Option<AuthorityIdentity>>,
    verdicts: AuthorityVerdicts,
    /// Authorities already marked verified (or tried) in this check.
    pinned: HashSet<OwnedUserId>,
}

/// An authority's cross-signing identity and its master key as JSON.
struct AuthorityIdentity {
    identity: UserIdentity,
    master_key: serde_json::Value,
}

impl<'a> AuthorityCheck<'a> {
    fn new(client: &'a CitizenClient, keys: KeysSource) -> Self {
        Self {
            client,
            keys,
            identities: HashMap::new(),
            verdicts: AuthorityVerdicts::new(client.trust_anchors(), SystemTime::now()),
            pinned: HashSet::new(),
        }
    }

    async fn room(&mut self, room_id: &str) -> Result<AuthorityTrust, CoreError> {
        let room_id = parse_id::<matrix_sdk::ruma::OwnedRoomId>(room_id)?;
        let room = self
            .client
            .client
            .get_room(&room_id)
            .ok_or_else(|| CoreError::UnknownRoom {
                room_id: room_id.to_string(),
            })?;
        self.evidence(&AuthorityEvidence::read(&room).await).await
    }

    /// The verdict on a room whose state says `evidence`.
    async fn evidence(
        &mut self,
        evidence: &AuthorityEvidence,
    ) -> Result<AuthorityTrust, CoreError> {
        let Some(claim) = &evidence.claim else {
            return Ok(AuthorityTrust::unverified(UntrustedReason::NotARequestRoom));
        };
        if !self.identities.contains_key(&claim.user_id) {
            let identity = self.identity(&claim.user_id).await?;
            self.identities.insert(claim.user_id.clone(), identity);
        }
        let Some(AuthorityIdentity {
            identity,
            master_key,
        }) = &self.identities[&claim.user_id]
        else {
            return Ok(AuthorityTrust::unverified(UntrustedReason::NoIdentity));
        };
        let trust =
            self.verdicts
                .verdict(claim, master_key, evidence.published_certificate.as_ref());
        match trust {
            AuthorityTrust::Verified { .. } => {
                if self.pinned.insert(claim.user_id.clone())
                    && !identity.is_verified()
                    && let Err(error) = identity.verify().await
                {
                    // Still verified by certificate; only the pinning in
                    // matrix-sdk failed (e.g. offline). Retried next time.
                    tracing::warn!(%error, "could not mark the authority verified");
                }
                Ok(trust)
            }
            AuthorityTrust::Unverified { reason, .. } => Ok(AuthorityTrust::Unverified {
                reason,
                identity_changed: identity.has_verification_violation(),
            }),
        }
    }

    /// The authority's identity from where [`Self::keys`] says.
    async fn identity(&self, user_id: &UserId) -> Result<Option<AuthorityIdentity>, CoreError> {
        let encryption = self.client.client.encryption();
        let stored = || async {
            encryption
                .get_user_identity(user_id)
                .await
                .map_err(|e| CoreError::from(matrix_sdk::Error::from(e)))
        };
        let identity = match self.keys {
            KeysSource::Store => match stored().await? {
                Some(identity) => Some(identity),
                None => encryption
                    .request_user_identity(user_id)
                    .await
                    .unwrap_or_else(|error| {
                        tracing::info!(%error, "keys query failed; the authority's identity is unknown");
                        None
                    }),
            },
            KeysSource::Homeserver => match encryption.request_user_identity(user_id).await {
                Ok(identity) => identity,
                Err(error) => {
                    tracing::info!(%error, "keys query failed; using the stored identity");
                    stored().await?
                }
            },
        };
        let Some(identity) = identity else {
            return Ok(None);
        };
        let master_key = serde_json::to_value(identity.master_key().as_ref())
            .map_err(|e| CoreError::from(matrix_sdk::Error::from(e)))?;
        Ok(Some(AuthorityIdentity {
            identity,
            master_key,
        }))
    }
}

/// Where the authority's cross-signing identity is taken from.
#[derive(Clone, Copy)]
enum KeysSource {
    /// A keys query now; the store if that fails.
    Homeserver,
    /// The store; a keys query only for an unknown authority.
    Store,
}

/// The content of the room's certificate state event, if the claimed
/// authority sent it.
async fn published_certificate(
    room: &matrix_sdk::Room,
    authority: &UserId,
) -> Option<serde_json::Value> {
    let raw = match room
        .get_state_event(StateEventType::from(CERTIFICATE_STATE_EVENT), "")
        .await
    {
        Ok(Some(RawAnySyncOrStrippedState::Sync(raw))) => raw.json().get().to_owned(),
        _ => return None,
    };
    let event: serde_json::Value = serde_json::from_str(&raw).ok()?;
    if event.get("sender")?.as_str()? != authority.as_str() {
        tracing::warn!("certificate event not sent by the authority; ignored");
        return None;
    }
    event.get("content").cloned()
}

/// The authority the room claims: the request event's sender and name.
async fn request_claim(room: &matrix_sdk::Room) -> Option<AuthorityClaim> {
    let raw = match room
        .get_state_event(StateEventType::from(REQUEST), "")
        .await
    {
        Ok(Some(RawAnySyncOrStrippedState::Sync(raw))) => raw.json().get().to_owned(),
        Ok(_) => return None,
        Err(error) => {
            tracing::warn!(%error, "could not read room state");
            return None;
        }
    };
    let event: serde_json::Value = serde_json::from_str(&raw).ok()?;
    let sender = UserId::parse(event.get("sender")?.as_str()?).ok()?;
    let authority_name = event
        .get("content")?
        .get("authority_name")?
        .as_str()?
        .to_owned();
    Some(AuthorityClaim {
        user_id: sender,
        authority_name,
    })
}
