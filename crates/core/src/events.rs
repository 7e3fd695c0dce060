//! The typed event stream for a UI.
//!
//! Everything the shell needs to redraw comes through one
//! [`tokio::sync::broadcast`] channel of [`CoreEvent`]s
//! ([`crate::CitizenClient::subscribe`]). The enum is serde-serializable
//! (internally tagged, `snake_case`) so the Tauri shell can forward it to
//! the web view unchanged.

use serde::{Deserialize, Serialize};

/// How the client is connected to its homeserver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    /// The sync loop is not running.
    Stopped,
    /// The first sync request is under way.
    Connecting,
    /// The last sync succeeded.
    Connected,
    /// The homeserver could not be reached; the loop retries.
    Reconnecting {
        /// Consecutive failed attempts.
        attempt: u32,
        /// When the next attempt starts, in milliseconds.
        retry_in_ms: u64,
    },
}

/// Where an outgoing message stands in the persistent send queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SendState {
    /// Queued (persisted locally); it will be sent when possible.
    Queued,
    /// Sending is being retried after an error was resolved.
    Retrying,
    /// The server accepted it.
    Sent {
        /// The event id the server assigned.
        event_id: String,
    },
    /// Sending failed. A recoverable failure (network) is retried when the
    /// connection comes back; an unrecoverable one waits for the user to
    /// retry or cancel.
    Failed {
        /// Whether it will be retried automatically.
        recoverable: bool,
        /// What went wrong, for display.
        reason: String,
    },
    /// Cancelled before it was sent.
    Cancelled,
}

/// An event for the UI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CoreEvent {
    /// The connection to the homeserver changed.
    ConnectionChanged {
        /// The new state.
        state: ConnectionState,
    },
    /// Rooms were joined, left, invited to, or got new events or state.
    RoomsChanged {
        /// The rooms concerned.
        room_ids: Vec<String>,
    },
    /// A message arrived in a room (decrypted if it was encrypted). Also
    /// the citizen's own messages, as the server echoes them.
    MessageReceived {
        /// The room.
        room_id: String,
        /// The event id.
        event_id: String,
        /// The sender's user id.
        sender: String,
        /// The event type, e.g. `m.room.message`.
        event_type: String,
        /// The plain-text body, if the event has one.
        body: Option<String>,
        /// Whether the event arrived end-to-end encrypted.
        encrypted: bool,
    },
    /// An outgoing message changed its state in the send queue.
    SendStateChanged {
        /// The room.
        room_id: String,
        /// The local transaction id, stable from queueing to sending.
        transaction_id: String,
        /// The new state.
        state: SendState,
    },
    /// The server no longer accepts the session (logged out elsewhere,
    /// device deleted). The citizen has to log in again.
    SessionEnded {
        /// A soft logout keeps the local data; a hard one does not.
        soft_logout: bool,
    },
}
