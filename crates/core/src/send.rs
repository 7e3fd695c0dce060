//! Nothing lost: sending through matrix-sdk's persistent send queue.
//!
//! A message is written to the local store before anything goes over the
//! network, sent in order in the background, retried when the connection
//! comes back (the sync loop re-enables the queue) and, after a restart,
//! picked up again by [`CitizenClient::restore`]. Every state change of
//! the queue becomes a [`CoreEvent::SendStateChanged`].

use matrix_sdk::ruma::events::AnyMessageLikeEventContent;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::send_queue::{LocalEchoContent, RoomSendQueueUpdate, SendHandle};
use tokio::sync::broadcast;

use crate::error::CoreError;
use crate::events::{CoreEvent, SendState};
use crate::session::CitizenClient;

/// A message in the send queue, to follow, cancel or retry.
#[derive(Clone, Debug)]
pub struct OutgoingMessage {
    room_id: String,
    transaction_id: String,
    /// `None` for documents still in the outbox (uploaded when the network
    /// returns, see [`crate::document_outbox`]); they are cancelled and
    /// retried through [`CitizenClient::cancel_send`] and
    /// [`CitizenClient::retry_send`].
    handle: Option<SendHandle>,
}

impl OutgoingMessage {
    /// The room it goes to.
    pub fn room_id(&self) -> &str {
        &self.room_id
    }

    /// The local transaction id, as in [`CoreEvent::SendStateChanged`].
    pub fn transaction_id(&self) -> &str {
        &self.transaction_id
    }

    /// Whether these are documents waiting in the outbox for their upload
    /// (given offline) rather than a message in the send queue.
    pub fn is_pending_upload(&self) -> bool {
        self.handle.is_none()
    }

    /// Cancels it if it was not sent yet; `Ok(false)` if it was. Documents
    /// waiting for their upload: [`CitizenClient::cancel_send`].
    pub async fn cancel(&self) -> Result<bool, CoreError> {
        match &self.handle {
            Some(handle) => Ok(handle.abort().await?),
            None => Err(self.not_in_queue()),
        }
    }

    /// Retries it after an unrecoverable failure (the queue had parked it).
    /// Documents waiting for their upload: [`CitizenClient::retry_send`].
    pub async fn retry(&self) -> Result<(), CoreError> {
        match &self.handle {
            Some(handle) => Ok(handle.unwedge().await?),
            None => Err(self.not_in_queue()),
        }
    }

    fn not_in_queue(&self) -> CoreError {
        CoreError::UnknownTransaction {
            transaction_id: self.transaction_id.clone(),
        }
    }

    /// Documents in the outbox, known by their outbox id.
    pub(crate) fn pending_upload(room_id: &str, outbox_id: &str) -> Self {
        Self {
            room_id: room_id.to_owned(),
            transaction_id: outbox_id.to_owned(),
            handle: None,
        }
    }
}

impl CitizenClient {
    /// Queues a plain-text message for an encrypted room.
    pub async fn send_text(&self, room_id: &str, body: &str) -> Result<OutgoingMessage, CoreError> {
        self.send_content(
            room_id,
            AnyMessageLikeEventContent::RoomMessage(RoomMessageEventContent::text_plain(body)),
        )
        .await
    }

    /// Queues any message-like event content for an encrypted room (e.g. a
    /// G2C event from `g2c-protocol`, as JSON with its event type).
    pub async fn send_custom(
        &self,
        room_id: &str,
        event_type: &str,
        content: &serde_json::Value,
    ) -> Result<OutgoingMessage, CoreError> {
        let room = self.encrypted_room(room_id).await?;
        let raw = Raw::new(content)
            .map_err(matrix_sdk::send_queue::RoomSendQueueStorageError::JsonSerialization)?
            .cast_unchecked();
        let queue = room.send_queue();
        self.with_transaction_id(room_id, queue.send_raw(raw, event_type.to_owned()))
            .await
    }

    /// Queues typed message-like content for an encrypted room.
    pub async fn send_content(
        &self,
        room_id: &str,
        content: AnyMessageLikeEventContent,
    ) -> Result<OutgoingMessage, CoreError> {
        let room = self.encrypted_room(room_id).await?;
        let queue = room.send_queue();
        self.with_transaction_id(room_id, queue.send(content)).await
    }

    /// Re-enables sending after failures, e.g. on a "retry" button. The sync
    /// loop does this by itself when the connection comes back.
    pub async fn resume_sending(&self) {
        self.client.send_queue().set_enabled(true).await;
    }

    /// Runs `send` and learns the transaction id the queue gave it.
    ///
    /// matrix-sdk 0.18's `SendHandle` does not expose its transaction id; the
    /// queue announces it in the `NewLocalEvent` update it emits before
    /// `send` returns. Sends are serialized so that update is ours.
    async fn with_transaction_id(
        &self,
        room_id: &str,
        send: impl Future<Output = Result<SendHandle, matrix_sdk::send_queue::RoomSendQueueError>>,
    ) -> Result<OutgoingMessage, CoreError> {
        let _serialized = self.send_lock.lock().await;
        let mut updates = self.client.send_queue().subscribe();
        let handle = send.await?;
        Ok(queued_message(&mut updates, room_id, handle))
    }

    /// Maps the send queue's updates to [`CoreEvent::SendStateChanged`],
    /// and starts the worker that delivers documents answered offline
    /// whenever the connection returns ([`crate::document_outbox`]).
    pub(crate) fn spawn_send_queue_watcher(&self) {
        self.spawn(crate::document_outbox::worker(
            self.client.clone(),
            self.events.clone(),
        ));
        let mut updates = self.client.send_queue().subscribe();
        let events = self.events.clone();
        let send_paused = self.send_paused.clone();
        self.spawn(async move {
            loop {
                let update = match updates.recv().await {
                    Ok(update) => update,
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, "send queue updates lagged");
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                let (transaction_id, state) = match update.update {
                    RoomSendQueueUpdate::NewLocalEvent(echo) => {
                        (echo.transaction_id.to_string(), SendState::Queued)
                    }
                    RoomSendQueueUpdate::CancelledLocalEvent { transaction_id } => {
                        (transaction_id.to_string(), SendState::Cancelled)
                    }
                    RoomSendQueueUpdate::SendError {
                        transaction_id,
                        error,
                        is_recoverable,
                    } => {
                        if is_recoverable {
                            // matrix-sdk paused this room's queue; the sync
                            // loop resumes it once the server answers again.
                            send_paused.store(true, std::sync::atomic::Ordering::SeqCst);
                        }
                        (
                            transaction_id.to_string(),
                            SendState::Failed {
                                recoverable: is_recoverable,
                                reason: error.to_string(),
                            },
                        )
                    }
                    RoomSendQueueUpdate::RetryEvent { transaction_id } => {
                        (transaction_id.to_string(), SendState::Retrying)
                    }
                    RoomSendQueueUpdate::SentEvent {
                        transaction_id,
                        event_id,
                    } => (
                        transaction_id.to_string(),
                        SendState::Sent {
                            event_id: event_id.to_string(),
                        },
                    ),
                    _ => continue,
                };
                let _ = events.send(CoreEvent::SendStateChanged {
                    room_id: update.room_id.to_string(),
                    transaction_id,
                    state,
                });
            }
        });
    }
}

/// An [`OutgoingMessage`] for `handle`, its transaction id learnt from the
/// `NewLocalEvent` update the queue emitted (to `updates`, subscribed
/// before the send) before the send returned.
pub(crate) fn queued_message(
    updates: &mut broadcast::Receiver<matrix_sdk::send_queue::SendQueueUpdate>,
    room_id: &str,
    handle: SendHandle,
) -> OutgoingMessage {
    let transaction_id = loop {
        match updates.try_recv() {
            Ok(update) => {
                if update.room_id.as_str() == room_id
                    && let RoomSendQueueUpdate::NewLocalEvent(echo) = update.update
                    && let LocalEchoContent::Event { send_handle, .. } = &echo.content
                    && send_handle.created_at == handle.created_at
                {
                    break echo.transaction_id.to_string();
                }
            }
            Err(broadcast::error::TryRecvError::Lagged(_)) => {}
            Err(_) => break String::new(),
        }
    };
    OutgoingMessage {
        room_id: room_id.to_owned(),
        transaction_id,
        handle: Some(handle),
    }
}
