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
