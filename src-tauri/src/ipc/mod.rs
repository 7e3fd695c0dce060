//! The typed contract between the Rust side and ui/.
//!
//! Every type that crosses the IPC boundary derives `ts_rs::TS`; `cargo test`
//! writes their TypeScript twins to `ui/src/ipc/bindings/`, and CI fails when
//! the committed bindings differ from what the Rust types say. Commands are
//! the UI's intents (typed arguments in, typed results out); events carry
//! state from Rust to the UI. Nothing here holds a secret.

mod command_names;
mod login;
mod request;
mod settings;
mod trust;
mod types;

pub use command_names::COMMAND_NAMES;
pub use login::{AccessRightDto, CardReaderDto, EidConsentDto, EidErrorDto, ReadersDto};
pub use request::{
    AnswerContentDto, AnswerDto, AnswerSendStateDto, AppointmentSlotDto, AttachmentDto,
    CannotDisplayReasonDto, ChoiceOptionDto, DocumentFilesDto, DocumentRefusalDto,
    NormalisationDto, NoticeKindDto, PartyDto, PreparedFileDto, PromptContentDto, PromptDto,
    PromptStateDto, QueuedAnswerDto, RequestChanged, RequestDetailDto, RequestedDocumentDto,
    StatusChangeDto, SubmittedDocumentDto, SubmittedFileDto, TimelineContentDto, TimelineItemDto,
};
pub use settings::{
    AccountDto, DeviceDto, EidAttestationDto, EidAttestationStatusDto, PreferencesDto,
    RecoveryKeyExport, RecoveryStatusDto, RevealedRecoveryKey, UpdateChannelDto,
};
pub use trust::{AuthorityTrustDto, UntrustedReasonDto};
pub use types::{
    AppInfo, CommandError, ConnectionStateDto, RequestStatusDto, RequestSummaryDto,
    RequestsChanged, SessionState,
};

/// Event name: the request list may have changed ([`RequestsChanged`]).
pub const REQUESTS_CHANGED: &str = "requests-changed";

/// Event name: one request's page may have changed
/// ([`RequestChanged`]).
pub const REQUEST_CHANGED: &str = "request-changed";

/// Event name: card readers or cards came or went ([`ReadersDto`]).
pub const READERS_CHANGED: &str = "readers-changed";
