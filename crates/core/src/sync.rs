//! The sync loop and the connection state.
//!
//! Classic `/sync` (`Client::sync_once` in a loop) rather than sliding sync:
//! one request shape, the sync token persisted by matrix-sdk in the store,
//! and no dependency on matrix-sdk-ui. Failures switch the state to
//! [`ConnectionState::Reconnecting`] and retry with exponential backoff; a
//! successful sync switches back to [`ConnectionState::Connected`] and
//! re-enables the send queue, which disables itself on network errors.
//!
//! Incoming messages reach the UI through event handlers registered on the
//! client (see [`register_message_handlers`]); rooms whose events the event
//! cache has stored are announced once more by [`crate::cache_updates`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::EncryptionInfo;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::room::message::OriginalSyncRoomMessageEvent;
use matrix_sdk::{Client, Room};
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::AbortHandle;

use crate::events::{ConnectionState, CoreEvent};
use crate::session::CitizenClient;

/// Tuning of the sync loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncOptions {
    /// How long the server may hold a sync request open.
    pub long_poll: Duration,
    /// The first retry delay after a failure.
    pub initial_backoff: Duration,
    /// The longest retry delay.
    pub max_backoff: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            long_poll: Duration::from_secs(30),
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl SyncOptions {
    /// The delay before retry number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// A running sync loop.
pub(crate) struct SyncTask {
    abort: AbortHandle,
    /// The forwarder of the event cache's updates ([`crate::cache_updates`]).
    cache_updates: AbortHandle,
    wake: Arc<Notify>,
}

impl CitizenClient {
    /// Starts the sync loop (no-op if it runs).
    pub fn start_sync(&self, options: SyncOptions) {
        let mut sync = self.sync.lock().expect("sync lock poisoned");
        if sync.as_ref().is_some_and(|task| !task.abort.is_finished()) {
            return;
        }
        // A loop that ended by itself (the session was ended) leaves its
        // forwarder behind: one per loop.
        if let Some(ended) = sync.take() {
            ended.cache_updates.abort();
        }
        // Subscribed before the event cache listens to sync: no update of
        // it goes unannounced.
        let cache_updates = tokio::spawn(crate::cache_updates::forward(
            self.client.clone(),
            self.client
                .event_cache()
                .subscribe_to_room_generic_updates(),
            self.events.clone(),
        ));
        // The request page reads timelines from the event cache; it must
        // see sync responses from the start to have the rooms' pagination
        // tokens (see request_page).
        if let Err(error) = self.client.event_cache().subscribe() {
            tracing::warn!(%error, "could not start the event cache");
        }
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(sync_loop(
            self.client.clone(),
            self.events.clone(),
            self.connection.clone(),
            self.send_paused.clone(),
            wake.clone(),
            options,
        ));
        *sync = Some(SyncTask {
            abort: task.abort_handle(),
            cache_updates: cache_updates.abort_handle(),
            wake,
        });
    }

    /// Stops the sync loop.
    pub fn stop_sync(&self) {
        if let Some(task) = self.sync.lock().expect("sync lock poisoned").take() {
            task.abort.abort();
            task.cache_updates.abort();
            set_state(&self.connection, &self.events, ConnectionState::Stopped);
        }
    }

    /// Cuts a backoff wait short, e.g. when the operating system reports
    /// that the network is back.
    pub fn reconnect_now(&self) {
        if let Some(task) = self.sync.lock().expect("sync lock poisoned").as_ref() {
            task.wake.notify_one();
        }
    }

    /// The current connection state.
    pub fn connection_state(&self) -> ConnectionState {
        *self.connection.borrow()
    }

    /// A watch on the connection state.
    pub fn watch_connection(&self) -> watch::Receiver<ConnectionState> {
        self.connection.subscribe()
    }
}

fn set_state(
    connection: &watch::Sender<ConnectionState>,
    events: &broadcast::Sender<CoreEvent>,
    state: ConnectionState,
) {
    let changed = connection.send_if_modified(|current| {
        let changed = *current != state;
        *current = state;
        changed
    });
    if changed {
        tracing::debug!(?state, "connection state");
        let _ = events.send(CoreEvent::ConnectionChanged { state });
    }
}

async fn sync_loop(
    client: Client,
    events: broadcast::Sender<CoreEvent>,
    connection: watch::Sender<ConnectionState>,
    send_paused: Arc<AtomicBool>,
    wake: Arc<Notify>,
    options: SyncOptions,
) {
    set_state(&connection, &events, ConnectionState::Connecting);
    let settings = SyncSettings::default().timeout(options.long_poll);
    let mut attempt = 0u32;
    loop {
        match client.sync_once(settings.clone()).await {
            Ok(response) => {
                let reconnected = attempt > 0;
                attempt = 0;
                set_state(&connection, &events, ConnectionState::Connected);
                // matrix-sdk pauses a room's send queue on a network error
                // (only that room's, not the global flag): resume all rooms
                // once the server answers again.
                if reconnected || send_paused.swap(false, Ordering::SeqCst) {
                    client.send_queue().set_enabled(true).await;
                }
                crate::invites::accept_request_invites(&client).await;
                let rooms = &response.rooms;
                let room_ids: Vec<String> = rooms
                    .joined
                    .keys()
                    .chain(rooms.invited.keys())
                    .chain(rooms.left.keys())
                    .chain(rooms.knocked.keys())
                    .map(ToString::to_string)
                    .collect();
                if !room_ids.is_empty() {
                    let _ = events.send(CoreEvent::RoomsChanged { room_ids });
                }
            }
            Err(error) => {
                if matches!(
                    error.client_api_error_kind(),
                    Some(ErrorKind::UnknownToken(_))
                ) {
                    // The session watcher tells the UI; syncing is pointless.
                    tracing::warn!("sync stopped: the server no longer knows this session");
                    set_state(&connection, &events, ConnectionState::Stopped);
                    return;
                }
                attempt = attempt.saturating_add(1);
                let delay = options.backoff(attempt);
                tracing::debug!(%error, attempt, ?delay, "sync failed");
                set_state(
                    &connection,
                    &events,
                    ConnectionState::Reconnecting {
                        attempt,
                        retry_in_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    },
                );
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = wake.notified() => {}
                }
            }
        }
    }
}

/// Forwards incoming messages to the UI stream.
pub(crate) fn register_message_handlers(client: &Client, events: &broadcast::Sender<CoreEvent>) {
    let events = events.clone();
    client.add_event_handler(
        move |event: OriginalSyncRoomMessageEvent,
              room: Room,
              encryption_info: Option<EncryptionInfo>| {
            let events = events.clone();
            async move {
                let _ = events.send(CoreEvent::MessageReceived {
                    room_id: room.room_id().to_string(),
                    event_id: event.event_id.to_string(),
                    sender: event.sender.to_string(),
                    event_type: "m.room.message".to_owned(),
                    body: Some(event.content.body().to_owned()),
                    encrypted: encryption_info.is_some(),
                });
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let options = SyncOptions {
            long_poll: Duration::from_secs(30),
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(4),
        };
        assert_eq!(options.backoff(1), Duration::from_millis(500));
        assert_eq!(options.backoff(2), Duration::from_secs(1));
        assert_eq!(options.backoff(4), Duration::from_secs(4));
        assert_eq!(options.backoff(1000), Duration::from_secs(4));
    }

    #[test]
    fn events_serialize_tagged() {
        let event = CoreEvent::ConnectionChanged {
            state: ConnectionState::Reconnecting {
                attempt: 2,
                retry_in_ms: 1000,
            },
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "connection_changed",
                "state": {"state": "reconnecting", "attempt": 2, "retry_in_ms": 1000}
            })
        );
        let back: CoreEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
}
