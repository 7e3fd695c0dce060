//! The answer stream: a background sync loop that turns every decrypted
//! G2C event of the authority's rooms into an [`Incoming`] (answer or
//! rejection), in timeline order.
//!
//! Events that cannot be decrypted yet (the room key is still on its way)
//! are retried after later syncs. A citizen's response to a prompt this
//! process has not seen (sent before a restart) makes the loop fetch that
//! prompt from the room first. Sync errors are logged and retried with a
//! growing pause; the stream ends only when dropped.

use std::time::Duration;

use g2c_protocol::{G2cEvent, parse_event};
use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::{TimelineEvent, TimelineEventKind};
use matrix_sdk::ruma::api::client::filter::FilterDefinition;
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, UInt};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::answer::Incoming;
use crate::client::AuthorityClient;
use crate::error::{AuthorityError, Result};
use crate::tracker::{G2C_TYPE_PREFIX, RoomEvent};

/// How long one sync long-polls.
const SYNC_TIMEOUT: Duration = Duration::from_secs(2);
/// Timeline events per room and sync.
const TIMELINE_LIMIT: u32 = 100;
/// How many syncs an undecryptable event is retried for.
const UTD_RETRIES: u32 = 30;

/// Answers and rejections as they arrive. Dropping it stops the sync loop.
#[derive(Debug)]
pub struct AnswerStream {
    rx: mpsc::UnboundedReceiver<Incoming>,
    task: JoinHandle<()>,
}

impl AnswerStream {
    pub(crate) fn start(client: AuthorityClient) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(sync_loop(client, tx));
        Self { rx, task }
    }

    /// The next item; `None` if the loop stopped.
    pub async fn next(&mut self) -> Option<Incoming> {
        self.rx.recv().await
    }

    /// The next item within `timeout`.
    pub async fn next_within(&mut self, timeout: Duration) -> Result<Incoming> {
        match tokio::time::timeout(timeout, self.rx.recv()).await {
            Ok(Some(item)) => Ok(item),
            Ok(None) => Err(AuthorityError::StreamEnded("sync loop stopped".into())),
            Err(_) => Err(AuthorityError::Timeout {
                what: "the next answer".into(),
                seconds: timeout.as_secs(),
            }),
        }
    }
}

impl Drop for AnswerStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The envelope fields of a (decrypted) sync timeline event.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    event_type: String,
    event_id: OwnedEventId,
    sender: OwnedUserId,
    origin_server_ts: UInt,
    #[serde(borrow)]
    content: &'a RawValue,
}

/// Turns a matrix-sdk timeline event into a [`RoomEvent`]; `None` for
/// undecryptable or unreadable events.
pub(crate) fn room_event(room_id: &OwnedRoomId, event: &TimelineEvent) -> Option<RoomEvent> {
    let encrypted = match &event.kind {
        TimelineEventKind::Decrypted(_) => true,
        TimelineEventKind::PlainText { .. } => false,
        TimelineEventKind::UnableToDecrypt { .. } => return None,
    };
    let envelope: Envelope<'_> = serde_json::from_str(event.raw().json().get()).ok()?;
    Some(RoomEvent {
        room_id: room_id.clone(),
        event_id: envelope.event_id,
        sender: envelope.sender,
        origin_server_ts: u64::from(envelope.origin_server_ts),
        event_type: envelope.event_type,
        content: envelope.content.get().to_owned(),
        encrypted,
    })
}

/// Long-polling sync with a generous timeline limit, so that a burst of
/// events (or a first sync after joining) arrives without gaps.
pub(crate) fn sync_settings() -> SyncSettings {
    let mut filter = FilterDefinition::default();
    filter.room.timeline.limit = Some(UInt::from(TIMELINE_LIMIT));
    SyncSettings::default()
        .timeout(SYNC_TIMEOUT)
        .filter(Filter::FilterDefinition(filter))
}

async fn sync_loop(client: AuthorityClient, tx: mpsc::UnboundedSender<Incoming>) {
    let mut pending: Vec<(OwnedRoomId, OwnedEventId, u32)> = Vec::new();
    let mut backoff = Duration::from_millis(250);
    loop {
        let response = match client.matrix().sync_once(sync_settings()).await {
            Ok(response) => {
                backoff = Duration::from_millis(250);
                response
            }
            Err(e) => {
                tracing::warn!(error = %e, "sync failed, retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
                continue;
            }
        };
        for (room_id, update) in &response.rooms.joined {
            for event in &update.timeline.events {
                match room_event(room_id, event) {
                    Some(ev) => process(&client, ev, &tx).await,
                    None => {
                        if let (TimelineEventKind::UnableToDecrypt { .. }, Some(id)) =
                            (&event.kind, event.event_id())
                        {
                            pending.push((room_id.clone(), id, 0));
                        }
                    }
                }
            }
        }
        pending = retry_undecrypted(&client, pending, &tx).await;
        if tx.is_closed() {
            return;
        }
    }
}

async fn retry_undecrypted(
    client: &AuthorityClient,
    pending: Vec<(OwnedRoomId, OwnedEventId, u32)>,
    tx: &mpsc::UnboundedSender<Incoming>,
) -> Vec<(OwnedRoomId, OwnedEventId, u32)> {
    let mut still = Vec::new();
    for (room_id, event_id, tries) in pending {
        let Some(room) = client.matrix().get_room(&room_id) else {
            continue;
        };
        match room.event(&event_id, None).await {
            Ok(event) => {
                if let Some(ev) = room_event(&room_id, &event) {
                    process(client, ev, tx).await;
                    continue;
                }
            }
            Err(e) => tracing::debug!(%event_id, error = %e, "refetch failed"),
        }
        if tries + 1 < UTD_RETRIES {
            still.push((room_id, event_id, tries + 1));
        } else {
            tracing::warn!(%room_id, %event_id, "event stays undecryptable; giving up");
        }
    }
    still
}

/// Classifies one event, fetching the referenced prompt first if needed.
async fn process(client: &AuthorityClient, event: RoomEvent, tx: &mpsc::UnboundedSender<Incoming>) {
    if !event.event_type.starts_with(G2C_TYPE_PREFIX) {
        return;
    }
    let missing = client.tracker().missing_prompt(&event);
    if let Some(prompt_id) = missing {
        fetch_own_prompt(client, &event.room_id, &prompt_id).await;
    }
    let Some(room) = client.matrix().get_room(&event.room_id) else {
        return;
    };
    let encrypted_room = room.encryption_state().is_encrypted();
    let item = client.tracker().handle(event, encrypted_room);
    if let Some(item) = item {
        match &item {
            Incoming::Answer(a) => {
                tracing::info!(room_id = %a.room_id, event_id = %a.event_id, "answer accepted")
            }
            Incoming::Rejected(r) => {
                tracing::info!(room_id = %r.room_id, event_id = %r.event_id, code = ?r.code, "event rejected")
            }
        }
        let _ = tx.send(item);
    }
}

/// Fetches a prompt this process did not send, from the response's own
/// room: if it is one of ours there, the tracker learns it.
pub(crate) async fn fetch_own_prompt(
    client: &AuthorityClient,
    room_id: &OwnedRoomId,
    prompt_id: &OwnedEventId,
) {
    let Some(room) = client.matrix().get_room(room_id) else {
        return;
    };
    let Ok(event) = room.event(prompt_id, None).await else {
        return;
    };
    let Some(ev) = room_event(room_id, &event) else {
        return;
    };
    if !client.tracker().is_own(&ev.sender) {
        return;
    }
    if let Ok(content @ G2cEvent::Prompt(_)) = parse_event(&ev.event_type, &ev.content) {
        let _ = client
            .tracker()
            .record_own(room_id, ev.event_id, ev.origin_server_ts, content);
    }
}
