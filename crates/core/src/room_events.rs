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

#[cfg(test)]
mod tests {
    use matrix_sdk::linked_chunk::{ChunkIdentifier, Position, Update};
    use matrix_sdk::ruma::serde::Raw;
    use matrix_sdk::ruma::{event_id, room_id};

    use super::*;

    /// A room's linked chunk in a real SQLite event cache store, changed the
    /// way the event cache changes it; after each change, which event is
    /// the latest.
    #[tokio::test]
    async fn the_latest_event_is_the_last_item_of_the_last_chunk() {
        let dir = tempfile::tempdir().unwrap();
        let client = Client::builder()
            .homeserver_url("http://127.0.0.1:9")
            .sqlite_store(dir.path(), None)
            .build()
            .await
            .unwrap();
        let room = room_id!("!request:example.org");
        let other_room = room_id!("!other:example.org");
        let apply = |room_id: &'static RoomId, updates: Vec<Update<MatrixEvent, _>>| {
            let client = client.clone();
            async move {
                let (MappedCrossProcessLockState::Clean(store)
                | MappedCrossProcessLockState::Dirty(store)) =
                    client.event_cache_store().lock().await.unwrap();
                store
                    .handle_linked_chunk_updates(LinkedChunkId::Room(room_id), updates)
                    .await
                    .unwrap();
            }
        };
        let latest = |event_id: &'static EventId| {
            let client = client.clone();
            async move { is_latest_event(&client, room, event_id).await.unwrap() }
        };
        let (a, b, c) = (
            event_id!("$a:example.org"),
            event_id!("$b:example.org"),
            event_id!("$c:example.org"),
        );

        // Nothing cached yet.
        assert!(!latest(a).await);

        apply(
            room,
            vec![
                Update::NewItemsChunk {
                    previous: None,
                    new: ChunkIdentifier::new(0),
                    next: None,
                },
                Update::PushItems {
                    at: Position::new(ChunkIdentifier::new(0), 0),
                    items: vec![event(a), event(b)],
                },
            ],
        )
        .await;
        assert!(latest(b).await);
        assert!(!latest(a).await);
        assert!(!latest(c).await, "an event the cache does not hold");

        // The same event id in another room's chunk says nothing about this one.
        apply(
            other_room,
            vec![
                Update::NewItemsChunk {
                    previous: None,
                    new: ChunkIdentifier::new(0),
                    next: None,
                },
                Update::PushItems {
                    at: Position::new(ChunkIdentifier::new(0), 0),
                    items: vec![event(c)],
                },
            ],
        )
        .await;
        assert!(!latest(c).await);
        assert!(latest(b).await);

        // A new event in a new chunk.
        apply(
            room,
            vec![
                Update::NewItemsChunk {
                    previous: Some(ChunkIdentifier::new(0)),
                    new: ChunkIdentifier::new(1),
                    next: None,
                },
                Update::PushItems {
                    at: Position::new(ChunkIdentifier::new(1), 0),
                    items: vec![event(c)],
                },
            ],
        )
        .await;
        assert!(!latest(b).await);
        assert!(latest(c).await);

        // An empty chunk at the end (a gap counts the same: no items):
        // not the latest any more, recompute.
        apply(
            room,
            vec![Update::NewItemsChunk {
                previous: Some(ChunkIdentifier::new(1)),
                new: ChunkIdentifier::new(2),
                next: None,
            }],
        )
        .await;
        assert!(!latest(c).await);

        // The event cleared away.
        apply(room, vec![Update::Clear]).await;
        assert!(!latest(c).await);
    }

    fn event(event_id: &EventId) -> MatrixEvent {
        MatrixEvent::from_plaintext(
            Raw::from_json_string(format!(
                r#"{{"type":"m.room.message","event_id":"{event_id}","sender":"@amt:example.org","origin_server_ts":1,"content":{{"msgtype":"m.text","body":"x"}}}}"#
            ))
            .unwrap(),
        )
    }
}
