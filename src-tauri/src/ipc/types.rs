//! The values commands return and events carry.

use serde::Serialize;
use ts_rs::TS;

/// What the app is: shown in the UI's footer and the about dialog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppInfo {
    /// The product name, e.g. "Amtsbote".
    pub name: String,
    /// The app's version, from its Cargo package.
    pub version: String,
    /// The reverse-DNS application identifier.
    pub identifier: String,
    /// Whether this build has the development password login
    /// (`dev-login` feature); release builds do not.
    pub dev_login: bool,
}

/// How the app is connected to the homeserver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "state",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum ConnectionStateDto {
    /// Not syncing.
    Stopped,
    /// The first sync is under way.
    Connecting,
    /// The last sync succeeded.
    Connected,
    /// The homeserver could not be reached; retrying.
    Reconnecting {
        /// Consecutive failed attempts.
        attempt: u32,
        /// Milliseconds until the next attempt.
        #[ts(type = "number")]
        retry_in_ms: u64,
    },
}

/// Whether someone is logged in on this computer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "state",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum SessionState {
    /// Nobody is logged in: the start screen.
    LoggedOut,
    /// Logged in.
    LoggedIn {
        /// The Matrix user id: a pseudonym, not the citizen's name.
        user_id: String,
        /// The connection to the homeserver.
        connection: ConnectionStateDto,
    },
}

/// A request's processing status, as the authority set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum RequestStatusDto {
    /// Received, not yet looked at.
    Submitted,
    /// Being processed.
    InReview,
    /// Waiting for the citizen.
    ActionRequired,
    /// Decided.
    Decided,
    /// Finished.
    Closed,
    /// A status this version does not know (a newer authority system).
    Unknown,
}

/// One request in the overview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RequestSummaryDto {
    /// The request room.
    pub room_id: String,
    /// The service applied for.
    pub service: String,
    /// The authority.
    pub authority: String,
    /// Whether that authority is verified by its certificate.
    pub authority_trust: super::AuthorityTrustDto,
    /// The authority's reference number.
    pub reference: String,
    /// When it was submitted (RFC 3339).
    pub submitted_at: String,
    /// The status; `null` until the authority set one.
    pub status: Option<RequestStatusDto>,
    /// Prompts waiting for the citizen.
    pub open_prompts: u32,
    /// Whether the citizen has something to do.
    pub needs_action: bool,
    /// The language the authority writes this case in: a BCP 47 tag as
    /// the authority wrote it (e.g. `de`, `en-GB`), `de` when it named none.
    /// Every authority text of the case is in it; the UI marks such text
    /// with `lang` when its own language differs (WCAG 2.1 SC 3.1.2).
    pub language: String,
}

/// Payload of the `requests-changed` event: the list may have changed and
/// should be fetched again with `list_requests`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RequestsChanged {
    /// The rooms concerned; empty if unknown or the session changed.
    pub room_ids: Vec<String>,
}

/// An error a command returns to the UI: a stable code the UI translates,
/// never a secret or a raw internal message meant for developers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[serde(tag = "code", rename_all = "camelCase")]
#[ts(export)]
pub enum CommandError {
    /// Something failed that the UI cannot help with; details are in the log.
    #[error("internal error")]
    Internal,
    /// The command needs a logged-in session.
    #[error("not logged in")]
    NotLoggedIn,
    /// Someone is already logged in.
    #[error("already logged in")]
    AlreadyLoggedIn,
    /// The homeserver refused the login.
    #[error("login failed")]
    LoginFailed,
    /// The OS keychain is missing or locked.
    #[error("keychain unavailable")]
    KeychainUnavailable,
    /// The homeserver could not be reached.
    #[error("network error")]
    Network,
    /// The request, prompt, queued answer or attachment is not known (any
    /// more): fetch the request again.
    #[error("not found")]
    NotFound,
    /// The prompt can no longer be answered (answered, an answer is already
    /// queued, expired, superseded, or the request is closed).
    #[error("prompt not open")]
    PromptNotOpen,
    /// The answer does not fit the prompt (unknown option or slot, too long,
    /// a required document missing, …); `field` names what.
    #[error("invalid answer ({field})")]
    #[serde(rename_all = "camelCase")]
    InvalidAnswer {
        /// The field at fault, in the protocol's terms (e.g. `text`).
        field: String,
    },
    /// A picked file cannot be submitted for the requested document.
    #[error("document refused")]
    #[serde(rename_all = "camelCase")]
    DocumentRefused {
        /// The path as given.
        path: String,
        /// Why.
        reason: super::request::DocumentRefusalDto,
    },
    /// A downloaded attachment does not match its announced SHA-256, or
    /// could not be decrypted: it was not opened.
    #[error("attachment damaged")]
    AttachmentDamaged,
    /// The file could not be opened with the system's viewer.
    #[error("could not open the file")]
    OpenFailed,
}
