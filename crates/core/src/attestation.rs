//! The citizen's eID attestation: proof for authorities that this account's
//! cross-signing master key belongs to the person who logged in with their
//! ID card.
//!
//! Why: an authority encrypts notices to the citizen's devices as vouched
//! for by the citizen's master key. Without a link from that key to the
//! eID, a compromised homeserver could swap in an identity of its own
//! (issue 8). Right after an eID login the app asks the login service, with
//! the relay session's ticket, to sign that the account (its pseudonymous
//! user id) holds this master key ([`CitizenClient::master_key_to_attest`]
//! gives the key). The JWT it gets back is handed to
//! [`CitizenClient::set_eid_attestation`].
//!
//! The JWT is kept in the matrix-sdk store's custom values (encrypted with
//! the store key like the rest of the store, deleted with it at logout; a
//! new login is a new device with a fresh store and a fresh attestation).
//! It is published as the state event [`ATTESTATION_EVENT`] with the
//! citizen's user id as state key and content `{"attestation": "<JWT>"}`
//! in every joined request room: right away for the rooms already joined,
//! and after every sync for rooms that do not carry it yet
//! ([`publish_where_missing`], called from [`crate::invites`] after it
//! joined new invites, so a new request room gets it on the sync after the
//! join). A room whose current event already carries this JWT is left
//! alone, as is a room where the power levels do not let the citizen send
//! it (a room not opened by an Amtsbote authority). The event is not
//! encrypted (state events are not): the room's members and the homeserver
//! see the pseudonymous user id and the master key, both of which they
//! already know (docs/privacy.md).
//!
//! The citizen sees whether the account is attested
//! ([`CitizenClient::eid_attestation_state`]): valid until a date, expired,
//! or missing (this device's login got none — a password login in a
//! development build, a ticket that expired or a login service that did not
//! answer — and no request room carries a valid one for the current master
//! key). Authorities that require an attestation withhold notices until
//! then, so a missing one is actionable: a fresh eID authentication on a
//! device that holds the master key yields a new one
//! ([`CitizenClient::renew_eid_attestation`], given the login service's
//! answer to the ticket), which replaces the old one in every room.

use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use matrix_sdk::deserialized_responses::RawAnySyncOrStrippedState;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::{Client, Room};

use crate::error::CoreError;
use crate::session::CitizenClient;

/// The state event type carrying the attestation (the authority tool reads
/// the same type: `g2c_authority::trust::ATTESTATION_EVENT`).
pub const ATTESTATION_EVENT: &str = "de.amtsbote.g2c.v1.eid_attestation";

/// The key of the stored attestation among the state store's custom values.
const STORE_KEY: &[u8] = b"de.amtsbote.g2c.eid_attestation.jwt";

impl CitizenClient {
    /// The account's cross-signing master key (unpadded base64 ed25519) to
    /// have attested, or `None` when this device does not hold the master
    /// key's private part (a new device that has not been recovered yet).
    ///
    /// Only a key this device holds is offered: a key merely read from the
    /// homeserver could be one the homeserver made up, and the login
    /// service would vouch for it.
    pub async fn master_key_to_attest(&self) -> Result<Option<String>, CoreError> {
        let encryption = self.client.encryption();
        let holds_master = encryption
            .cross_signing_status()
            .await
            .is_some_and(|status| status.has_master);
        if !holds_master {
            return Ok(None);
        }
        let Some(user_id) = self.client.user_id() else {
            return Ok(None);
        };
        let identity = encryption
            .get_user_identity(user_id)
            .await
            .map_err(matrix_sdk::Error::from)?;
        Ok(identity
            .and_then(|identity| identity.master_key().get_first_key())
            .map(|key| key.to_base64()))
    }

    /// Keeps `attestation` (the login service's JWT) in the store and
    /// publishes it in every joined request room that does not carry it
    /// yet; returns in how many rooms it was published. Rooms joined later
    /// get it after their first sync.
    pub async fn set_eid_attestation(&self, attestation: &str) -> Result<usize, CoreError> {
        self.client
            .state_store()
            .set_custom_value(STORE_KEY, attestation.as_bytes().to_vec())
            .await
            .map_err(matrix_sdk::Error::from)?;
        tracing::info!("eID attestation stored");
        Ok(publish_where_missing(&self.client).await)
    }

    /// The stored attestation, if the login service issued one for this
    /// device's login.
    pub async fn eid_attestation(&self) -> Result<Option<String>, CoreError> {
        stored_attestation(&self.client).await
    }

    /// Whether the account holds a valid eID attestation of its current
    /// master key (this device's, or one an earlier device published in a
    /// request room), and whether this device can renew it.
    ///
    /// Read from the attestations' claims without checking their signature:
    /// this is what the citizen is told, not a trust decision (authorities
    /// verify the signature themselves, `g2c_authority::trust`).
    pub async fn eid_attestation_state(&self) -> Result<EidAttestationState, CoreError> {
        let user_id = self.user_id();
        let master_key = self.current_master_key().await?;
        let mut candidates: Vec<String> = stored_attestation(&self.client)
            .await?
            .into_iter()
            .collect();
        for room in self.client.joined_rooms() {
            if let Some(published) = current_attestation(&room, &user_id).await? {
                candidates.push(published);
            }
        }
        let status = attestation_status(
            candidates.iter().map(String::as_str),
            &user_id,
            master_key.as_deref(),
            unix_now(),
        );
        Ok(EidAttestationState {
            status,
            renewable: self.master_key_to_attest().await?.is_some(),
        })
    }

    /// Obtains a fresh attestation and keeps and publishes it like
    /// [`Self::set_eid_attestation`]; returns in how many rooms it was
    /// published. `fetch` is given the user id and the master key to attest
    /// and asks the login service (with the ticket of an eID
    /// authentication that just happened, e.g.
    /// `AttestationTicket::fetch_attestation`); its error is the reason the
    /// service gave. The answer is kept only if it binds this account to
    /// this master key.
    pub async fn renew_eid_attestation<F, Fut, E>(
        &self,
        fetch: F,
    ) -> Result<usize, AttestationRenewalError>
    where
        F: FnOnce(String, String) -> Fut,
        Fut: Future<Output = Result<String, E>>,
        E: std::fmt::Display,
    {
        let master_key = self
            .master_key_to_attest()
            .await?
            .ok_or(AttestationRenewalError::NoMasterKey)?;
        let user_id = self.user_id();
        let attestation = fetch(user_id.clone(), master_key.clone())
            .await
            .map_err(|error| AttestationRenewalError::NotIssued(error.to_string()))?;
        let binds = AttestationClaims::read(&attestation)
            .is_some_and(|claims| claims.sub == user_id && claims.master_key == master_key);
        if !binds {
            return Err(AttestationRenewalError::WrongBinding);
        }
        Ok(self.set_eid_attestation(&attestation).await?)
    }

    /// The account's current master key as this device knows it (also when
    /// it does not hold the private part).
    async fn current_master_key(&self) -> Result<Option<String>, CoreError> {
        let Some(user_id) = self.client.user_id() else {
            return Ok(None);
        };
        let identity = self
            .client
            .encryption()
            .get_user_identity(user_id)
            .await
            .map_err(matrix_sdk::Error::from)?;
        Ok(identity
            .and_then(|identity| identity.master_key().get_first_key())
            .map(|key| key.to_base64()))
    }
}

/// Whether the account is attested, as the citizen is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EidAttestationState {
    /// The best attestation of the current master key the app knows of.
    pub status: EidAttestationStatus,
    /// Whether this device can obtain a fresh one (it holds the master
    /// key's private part; a new device must be recovered first).
    pub renewable: bool,
}

/// The best attestation of the account's current master key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EidAttestationStatus {
    /// Valid until `expires_at` (seconds since the epoch).
    Valid {
        /// When it expires.
        expires_at: u64,
    },
    /// There was one, but it expired at `expired_at`.
    Expired {
        /// When it expired.
        expired_at: u64,
    },
    /// None for this account and master key.
    Missing,
}

/// Why no fresh attestation was kept.
#[derive(Debug, thiserror::Error)]
pub enum AttestationRenewalError {
    /// This device does not hold the account's master key (a new device
    /// before its recovery): there is nothing it may have attested.
    #[error("this device does not hold the account's master key")]
    NoMasterKey,
    /// The login service issued none (the reason it gave: the ticket
    /// expired or was used, the card belongs to another account, …).
    #[error("the login service issued no attestation: {0}")]
    NotIssued(String),
    /// The answer does not bind this account to this master key.
    #[error("the attestation does not bind this account's master key")]
    WrongBinding,
    /// Reading the key or keeping the attestation failed.
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// The claims of an attestation the app reads (the login service's
/// `AttestationClaims`, as far as the app needs them).
#[derive(Debug, serde::Deserialize)]
struct AttestationClaims {
    sub: String,
    exp: u64,
    master_key: String,
}

impl AttestationClaims {
    /// The claims of the JWT `jwt`, without checking its signature.
    fn read(jwt: &str) -> Option<Self> {
        let payload = jwt.split('.').nth(1)?;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .ok()?;
        serde_json::from_slice(&json).ok()
    }
}

/// The best status among `attestations` for `user_id` and its current
/// `master_key` at `now` (seconds since the epoch): valid with the latest
/// expiry, else expired, else missing. Attestations of another account or
/// another master key (a reset identity) do not count.
fn attestation_status<'a>(
    attestations: impl IntoIterator<Item = &'a str>,
    user_id: &str,
    master_key: Option<&str>,
    now: u64,
) -> EidAttestationStatus {
    let Some(master_key) = master_key else {
        return EidAttestationStatus::Missing;
    };
    let latest = attestations
        .into_iter()
        .filter_map(AttestationClaims::read)
        .filter(|claims| claims.sub == user_id && claims.master_key == master_key)
        .map(|claims| claims.exp)
        .max();
    match latest {
        Some(exp) if exp > now => EidAttestationStatus::Valid { expires_at: exp },
        Some(exp) => EidAttestationStatus::Expired { expired_at: exp },
        None => EidAttestationStatus::Missing,
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

async fn stored_attestation(client: &Client) -> Result<Option<String>, CoreError> {
    let stored = client
        .state_store()
        .get_custom_value(STORE_KEY)
        .await
        .map_err(matrix_sdk::Error::from)?;
    Ok(stored.and_then(|bytes| String::from_utf8(bytes).ok()))
}

/// Publishes the stored attestation in every joined request room whose
/// current attestation event (from the local store) differs; returns in
/// how many rooms it was sent. Failures are logged and retried after the
/// next sync.
pub(crate) async fn publish_where_missing(client: &Client) -> usize {
    let attestation = match stored_attestation(client).await {
        Ok(Some(attestation)) => attestation,
        Ok(None) => return 0,
        Err(error) => {
            tracing::warn!(%error, "reading the stored eID attestation failed");
            return 0;
        }
    };
    let mut published = 0;
    for room in client.joined_rooms() {
        match publish_in(client, &room, &attestation).await {
            Ok(true) => {
                tracing::info!(room_id = %room.room_id(), "eID attestation published");
                published += 1;
            }
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(room_id = %room.room_id(), %error, "publishing the eID attestation failed; retried after the next sync");
            }
        }
    }
    published
}

/// Sends the attestation into `room` if it is a request room the citizen
/// may publish it in and its current event differs.
async fn publish_in(client: &Client, room: &Room, attestation: &str) -> Result<bool, CoreError> {
    let Some(user_id) = client.user_id() else {
        return Ok(false);
    };
    if !room.encryption_state().is_encrypted()
        || room
            .get_state_event(StateEventType::from(g2c_protocol::event::REQUEST), "")
            .await?
            .is_none()
    {
        return Ok(false);
    }
    let may_send = room
        .power_levels()
        .await
        .map_err(matrix_sdk::Error::from)?
        .user_can_send_state(user_id, StateEventType::from(ATTESTATION_EVENT));
    if !may_send {
        return Ok(false);
    }
    if current_attestation(room, user_id.as_str())
        .await?
        .as_deref()
        == Some(attestation)
    {
        return Ok(false);
    }
    room.send_state_event_raw(
        ATTESTATION_EVENT,
        user_id.as_str(),
        serde_json::json!({ "attestation": attestation }),
    )
    .await?;
    Ok(true)
}

/// The attestation the room's current state holds for `user_id`.
async fn current_attestation(room: &Room, user_id: &str) -> Result<Option<String>, CoreError> {
    let Some(RawAnySyncOrStrippedState::Sync(raw)) = room
        .get_state_event(StateEventType::from(ATTESTATION_EVENT), user_id)
        .await?
    else {
        return Ok(None);
    };
    let Ok(event) = serde_json::from_str::<serde_json::Value>(raw.json().get()) else {
        return Ok(None);
    };
    Ok(event["content"]["attestation"].as_str().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    const USER: &str = "@abc:localhost";
    const KEY: &str = "bWFzdGVyLWtleS1vZi10aGUtY2l0aXplbi0zMmJ5dGVz";

    /// An unsigned JWT with these claims (the app does not check signatures).
    fn jwt(sub: &str, master_key: &str, exp: u64) -> String {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let claims = serde_json::json!({
            "iss": "https://login.example", "sub": sub, "aud": "de.amtsbote.g2c.eid_attestation",
            "iat": 1_000u64, "exp": exp, "master_key": master_key,
        });
        format!(
            "{}.{}.c2ln",
            b64(br#"{"alg":"ES256"}"#),
            b64(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn a_current_attestation_is_valid_until_its_expiry() {
        let valid = jwt(USER, KEY, 2_000);
        assert_eq!(
            attestation_status([valid.as_str()], USER, Some(KEY), 1_500),
            EidAttestationStatus::Valid { expires_at: 2_000 }
        );
    }

    #[test]
    fn the_latest_expiry_wins_and_an_old_one_does_not_hide_it() {
        let old = jwt(USER, KEY, 1_200);
        let fresh = jwt(USER, KEY, 3_000);
        assert_eq!(
            attestation_status([old.as_str(), fresh.as_str()], USER, Some(KEY), 1_500),
            EidAttestationStatus::Valid { expires_at: 3_000 }
        );
    }

    #[test]
    fn an_expired_attestation_is_reported_as_expired() {
        let old = jwt(USER, KEY, 1_200);
        assert_eq!(
            attestation_status([old.as_str()], USER, Some(KEY), 1_200),
            EidAttestationStatus::Expired { expired_at: 1_200 }
        );
    }

    #[test]
    fn none_another_key_another_account_or_garbage_is_missing() {
        let other_key = jwt(USER, "b3RoZXIta2V5", 9_000);
        let other_user = jwt("@someone:localhost", KEY, 9_000);
        let candidates = [
            other_key.as_str(),
            other_user.as_str(),
            "not-a-jwt",
            "a.%%%.b",
        ];
        assert_eq!(
            attestation_status(candidates, USER, Some(KEY), 1_000),
            EidAttestationStatus::Missing
        );
        assert_eq!(
            attestation_status(std::iter::empty(), USER, Some(KEY), 1_000),
            EidAttestationStatus::Missing
        );
    }

    #[test]
    fn without_a_known_master_key_nothing_counts() {
        let valid = jwt(USER, KEY, 2_000);
        assert_eq!(
            attestation_status([valid.as_str()], USER, None, 1_000),
            EidAttestationStatus::Missing
        );
    }
}
