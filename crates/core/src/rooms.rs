//! Request rooms: one end-to-end encrypted Matrix room per application.
//!
//! Rooms are created encrypted from the first event on (the encryption state
//! is part of the creation request). Anything that sends goes through
//! [`CitizenClient::encrypted_room`], which refuses rooms that are not
//! encrypted or whose encryption state is not known.

use matrix_sdk::ruma::api::client::room::create_room::v3::{
    Request as CreateRoomRequest, RoomPreset,
};
use matrix_sdk::ruma::events::InitialStateEvent;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId};
use matrix_sdk::{EncryptionState, Room, RoomState};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, parse_id};
use crate::session::CitizenClient;

/// The citizen's membership in a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    /// Joined.
    Joined,
    /// Invited, not joined yet.
    Invited,
    /// Left or was removed.
    Left,
    /// Anything else (knocked, banned).
    Other,
}

/// A room as the UI lists it, from the local store (works offline).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSummary {
    /// The room id.
    pub room_id: String,
    /// The room's name, if it has one.
    pub name: Option<String>,
    /// Whether the room is end-to-end encrypted (`false` also when unknown).
    pub encrypted: bool,
    /// The citizen's membership.
    pub membership: Membership,
}

impl CitizenClient {
    /// The rooms the local store knows, joined, invited and left.
    pub fn rooms(&self) -> Vec<RoomSummary> {
        self.client
            .rooms()
            .into_iter()
            .map(|room| RoomSummary {
                room_id: room.room_id().to_string(),
                name: room.name(),
                encrypted: room.encryption_state().is_encrypted(),
                membership: match room.state() {
                    RoomState::Joined => Membership::Joined,
                    RoomState::Invited => Membership::Invited,
                    RoomState::Left => Membership::Left,
                    _ => Membership::Other,
                },
            })
            .collect()
    }

    /// Creates an end-to-end encrypted request room named `name` and invites
    /// `invite` (user ids, e.g. the authority's caseworker). Returns the
    /// room id.
    pub async fn create_request_room(
        &self,
        name: &str,
        invite: &[&str],
    ) -> Result<String, CoreError> {
        let invite = invite
            .iter()
            .map(|user| parse_id::<OwnedUserId>(user))
            .collect::<Result<Vec<_>, _>>()?;
        let mut request = CreateRoomRequest::new();
        request.name = Some(name.to_owned());
        request.invite = invite;
        request.preset = Some(RoomPreset::PrivateChat);
        request.initial_state = vec![
            InitialStateEvent::with_empty_state_key(
                RoomEncryptionEventContent::with_recommended_defaults(),
            )
            .to_raw_any(),
        ];
        let room = self.client.create_room(request).await?;
        tracing::info!(room_id = %room.room_id(), "created request room");
        Ok(room.room_id().to_string())
    }

    /// Joins a room the citizen was invited to.
    pub async fn join_room(&self, room_id: &str) -> Result<(), CoreError> {
        let room_id: OwnedRoomId = parse_id(room_id)?;
        self.client.join_room_by_id(&room_id).await?;
        Ok(())
    }

    /// The room, if it is known and end-to-end encrypted; a typed error
    /// otherwise. Asks the server only when the local state cannot tell.
    pub async fn encrypted_room(&self, room_id: &str) -> Result<Room, CoreError> {
        let parsed: OwnedRoomId = parse_id(room_id)?;
        let room = self
            .client
            .get_room(&parsed)
            .ok_or_else(|| CoreError::UnknownRoom {
                room_id: room_id.to_owned(),
            })?;
        let state = match room.encryption_state() {
            EncryptionState::Unknown => room.latest_encryption_state().await.map_err(|error| {
                tracing::debug!(%error, "could not fetch the encryption state");
                CoreError::EncryptionStateUnknown {
                    room_id: room_id.to_owned(),
                }
            })?,
            known => known,
        };
        match state {
            EncryptionState::NotEncrypted => Err(CoreError::NotEncrypted {
                room_id: room_id.to_owned(),
            }),
            EncryptionState::Unknown => Err(CoreError::EncryptionStateUnknown {
                room_id: room_id.to_owned(),
            }),
            _ => Ok(room),
        }
    }
}
