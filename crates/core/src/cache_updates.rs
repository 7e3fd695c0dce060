//! Rooms whose stored events changed, announced once the event cache has
//! them.
//!
//! The sync loop sends [`CoreEvent::RoomsChanged`] when `sync_once`
//! returns, and the message handlers send [`CoreEvent::MessageReceived`]
//! while the response is processed. matrix-sdk's event cache handles the
//! same response in its own task, so a reader that reacts to those events
//! (the app re-reads the overview and the open request page) can find the
//! room's event cache without the new events. The overview's stored
//! summaries then rightly count the room as unchanged
//! ([`crate::room_events::is_latest_event`]), and since nothing is sent
//! after the cache catches up, the citizen would not see a new prompt until
//! the next, unrelated event.
//!
//! The event cache announces every change it has stored (events from sync,
//! a back-pagination, a late decryption by its redecryptor) on its generic
//! update channel. [`forward`] passes those on as `RoomsChanged`, so every
//! reader of the event stream gets one more turn after the data is there.
//! Updates already queued are merged into one announcement (one re-read of
//! the overview for a sync that touched many rooms); a lagging receiver
//! announces every joined room, because it cannot know which it missed.

use std::collections::BTreeSet;

use matrix_sdk::Client;
use matrix_sdk::event_cache::RoomEventCacheGenericUpdate;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::events::CoreEvent;

/// Forwards the event cache's updates to `events` until the event cache
/// goes away. `updates` must be subscribed before the event cache starts
/// listening to sync, so that no update is missed.
pub(crate) async fn forward(
    client: Client,
    mut updates: broadcast::Receiver<RoomEventCacheGenericUpdate>,
    events: broadcast::Sender<CoreEvent>,
) {
    loop {
        let mut changed = Changed::default();
        match updates.recv().await {
            Ok(update) => changed.room(update),
            Err(RecvError::Lagged(skipped)) => changed.lagged(skipped),
            Err(RecvError::Closed) => return,
        }
        let mut closed = false;
        loop {
            match updates.try_recv() {
                Ok(update) => changed.room(update),
                Err(TryRecvError::Lagged(skipped)) => changed.lagged(skipped),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Closed) => {
                    closed = true;
                    break;
                }
            }
        }
        let room_ids = changed.room_ids(&client);
        if !room_ids.is_empty() {
            let _ = events.send(CoreEvent::RoomsChanged { room_ids });
        }
        if closed {
            return;
        }
    }
}

/// The rooms of one announcement.
#[derive(Default)]
struct Changed {
    room_ids: BTreeSet<String>,
    lagged: bool,
}

impl Changed {
    fn room(&mut self, update: RoomEventCacheGenericUpdate) {
        self.room_ids.insert(update.room_id.to_string());
    }

    fn lagged(&mut self, skipped: u64) {
        tracing::debug!(
            skipped,
            "event cache updates lagged: announcing every joined room"
        );
        self.lagged = true;
    }

    fn room_ids(mut self, client: &Client) -> Vec<String> {
        if self.lagged {
            self.room_ids.extend(
                client
                    .joined_rooms()
                    .iter()
                    .map(|room| room.room_id().to_string()),
            );
        }
        self.room_ids.into_iter().collect()
    }
}
