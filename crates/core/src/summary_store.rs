//! Request summaries kept in the encrypted state store, so that the
//! overview at start is a store read rather than a replay of every room.
//!
//! Computing a [`RequestSummary`] means loading the room's history from the
//! event cache (back-paginating to its start) and running the protocol's
//! state machine over it: seconds for a hundred rooms, and offline every
//! room whose cached history does not reach its start tries a
//! back-pagination that fails. So each computed summary is stored with
//! matrix-sdk's custom values (the state store, encrypted with the store
//! key) under `g2c.request_summary.v1.<room_id>`, and reused while it is
//! still valid.
//!
//! # When a stored summary is still valid
//!
//! The summary is a function of (a) the room's timeline as the event cache
//! holds it, (b) the citizen's user id, (c) the current time and (d) this
//! code. Each is covered:
//!
//! - (a) The key is the id of the room's latest event in the event cache.
//!   Everything the summary reads is a timeline event: the G2C messages and
//!   also the request and status *state* events (a state change is a
//!   timeline event, so it appends one), redactions and edits. A new event
//!   changes the latest id, so the next read recomputes. The one change
//!   without a new event is a late decryption: the event cache replaces an
//!   undecryptable event in place when its room key arrives. A summary is
//!   therefore only stored when no event it read was undecryptable.
//! - (b) The citizen's own user id is fixed per store (one store per
//!   session), so it is not part of the key.
//! - (c) Prompts expire: an open prompt with an `expires_at` stops counting
//!   once that time has passed. The stored summary carries the earliest
//!   expiry of its open prompts and is recomputed after it.
//! - (d) The `v1` in the key: a change to how summaries are computed (the
//!   state machine, the fields) bumps it, and the old entries are ignored.
//!
//! Only a summary computed from the room's whole history (its start was
//! reached, or [`crate::requests::MAX_EVENTS`] were read) is stored: one
//! computed offline from a partial history falls back to the room's state
//! and must not be frozen. A stored entry that cannot be read (another
//! format, a broken write) is ignored and recomputed.

use matrix_sdk::Client;
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, OwnedEventId, RoomId};
use serde::{Deserialize, Serialize};

use crate::requests::RequestSummary;

/// A summary as stored, with what decides whether it is still valid.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredSummary {
    /// The latest event in the room's event cache when it was computed.
    pub latest_event_id: OwnedEventId,
    /// The earliest `expires_at` of its open prompts (milliseconds since
    /// the epoch); after it the summary is recomputed.
    pub valid_until_ms: Option<i64>,
    /// The summary.
    pub summary: RequestSummary,
}

impl StoredSummary {
    /// Whether it still describes the room whose latest event is
    /// `latest_event_id`, at `now`.
    pub fn is_valid(
        &self,
        latest_event_id: &OwnedEventId,
        now: MilliSecondsSinceUnixEpoch,
    ) -> bool {
        &self.latest_event_id == latest_event_id
            && self
                .valid_until_ms
                .is_none_or(|until| i64::from(now.get()) <= until)
    }
}

fn key(room_id: &RoomId) -> Vec<u8> {
    format!("g2c.request_summary.v1.{room_id}").into_bytes()
}

/// The stored summary of `room_id`, `None` if there is none or it cannot be
/// read.
pub(crate) async fn load(client: &Client, room_id: &RoomId) -> Option<StoredSummary> {
    let bytes = match client.state_store().get_custom_value(&key(room_id)).await {
        Ok(bytes) => bytes?,
        Err(error) => {
            tracing::debug!(%room_id, %error, "could not read the stored request summary");
            return None;
        }
    };
    match serde_json::from_slice(&bytes) {
        Ok(stored) => Some(stored),
        Err(error) => {
            tracing::debug!(%room_id, %error, "stored request summary not readable; recomputing");
            None
        }
    }
}

/// Stores `stored` for `room_id`; a failure only costs a recomputation.
pub(crate) async fn save(client: &Client, room_id: &RoomId, stored: &StoredSummary) {
    let bytes = match serde_json::to_vec(stored) {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::debug!(%room_id, %error, "could not encode the request summary");
            return;
        }
    };
    if let Err(error) = client
        .state_store()
        .set_custom_value(&key(room_id), bytes)
        .await
    {
        tracing::debug!(%room_id, %error, "could not store the request summary");
    }
}
