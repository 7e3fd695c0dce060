//! Documents answered offline: the outbox of document submissions.
//!
//! matrix-sdk 0.18's send queue uploads media only for `m.room.message`
//! attachments (its "finish upload" step rewrites only those event types),
//! so a G2C documents submission, a custom event whose files are
//! [`FileRef`]s, cannot be queued before its files are uploaded. This
//! outbox bridges that gap: a submission the citizen gave is written to the
//! local store *before* any network request, and delivered (files
//! encrypted and uploaded, then the submission handed to the persistent
//! send queue) as soon as the homeserver answers, also after a restart.
//!
//! Storage, both inside the matrix-sdk SQLite store:
//! - the normalised files and the submission (with placeholder sources) in
//!   the media store, which encrypts values with the store key, kept
//!   regardless of the media retention policy;
//! - the list of pending ids (random, nothing else) as a custom value of
//!   the state store.
//!
//! Delivery is at-least-once for the uploads (a crash after an upload and
//! before the hand-over uploads the file again; the orphaned ciphertext is
//! harmless) and exactly-once for the submission: before it is handed over,
//! an entry whose prompt already has a submission (in the send queue, or
//! among the citizen's events in the local event cache) is dropped instead.
//! A prompt the authority closed meanwhile still gets the submission; the
//! authority's state machine refuses it.

use std::io::Cursor;

use g2c_protocol::event::DOCUMENTS_SUBMISSION;
use g2c_protocol::response::DocumentsSubmissionEventContent;
use matrix_sdk::media::store::IgnoreMediaRetentionPolicy;
use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
use matrix_sdk::ruma::events::room::MediaSource;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedMxcUri, TransactionId};
use matrix_sdk::send_queue::{LocalEchoContent, SendHandle};
use matrix_sdk::{Client, Room};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::error::CoreError;
use crate::events::{CoreEvent, SendState};

/// The state store key of the list of pending ids.
const INDEX_KEY: &[u8] = b"de.amtsbote.core.document_outbox.v1";

/// The prefix of outbox ids, so the request page can tell them from the
/// send queue's transaction ids.
pub(crate) const ID_PREFIX: &str = "g2c-documents-";

/// Serialises read-modify-write of the index within this process.
static INDEX_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One delivery at a time, so a submission given while the worker runs is
/// not handed over twice.
static DELIVERY_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A submission waiting for its upload: what the request page shows.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PendingSubmission {
    /// The outbox id, also its transaction id in [`CoreEvent`]s.
    pub id: String,
    /// The request room.
    pub room_id: String,
    /// The document request answered.
    pub prompt_event_id: String,
    /// The submission, its sources placeholders, in the order of the files.
    pub content: DocumentsSubmissionEventContent,
    /// How many files (stored separately).
    pub file_count: usize,
}

/// What became of one delivery attempt.
pub(crate) enum Delivery {
    /// Uploaded and handed to the send queue.
    Queued(SendHandle),
    /// Dropped: the prompt no longer waits for it (see the module docs).
    Dropped,
    /// Not pending (any more): delivered or withdrawn meanwhile.
    Gone,
}

/// A new outbox id.
pub(crate) fn new_id() -> String {
    format!("{ID_PREFIX}{}", TransactionId::new())
}

/// The media store key of one part of an entry. Local keys only; never
/// sent anywhere.
fn media_request(id: &str, part: &str) -> MediaRequestParameters {
    let uri = OwnedMxcUri::from(format!("mxc://localhost/{id}-{part}"));
    MediaRequestParameters {
        source: MediaSource::Plain(uri),
        format: MediaFormat::File,
    }
}

fn store_error(error: impl std::error::Error + Send + Sync + 'static) -> CoreError {
    tracing::error!(%error, "document outbox storage failed");
    CoreError::OutboxStorage(error.to_string())
}

async fn put(client: &Client, id: &str, part: &str, bytes: Vec<u8>) -> Result<(), CoreError> {
    let request = media_request(id, part);
    let store = client.media_store().lock().await.map_err(store_error)?;
    store
        .add_media_content(&request, bytes, IgnoreMediaRetentionPolicy::Yes)
        .await
        .map_err(store_error)
}

async fn get(client: &Client, id: &str, part: &str) -> Result<Option<Vec<u8>>, CoreError> {
    let request = media_request(id, part);
    let store = client.media_store().lock().await.map_err(store_error)?;
    store.get_media_content(&request).await.map_err(store_error)
}

async fn delete(client: &Client, id: &str, part: &str) -> Result<(), CoreError> {
    let request = media_request(id, part);
    let store = client.media_store().lock().await.map_err(store_error)?;
    store
        .remove_media_content(&request)
        .await
        .map_err(store_error)
}

/// The pending ids, oldest first.
pub(crate) async fn ids(client: &Client) -> Result<Vec<String>, CoreError> {
    let raw = client
        .state_store()
        .get_custom_value(INDEX_KEY)
        .await
        .map_err(store_error)?;
    match raw {
        None => Ok(Vec::new()),
        Some(raw) => serde_json::from_slice(&raw).map_err(store_error),
    }
}

async fn write_ids(client: &Client, ids: &[String]) -> Result<(), CoreError> {
    let raw = serde_json::to_vec(ids).map_err(store_error)?;
    client
        .state_store()
        .set_custom_value_no_read(INDEX_KEY, raw)
        .await
        .map_err(store_error)
}

/// Persists a submission and its files; from here on it is not lost.
pub(crate) async fn save(
    client: &Client,
    pending: &PendingSubmission,
    files: Vec<Vec<u8>>,
) -> Result<(), CoreError> {
    // Files and description first, the index last: a crash in between
    // leaves unreferenced data, never a reference without data.
    for (index, bytes) in files.into_iter().enumerate() {
        put(client, &pending.id, &format!("file-{index}"), bytes).await?;
    }
    let description = serde_json::to_vec(pending).map_err(store_error)?;
    put(client, &pending.id, "submission", description).await?;
    let _index = INDEX_LOCK.lock().await;
    let mut all = ids(client).await?;
    all.push(pending.id.clone());
    write_ids(client, &all).await
}

/// A pending submission's description; `None` if it is gone.
pub(crate) async fn load(
    client: &Client,
    id: &str,
) -> Result<Option<PendingSubmission>, CoreError> {
    match get(client, id, "submission").await? {
        None => Ok(None),
        Some(raw) => serde_json::from_slice(&raw).map(Some).map_err(store_error),
    }
}

/// Every pending submission for `room_id`.
pub(crate) async fn pending_in_room(
    client: &Client,
    room_id: &str,
) -> Result<Vec<PendingSubmission>, CoreError> {
    let mut pending = Vec::new();
    for id in ids(client).await? {
        if let Some(submission) = load(client, &id).await?
            && submission.room_id == room_id
        {
            pending.push(submission);
        }
    }
    Ok(pending)
}

/// Removes a submission (delivered or withdrawn); `false` if it was gone.
pub(crate) async fn remove(client: &Client, id: &str) -> Result<bool, CoreError> {
    let (was_pending, file_count) = {
        let _index = INDEX_LOCK.lock().await;
        let mut all = ids(client).await?;
        let before = all.len();
        all.retain(|pending| pending != id);
        let was_pending = all.len() != before;
        if was_pending {
            write_ids(client, &all).await?;
        }
        let file_count = load(client, id).await?.map_or(0, |p| p.file_count);
        (was_pending, file_count)
    };
    for index in 0..file_count {
        delete(client, id, &format!("file-{index}")).await?;
    }
    delete(client, id, "submission").await?;
    Ok(was_pending)
}

/// Uploads a pending submission's files (encrypted) and hands the
/// submission to the send queue, if its prompt still waits for it.
pub(crate) async fn deliver(client: &Client, id: &str) -> Result<Delivery, CoreError> {
    let _one_at_a_time = DELIVERY_LOCK.lock().await;
    let Some(pending) = load(client, id).await? else {
        remove(client, id).await?;
        return Ok(Delivery::Gone);
    };
    let room = client
        .get_room(&crate::error::parse_id::<matrix_sdk::ruma::OwnedRoomId>(
            &pending.room_id,
        )?)
        .ok_or_else(|| CoreError::UnknownRoom {
            room_id: pending.room_id.clone(),
        })?;
    if !room.encryption_state().is_encrypted() {
        return Err(CoreError::NotEncrypted {
            room_id: pending.room_id.clone(),
        });
    }
    if already_answered(&room, &pending.prompt_event_id).await? {
        tracing::warn!(%id, prompt = %pending.prompt_event_id, "pending documents dropped: the request already has a submission for them");
        remove(client, id).await?;
        return Ok(Delivery::Dropped);
    }
    let mut content = pending.content.clone();
    let mut index = 0;
    for document in &mut content.documents {
        for file in &mut document.files {
            let bytes = get(client, id, &format!("file-{index}"))
                .await?
                .ok_or_else(|| {
                    CoreError::OutboxStorage(format!("file {index} of {id} is missing"))
                })?;
            let mut reader = Cursor::new(bytes);
            let encrypted = client.upload_encrypted_file(&mut reader).await?;
            file.source = MediaSource::Encrypted(Box::new(encrypted));
            index += 1;
        }
    }
    let raw = Raw::new(&content)
        .map_err(matrix_sdk::send_queue::RoomSendQueueStorageError::JsonSerialization)?
        .cast_unchecked();
    let handle = room
        .send_queue()
        .send_raw(raw, DOCUMENTS_SUBMISSION.to_owned())
        .await?;
    // Queued (persisted) by the send queue: the outbox entry is done.
    remove(client, id).await?;
    tracing::info!(%id, room_id = %pending.room_id, "pending documents uploaded and queued");
    Ok(Delivery::Queued(handle))
}

/// Whether a documents submission for `prompt_event_id` is already in the
/// room's send queue or among the citizen's events in the local event
/// cache (a crash between the hand-over and the removal of the entry).
async fn already_answered(room: &Room, prompt_event_id: &str) -> Result<bool, CoreError> {
    let answers = |event_type: &str, content: &serde_json::Value| {
        event_type == DOCUMENTS_SUBMISSION
            && content
                .pointer("/m.relates_to/event_id")
                .and_then(serde_json::Value::as_str)
                == Some(prompt_event_id)
    };
    let (echoes, _) = room.send_queue().subscribe().await?;
    for echo in echoes {
        if let LocalEchoContent::Event {
            serialized_event, ..
        } = echo.content
        {
            let (raw, event_type) = serialized_event.raw();
            if let Ok(content) = raw.deserialize_as::<serde_json::Value>()
                && answers(event_type, &content)
            {
                return Ok(true);
            }
        }
    }
    let own = room.own_user_id().to_owned();
    room.client().event_cache().subscribe()?;
    let (cache, _drop_handles) = room.event_cache().await?;
    for event in cache.events().await? {
        let raw = event.raw();
        let sender = raw.get_field::<String>("sender").ok().flatten();
        let event_type = raw.get_field::<String>("type").ok().flatten();
        let content = raw.get_field::<serde_json::Value>("content").ok().flatten();
        if sender.as_deref() == Some(own.as_str())
            && let (Some(event_type), Some(content)) = (event_type, content)
            && answers(&event_type, &content)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Delivers one entry and reports failures as [`SendState::Failed`] (a
/// network failure is recoverable: it is retried when the connection
/// returns).
pub(crate) async fn deliver_and_report(
    client: &Client,
    events: &broadcast::Sender<CoreEvent>,
    room_id: &str,
    id: &str,
) -> Result<Delivery, CoreError> {
    let result = deliver(client, id).await;
    match &result {
        Ok(Delivery::Queued(_) | Delivery::Gone) => {}
        Ok(Delivery::Dropped) => {
            let _ = events.send(CoreEvent::SendStateChanged {
                room_id: room_id.to_owned(),
                transaction_id: id.to_owned(),
                state: SendState::Cancelled,
            });
        }
        Err(error) => {
            let recoverable = is_network(error);
            tracing::info!(%id, %error, recoverable, "pending documents not delivered");
            let _ = events.send(CoreEvent::SendStateChanged {
                room_id: room_id.to_owned(),
                transaction_id: id.to_owned(),
                state: SendState::Failed {
                    recoverable,
                    reason: error.to_string(),
                },
            });
        }
    }
    result
}

/// Whether the failure is the network's (retry when it returns).
fn is_network(error: &CoreError) -> bool {
    match error {
        CoreError::Http(_) => true,
        CoreError::Matrix(error) => matches!(**error, matrix_sdk::Error::Http(_)),
        _ => false,
    }
}

/// Delivers every pending submission each time the connection is
/// (re)established, also the first time after a restart.
pub(crate) fn worker(
    client: Client,
    events: broadcast::Sender<CoreEvent>,
) -> impl Future<Output = ()> + Send + 'static {
    let mut updates = events.subscribe();
    async move {
        loop {
            match updates.recv().await {
                Ok(CoreEvent::ConnectionChanged {
                    state: crate::events::ConnectionState::Connected,
                }) => {}
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            }
            let pending = match ids(&client).await {
                Ok(pending) => pending,
                Err(error) => {
                    tracing::error!(%error, "could not read the document outbox");
                    continue;
                }
            };
            for id in pending {
                let room_id = match load(&client, &id).await {
                    Ok(Some(pending)) => pending.room_id,
                    _ => String::new(),
                };
                if let Err(error) = deliver_and_report(&client, &events, &room_id, &id).await
                    && is_network(&error)
                {
                    // Offline again: the next reconnect tries the rest.
                    break;
                }
            }
        }
    }
}
