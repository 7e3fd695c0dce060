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

use matrix_sdk::deserialized_responses::TimelineEvent as MatrixEvent;
use matrix_sdk::ruma::OwnedEventId;
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

/// The id of the room's latest event as the event cache holds it; `None`
/// if the cache holds no event. Loads only the cache's last chunk from the
/// store: cheap, and no network.
pub(crate) async fn latest_event_id(
    client: &Client,
    room: &Room,
) -> Result<Option<OwnedEventId>, CoreError> {
    client.event_cache().subscribe()?;
    let (cache, _drop_handles) = room.event_cache().await?;
    Ok(cache
        .rfind_map_event_in_memory_by(|event| event.event_id())
        .await?)
}
