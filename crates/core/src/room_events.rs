//! A request room's events, read from matrix-sdk's event cache.
//!
//! The overview ([`crate::requests`]) and the request page
//! ([`crate::request_page`]) both need a room's history from its start.
//! The event cache keeps what sync delivered and what back-pagination
//! fetched in the encrypted local store, so a second read (the next app
//! start, offline) comes from disk rather than one `/messages` round trip
//! per room: with a hundred requests that is the difference between an
//! overview at once and one after a minute. Back-pagination asks the store
//! first and the homeserver only for what the store does not have.

use std::time::Duration;

use matrix_sdk::cross_process_lock::MappedCrossProcessLockState;
use matrix_sdk::deserialized_responses::TimelineEvent as MatrixEvent;
use matrix_sdk::event_cache::EventCacheError;
use matrix_sdk::linked_chunk::LinkedChunkId;
use matrix_sdk::ruma::{EventId, RoomId};
use matrix_sdk::{Client, Room};

use crate::error::CoreError;

/// The most timeline events read per request room.
pub const MAX_EVENTS: usize = 1000;

/// Events per back-pagination step.
const PAGE: u16 = 100;

/// How long one back-pagination may take before the caller goes on with
/// what the local store has (offline, slow server).
const PAGINATION_TIMEOUT: Duration = Duration::from_secs(5);

/// The room's events from the event cache, oldest first, back-paginated
/// (store first, then the server) to the room's start or [`MAX_EVENTS`];
/// and whether the room's start was reached. Offline, what the store has.
pub(crate) async fn read(
    client: &Client,
    room: &Room,
) -> Result<(Vec<MatrixEvent>, bool), CoreError> {
    client.event_cache().subscribe()?;
    let (cache, _drop_handles) = room.event_cache().await?;
    let pagination = cache.pagination();
    let mut complete = false;
    loop {
        if cache.events().await?.len() >= MAX_EVENTS {
            break;
        }
        match tokio::time::timeout(PAGINATION_TIMEOUT, pagination.run_backwards_once(PAGE)).await {
            Ok(Ok(outcome)) if outcome.reached_start => {
                complete = true;
                break;
            }
            Ok(Ok(outcome)) if outcome.events.is_empty() => break,
            Ok(Ok(_)) => {}
            Ok(Err(error)) => {
                tracing::debug!(room_id = %room.room_id(), %error, "back-pagination failed; using what is stored");
                break;
            }
            Err(_) => {
                tracing::debug!(room_id = %room.room_id(), "back-pagination timed out; using what is stored");
                break;
            }
        }
    }
    Ok((cache.events().await?, complete))
}

/// Whether `event_id` is still the latest event of `room_id`'s event cache,
/// asked of the event cache's store without loading the room's event cache
/// or decoding any event: two index reads, the position of `event_id` in the
/// room's linked chunk and the chunks' item counts.
///
/// `true` exactly when `event_id` is the last item of the room's last chunk
/// (the chunk without a successor). The store keeps each chunk's item
/// positions contiguous from 0 (inserting or removing an item shifts the
/// ones after it), so the last item is the one at `count - 1`. Anything
/// else (the event gone, an event after it, a gap or an empty chunk at the
/// end, no chunk at all) is `false`: the caller recomputes, which is only
/// slower, never wrong.
pub(crate) async fn is_latest_event(
    client: &Client,
    room_id: &RoomId,
    event_id: &EventId,
) -> Result<bool, CoreError> {
    let (MappedCrossProcessLockState::Clean(store) | MappedCrossProcessLockState::Dirty(store)) =
        client
            .event_cache_store()
            .lock()
            .await
            .map_err(EventCacheError::from)?;
    let linked_chunk_id = LinkedChunkId::Room(room_id);
    let positions = store
        .filter_duplicated_events(linked_chunk_id, vec![event_id.to_owned()])
        .await
        .map_err(EventCacheError::from)?;
    let Some((_, position)) = positions.first() else {
        return Ok(false);
    };
    let chunks = store
        .load_all_chunks_metadata(linked_chunk_id)
        .await
        .map_err(EventCacheError::from)?;
    let Some(last) = chunks.iter().find(|chunk| chunk.next.is_none()) else {
        return Ok(false);
    };
    Ok(position.chunk_identifier() == last.identifier && position.index() + 1 == last.num_items)
}
