//! The library's error type.
//!
//! Messages never contain access tokens, passwords or store keys.

use std::path::PathBuf;

use g2c_protocol::{ParseError, ValidationError, state_machine::StateError};
use thiserror::Error;

/// Everything that can go wrong on the authority's side.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AuthorityError {
    /// The Matrix client (network, homeserver, store, crypto) failed.
    #[error("matrix: {0}")]
    Matrix(Box<matrix_sdk::Error>),
    /// Building the Matrix client failed (homeserver URL, store).
    #[error("matrix client setup: {0}")]
    ClientBuild(Box<matrix_sdk::ClientBuildError>),
    /// An HTTP request to the homeserver failed.
    #[error("homeserver request: {0}")]
    Http(Box<matrix_sdk::HttpError>),
    /// Uploading or downloading media failed.
    #[error("media: {0}")]
    Media(String),
    /// A file in the data directory or a scenario could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The data directory holds no session: log in first.
    #[error("no session in {0}: run `g2c-authority login` first")]
    NotLoggedIn(PathBuf),
    /// The stored session or store key is unreadable.
    #[error("corrupt data directory file {path}: {reason}")]
    CorruptDataDir {
        /// The file.
        path: PathBuf,
        /// What is wrong (never its content).
        reason: String,
    },
    /// A content we were about to send is invalid.
    #[error("invalid content: {0}")]
    Invalid(Box<ValidationError>),
    /// A G2C event (from a file or the server) could not be parsed.
    #[error("parse: {0}")]
    Parse(Box<ParseError>),
    /// A request state rule forbids the action (e.g. an illegal status change).
    #[error("request state: {0}")]
    State(Box<StateError>),
    /// A prompt or scenario file is not well-formed.
    #[error("{0}")]
    Spec(String),
    /// A Matrix identifier is malformed.
    #[error("invalid identifier: {0}")]
    Id(#[from] matrix_sdk::IdParseError),
    /// The room is not known to this account (not joined).
    #[error("unknown room {0}")]
    UnknownRoom(String),
    /// An event id does not name what it should in this room.
    #[error("event {event_id}: {reason}")]
    WrongEvent {
        /// The event.
        event_id: String,
        /// What is wrong.
        reason: String,
    },
    /// None of the submitted files could be verified.
    #[error("no submitted file could be verified: {0}")]
    DocumentsUnverified(String),
    /// Waiting for something took too long.
    #[error("timed out after {seconds} s waiting for {what}")]
    Timeout {
        /// What we waited for.
        what: String,
        /// The bound.
        seconds: u64,
    },
    /// The answer stream ended (the sync task stopped).
    #[error("the answer stream ended: {0}")]
    StreamEnded(String),
    /// The room could not be encrypted as required.
    #[error("room {0} is not end-to-end encrypted")]
    NotEncrypted(String),
    /// JSON (de)serialization of a local file failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// Signing or publishing the authority's certificate failed.
    #[error("certificate: {0}")]
    Certificate(Box<crate::certificate::CertificateError>),
    /// A notice was refused because the citizen is not attested by eID
    /// (or sending it failed after the check).
    #[error("not sent: {0}")]
    NotAttested(Box<crate::trust::AttestationRefusal>),
}

impl AuthorityError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Boxed `From` conversions: the matrix-sdk errors are large, and a
/// small `Result` keeps every function's return cheap.
macro_rules! boxed_from {
    ($($ty:ty => $variant:ident),+ $(,)?) => {
        $(impl From<$ty> for AuthorityError {
            fn from(e: $ty) -> Self {
                Self::$variant(Box::new(e))
            }
        })+
    };
}

boxed_from! {
    matrix_sdk::Error => Matrix,
    matrix_sdk::ClientBuildError => ClientBuild,
    matrix_sdk::HttpError => Http,
    StateError => State,
    ParseError => Parse,
    ValidationError => Invalid,
    crate::certificate::CertificateError => Certificate,
    crate::trust::AttestationRefusal => NotAttested,
}

/// Result alias.
pub type Result<T, E = AuthorityError> = std::result::Result<T, E>;
