//! The crate's error type.
//!
//! One enum, [`CoreError`], so the shell can map every failure to a message
//! and an action. Variants never carry secrets.

use crate::keychain::KeychainError;

/// What can go wrong in the citizen client.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The keychain is missing, locked or damaged.
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    /// A session is in the keychain but the key of the local store is not:
    /// the store cannot be opened. Log in again.
    #[error("the key of the local message store is missing from the keychain; log in again")]
    StoreKeyMissing,
    /// A session is in the keychain but the local store is gone: its
    /// encryption keys are lost. Log in again.
    #[error("the local message store at {path} is missing; log in again")]
    StoreMissing {
        /// Where the store was expected.
        path: std::path::PathBuf,
    },
    /// The Matrix client could not be built (store could not be opened, bad
    /// homeserver URL, …).
    #[error("could not open the Matrix client: {0}")]
    Build(#[source] Box<matrix_sdk::ClientBuildError>),
    /// The homeserver refused the login or could not be reached.
    #[error("login failed: {0}")]
    Login(#[source] Box<matrix_sdk::Error>),
    /// A Matrix operation failed.
    #[error("Matrix request failed: {0}")]
    Matrix(#[source] Box<matrix_sdk::Error>),
    /// An HTTP request to the homeserver failed.
    #[error("request to the homeserver failed: {0}")]
    Http(#[source] Box<matrix_sdk::HttpError>),
    /// Setting up or using recovery (key backup and secret storage) failed.
    #[error("key backup and recovery failed: {0}")]
    Recovery(#[source] Box<matrix_sdk::encryption::recovery::RecoveryError>),
    /// Uploading room keys to the key backup did not settle.
    #[error("uploading room keys to the key backup failed: {0}")]
    BackupUpload(#[from] matrix_sdk::encryption::backups::futures::SteadyStateError),
    /// The send queue refused a message.
    #[error("could not queue the message: {0}")]
    SendQueue(#[from] matrix_sdk::send_queue::RoomSendQueueError),
    /// The send queue's storage failed (e.g. while cancelling).
    #[error("the send queue's storage failed: {0}")]
    SendQueueStorage(#[from] matrix_sdk::send_queue::RoomSendQueueStorageError),
    /// Refused to send into a room that is not end-to-end encrypted.
    #[error("room {room_id} is not end-to-end encrypted; refusing to send")]
    NotEncrypted {
        /// The room.
        room_id: String,
    },
    /// Whether the room is encrypted is not known yet (not synced, server
    /// unreachable); nothing is sent until it is.
    #[error("cannot tell yet whether room {room_id} is encrypted; refusing to send")]
    EncryptionStateUnknown {
        /// The room.
        room_id: String,
    },
    /// The client does not know this room.
    #[error("unknown room {room_id}")]
    UnknownRoom {
        /// The room.
        room_id: String,
    },
    /// A Matrix identifier did not parse.
    #[error("invalid Matrix identifier `{value}`: {reason}")]
    InvalidId {
        /// The value given.
        value: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The event cache (the local copy of room timelines) failed.
    #[error("the local event cache failed: {0}")]
    EventCache(#[source] Box<matrix_sdk::event_cache::EventCacheError>),
    /// The request has no prompt with this event id.
    #[error("unknown prompt {event_id}")]
    UnknownPrompt {
        /// The event id given.
        event_id: String,
    },
    /// The prompt cannot be answered: answered, an answer is already
    /// queued, expired, superseded, or the request is closed.
    #[error("prompt {event_id} is not open for an answer")]
    PromptNotOpen {
        /// The prompt.
        event_id: String,
    },
    /// The answer does not fit its prompt; nothing was queued.
    #[error("the answer does not fit the prompt: {0}")]
    InvalidAnswer(#[source] g2c_protocol::ValidationError),
    /// A picked file cannot be submitted for the requested document;
    /// nothing was uploaded.
    #[error("document {path} refused: {refusal}")]
    DocumentRefused {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        refusal: crate::request_page::DocumentRefusal,
    },
    /// No queued message has this transaction id (sent or cancelled
    /// meanwhile).
    #[error("no queued message with transaction id {transaction_id}")]
    UnknownTransaction {
        /// The transaction id given.
        transaction_id: String,
    },
    /// The prompt has no attachment at this position.
    #[error("no such attachment")]
    UnknownAttachment,
    /// A downloaded attachment differs from the size and SHA-256 its event
    /// announced; it was not used.
    #[error("the attachment does not match its announced SHA-256")]
    AttachmentMismatch,
    /// A file system operation on the profile's data failed.
    #[error("file system error: {0}")]
    Io(#[from] std::io::Error),
    /// A background task died.
    #[error("internal task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The local outbox of documents answered offline could not be read or
    /// written (see [`crate::document_outbox`]).
    #[error("the local store of pending documents failed: {0}")]
    OutboxStorage(String),
}

/// `From` for the boxed variants (boxed to keep `Result<_, CoreError>` small).
macro_rules! boxed_from {
    ($($variant:ident($source:ty)),* $(,)?) => {
        $(impl From<$source> for CoreError {
            fn from(error: $source) -> Self {
                Self::$variant(Box::new(error))
            }
        })*
    };
}

boxed_from!(
    Build(matrix_sdk::ClientBuildError),
    Matrix(matrix_sdk::Error),
    Http(matrix_sdk::HttpError),
    Recovery(matrix_sdk::encryption::recovery::RecoveryError),
    EventCache(matrix_sdk::event_cache::EventCacheError),
);

impl From<matrix_sdk::IdParseError> for CoreError {
    fn from(error: matrix_sdk::IdParseError) -> Self {
        Self::InvalidId {
            value: String::new(),
            reason: error.to_string(),
        }
    }
}

/// Parses a Matrix identifier, keeping the value in the error.
pub(crate) fn parse_id<T>(value: &str) -> Result<T, CoreError>
where
    T: TryFrom<String, Error = matrix_sdk::IdParseError>,
{
    T::try_from(value.to_owned()).map_err(|error| CoreError::InvalidId {
        value: value.to_owned(),
        reason: error.to_string(),
    })
}
