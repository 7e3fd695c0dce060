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
//! # How "still the latest event" is checked
//!
//! Not by opening the room's event cache: that loads and decodes the
//! cache's last chunk (every event in it, decrypted with the store key and
//! deserialised) and keeps it in memory, ~0.3 s per room in a dev build,
//! which was almost all of a 100-room start (docs/benchmarks.md, "Core").
//! [`crate::room_events::is_latest_event`] asks the event cache's SQLite
//! store two index questions instead: where the stored event id sits in the
//! room's linked chunk, and how many items each chunk holds. The summary is
//! reused only if that event is the last item of the last chunk. Why no
//! change in the room can be missed by that:
//!
//! - Every event the event cache gains from sync (and one it already had,
//!   deduplicated) is appended at the end of the room's linked chunk, and
//!   the cache writes each change to the store before it announces it or
//!   lets the next reader in. So after a new event the stored id is not the
//!   last item any more, in this process and after a restart.
//! - A limited sync appends a gap and then the new events; a gap or an
//!   empty chunk at the end, a cleared cache (the stored id gone) or a
//!   missing store all answer "not the latest": recomputed, never reused.
//! - Back-pagination adds events *before* the others. A stored summary was
//!   computed from the whole history (below), so there is nothing older it
//!   could have missed, except beyond [`crate::requests::MAX_EVENTS`],
//!   which the summary never reads.
//! - The request state event: a stored summary is reused without reading
//!   the room's state, because it exists only for a room that was a
//!   request room when it was computed, and the request event can only be
//!   changed by a state event, which is a timeline event (first point).
//!   That the room is still joined and encrypted is checked first, from
//!   the room list in memory.
//!
//! # The authority's claim and certificate
//!
//! A summary also carries what the overview's authority check reads of the
//! room's state ([`crate::trust::authority::AuthorityEvidence`]: the
//! request event's sender and `authority_name`, and the content of the
//! authority's certificate state event), so that
//! [`crate::CitizenClient::stored_authority_trusts`] reads no room state:
//! two state reads per room were most of the list's trust check (~1.1 ms
//! per room in a debug build, docs/benchmarks.md "App"). Only the inputs
//! are kept, never a verdict: the master key (from the crypto store), the
//! trust anchors and the time are taken afresh on every list, and the
//! chain, names and signature are checked every time (once per distinct
//! input, `trust::verdict_memo`). Why the stored inputs are the room's
//! current ones:
//!
//! - They are read from the room's state when the summary is computed,
//!   *after* its events were read from the event cache. matrix-sdk saves a
//!   sync's state changes to the state store before it hands the sync's
//!   events to the event cache (`Client::process_sync`:
//!   `receive_sync_response`, then the room updates the event cache
//!   listens to), so the state read is at least as new as the latest
//!   event the summary is stored with. (If it is newer, the event cache
//!   gains that event next and the summary is recomputed: slower, never
//!   stale.)
//! - Both are state events with an empty state key, and a state event is a
//!   timeline event: a new certificate, a replaced request event (another
//!   sender or name), or either removed (an empty content replacing it)
//!   appends an event, so the latest id changes and the next read
//!   recomputes the summary with the new state (first point of the list
//!   above). A limited sync delivers the skipped state in its `state`
//!   section together with timeline events, which also change the latest
//!   id.
//! - What is not covered: the server changing the room's state without any
//!   new event in the timeline (a "state reset" of state resolution). Then
//!   the list keeps the inputs of the summary it shows, the same freshness
//!   as the summary's name and status next to it, until the room's next
//!   event; the request page reads the room's state each time
//!   ([`crate::CitizenClient::authority_trust`]). A homeserver that could
//!   do so can also withhold the certificate event anyway (docs/security.md
//!   C1); it cannot make a certificate sign another master key.
//! - A summary stored before the inputs were part of it fails to read (the
//!   field has no default) and is recomputed.
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
    /// Whether none of its open prompts has expired at `now` (whether the
    /// room is unchanged is [`crate::room_events::is_latest_event`]'s to
    /// say).
    pub fn is_unexpired(&self, now: MilliSecondsSinceUnixEpoch) -> bool {
        self.valid_until_ms
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
