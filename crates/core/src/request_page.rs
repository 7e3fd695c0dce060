//! The request page: one request's detail for a UI, and the citizen's
//! answers to its prompts.
//!
//! [`CitizenClient::request_detail`] reads the room's events from
//! matrix-sdk's event cache (persisted in the local store, so the page
//! works offline; back-paginated from the homeserver when online, up to
//! [`MAX_EVENTS`]), runs the G2C events through the protocol's
//! [`RequestStateMachine`] and adds the citizen's answers that are still in
//! the persistent send queue (local echoes). Every event that concerns the
//! page becomes a [`TimelineItem`]; what cannot be shown (damaged, from a
//! newer protocol version, undecryptable, or refused by the state machine)
//! becomes [`TimelineContent::CannotDisplay`], never an error for the page.
//!
//! The answer API (`answer_inquiry`, `select_appointment`, `select_choice`,
//! `submit_documents`, `acknowledge_notice`) checks every answer against
//! its prompt (`Response::check_against` and `Validate`) and that the
//! prompt is open with no answer queued, before anything is queued or
//! uploaded. Answers go through the send queue, so an answer given offline
//! is sent when the connection returns. Documents go through the
//! [`crate::document_outbox`] first (stored encrypted in the local store,
//! uploaded when the network is there, then their submission is queued):
//! matrix-sdk 0.18's queued media upload only builds `m.room.message`
//! attachments. A submission waiting for its upload is shown as an answer
//! waiting for the network, and can be withdrawn or retried like any other.
//!
//! Nothing in this model carries a Matrix media URI or an attachment's
//! encryption key: attachments are [`Attachment`]s (name, type, size,
//! SHA-256) found again by prompt and index when they are opened.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use g2c_protocol::event::{
    APPOINTMENT_SELECTION, CHOICE_SELECTION, DOCUMENTS_SUBMISSION, INQUIRY_ANSWER,
    NOTICE_ACKNOWLEDGEMENT, REQUEST, STATUS,
};
use g2c_protocol::ids::{LocalId, Sha256Hex};
use g2c_protocol::language::DEFAULT_LANGUAGE;
use g2c_protocol::media::{FileRef, MimeType};
use g2c_protocol::prompt::{ChoiceMode, ChoiceOption, NoticeKind, Prompt, RequestedDocument};
use g2c_protocol::request::RequestEventContent;
use g2c_protocol::response::{
    AppointmentSelectionEventContent, ChoiceSelectionEventContent, DocumentsSubmissionEventContent,
    InquiryAnswerEventContent, NoticeAcknowledgementEventContent, Response, SubmittedDocument,
};
use g2c_protocol::state_machine::{
    PromptRecord, PromptState, RequestStateMachine, Role, StateError, TimelineEvent,
};
use g2c_protocol::{G2cEvent, G2cEventType, Language, Validate, ValidationError, parse_event};
use matrix_sdk::Room;
use matrix_sdk::deserialized_responses::{RawAnySyncOrStrippedState, TimelineEvent as MatrixEvent};
use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::events::room::MediaSource;
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedUserId};
use matrix_sdk::send_queue::{LocalEchoContent, SendHandle};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::document_outbox::{self, Delivery, PendingSubmission};
use crate::documents::{DocumentError, DocumentLimits, PreparedDocument, prepare_document};
use crate::error::CoreError;
use crate::events::{CoreEvent, SendState};
use crate::send::{OutgoingMessage, queued_message};
use crate::session::CitizenClient;

pub use g2c_protocol::request::Status as RequestStatus;

/// The most timeline events kept in view per request.
pub use crate::room_events::MAX_EVENTS;

/// State events in the G2C namespace that are no part of the timeline: the
/// authority's certificate (`trust::master_key_signature`) and citizens'
/// eID attestations (`de.amtsbote.g2c.v1.eid_attestation`).
const TRUST_STATE_EVENTS: &[&str] = &[
    crate::trust::master_key_signature::CERTIFICATE_STATE_EVENT,
    "de.amtsbote.g2c.v1.eid_attestation",
];

/// The longest text of a "cannot display" fallback, in characters.
const MAX_FALLBACK_CHARS: usize = 500;

/// One request as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestDetail {
    /// The request room.
    pub room_id: String,
    /// What was applied for, where and when.
    pub metadata: RequestMetadata,
    /// The current status; `None` until the authority set one.
    pub status: Option<RequestStatus>,
    /// Every status change, oldest first.
    pub status_history: Vec<StatusEntry>,
    /// Prompts waiting for the citizen (open, no answer queued).
    pub open_prompts: usize,
    /// Whether the citizen has something to do.
    pub needs_action: bool,
    /// The timeline, oldest first.
    pub timeline: Vec<TimelineItem>,
    /// Whether the timeline reaches back to the room's start.
    pub history_complete: bool,
}

/// The request's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestMetadata {
    /// The service applied for.
    pub service: String,
    /// The authority.
    pub authority: String,
    /// The authority's reference number.
    pub reference: String,
    /// When it was submitted (RFC 3339 as written).
    pub submitted_at: String,
    /// The description, if any.
    pub description: Option<String>,
    /// The language the authority writes this case in (BCP 47 as written),
    /// `de` when the request event names none: every authority text on the
    /// page (service, authority, description, prompts, notes) is in it.
    pub language: String,
}

/// A status change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusEntry {
    /// The status event.
    pub event_id: String,
    /// Server time, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// The new status.
    pub status: RequestStatus,
    /// The authority's note.
    pub note: Option<String>,
}

/// Who sent an event: the citizen's own user, or anyone else (the
/// authority; verifying its identity is the trust module's job).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// The authority.
    Authority,
    /// The citizen.
    Citizen,
}

/// One entry of the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineItem {
    /// The event id.
    pub event_id: String,
    /// Server time, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// Who sent it.
    pub from: Party,
    /// What it is.
    pub content: TimelineContent,
}

/// What a timeline entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimelineContent {
    /// A status change.
    StatusChange {
        /// The new status.
        status: RequestStatus,
        /// The note.
        note: Option<String>,
    },
    /// A prompt with its state and answer.
    Prompt(Box<PromptItem>),
    /// The authority's confirmation of received documents.
    DocumentsReceived {
        /// The submission confirmed.
        submission_event_id: String,
        /// Hashes confirmed.
        received_sha256: Vec<String>,
        /// Submitted hashes not confirmed.
        missing_sha256: Vec<String>,
        /// The note.
        note: Option<String>,
    },
    /// A plain text message (`m.room.message`).
    Message {
        /// Its body, as text.
        body: String,
    },
    /// An event that cannot be shown.
    CannotDisplay {
        /// Why.
        reason: CannotDisplayReason,
        /// The event type as sent.
        event_type: String,
        /// The event's `body` fallback, shortened, if it had one.
        fallback: Option<String>,
    },
}

/// Why an event cannot be shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CannotDisplayReason {
    /// Malformed or invalid content.
    Malformed,
    /// A G2C namespace event of an unknown version or type.
    UnsupportedVersion,
    /// Not decryptable (yet).
    Undecryptable,
    /// Valid, but refused by the request state machine.
    Rejected,
}

/// A prompt on the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptItem {
    /// The prompt's event id.
    pub event_id: String,
    /// Where it stands.
    pub state: PromptStatus,
    /// The prompt that replaced it.
    pub superseded_by: Option<String>,
    /// Expiry (RFC 3339 as written).
    pub expires_at: Option<String>,
    /// What it asks or tells.
    pub content: PromptContent,
    /// The citizen's answer, sent or queued.
    pub answer: Option<Answer>,
}

/// Where a prompt stands (the protocol's [`PromptState`] without ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptStatus {
    /// Waiting for the citizen.
    Open,
    /// Answered.
    Answered,
    /// Expired unanswered.
    Expired,
    /// Replaced by a newer prompt.
    Superseded,
    /// Nothing to answer.
    Informational,
    /// Closed with the request.
    Closed,
}

/// A prompt's content, without media locations or keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptContent {
    /// A question.
    Inquiry {
        /// The question.
        question: String,
        /// Longest answer, in characters.
        max_answer_length: usize,
        /// Whether attachments may be added.
        attachments_allowed: bool,
    },
    /// Appointment slots.
    AppointmentOffer {
        /// The message.
        text: String,
        /// The slots.
        slots: Vec<Slot>,
        /// Whether "none of these" may be answered.
        none_of_the_above_allowed: bool,
    },
    /// Documents to upload.
    DocumentRequest {
        /// The message.
        text: String,
        /// The documents.
        documents: Vec<RequestedDocument>,
    },
    /// Options.
    Choice {
        /// The question.
        question: String,
        /// One or more (`true`) or exactly one.
        multiple: bool,
        /// The options.
        options: Vec<ChoiceOption>,
    },
    /// A notice or decision.
    Notice {
        /// Notice or decision.
        decision: bool,
        /// Title.
        title: String,
        /// Text.
        text: String,
        /// Attachments.
        attachments: Vec<Attachment>,
        /// Whether receipt is to be acknowledged.
        requires_acknowledgement: bool,
    },
}

/// An appointment slot with its wall-clock time at the place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Its id.
    pub id: String,
    /// Start (RFC 3339, the place's offset).
    pub start: String,
    /// End (RFC 3339, the place's offset).
    pub end: String,
    /// IANA time zone of the place.
    pub time_zone: String,
    /// Local date at the place, `YYYY-MM-DD`.
    pub local_date: String,
    /// Local start time, `HH:MM`.
    pub local_start: String,
    /// Local end time, `HH:MM`.
    pub local_end: String,
    /// Where.
    pub place: String,
    /// Postal address.
    pub address: Option<String>,
}

/// A file as the UI may know it: no media URI, no key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// Position in its event.
    pub index: usize,
    /// File name.
    pub name: String,
    /// MIME type.
    pub mimetype: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

/// The citizen's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Event id once sent.
    pub event_id: Option<String>,
    /// Transaction id while queued.
    pub transaction_id: Option<String>,
    /// Where it stands.
    pub send_state: AnswerSendState,
    /// What was answered.
    pub content: AnswerContent,
}

/// Where an answer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerSendState {
    /// Queued, being sent.
    Sending,
    /// Queued; the send queue is paused until the server answers again.
    WaitingForNetwork,
    /// Failed for good; retry or cancel.
    Failed,
    /// On the server.
    Sent,
}

/// What was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerContent {
    /// Inquiry answer.
    InquiryAnswer {
        /// Text.
        text: String,
        /// Attachments.
        attachments: Vec<Attachment>,
    },
    /// Appointment; `None` for none of these.
    AppointmentSelection {
        /// The slot.
        slot_id: Option<String>,
    },
    /// Documents.
    DocumentsSubmission {
        /// Per requested document.
        documents: Vec<SubmittedFiles>,
    },
    /// Options chosen.
    ChoiceSelection {
        /// Their ids.
        option_ids: Vec<String>,
    },
    /// Notice acknowledged.
    NoticeAcknowledgement {
        /// Hashes acknowledged.
        attachment_sha256: Vec<String>,
    },
}

/// Files submitted for one requested document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmittedFiles {
    /// The requested document.
    pub document_id: String,
    /// Each file and whether a receipt confirms it.
    pub files: Vec<(Attachment, bool)>,
}

/// Why a picked file is refused for a requested document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DocumentRefusal {
    /// The file could not be read.
    #[error("the file could not be read")]
    Unreadable,
    /// Preparing it failed (type, damage, size, bomb).
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// Larger than the authority accepts.
    #[error("the file has {size} bytes, the authority accepts at most {max_size}")]
    TooLarge {
        /// The authority's limit.
        max_size: u64,
        /// The size.
        size: u64,
    },
    /// A type the authority does not accept.
    #[error("the authority does not accept {mimetype} here")]
    TypeNotAccepted {
        /// The file's type.
        mimetype: String,
        /// What is accepted.
        accepted: Vec<String>,
    },
}

/// A picked file checked for a requested document.
#[derive(Clone, Debug)]
pub struct DocumentCheck {
    /// The path as given.
    pub path: PathBuf,
    /// The file's name as picked.
    pub file_name: String,
    /// The prepared document, or why it is refused.
    pub outcome: Result<PreparedDocument, DocumentRefusal>,
}

impl CitizenClient {
    /// The request's page. Fails only if the room is not a joined,
    /// encrypted request room (or its local store fails).
    pub async fn request_detail(&self, room_id: &str) -> Result<RequestDetail, CoreError> {
        Ok(self.load_request(room_id).await?.detail())
    }

    /// Answers an inquiry.
    pub async fn answer_inquiry(
        &self,
        room_id: &str,
        prompt_event_id: &str,
        text: &str,
    ) -> Result<OutgoingMessage, CoreError> {
        let loaded = self.load_request(room_id).await?;
        let (event_id, _) = loaded.open_prompt(prompt_event_id)?;
        let content = InquiryAnswerEventContent::new(event_id, text, Vec::new(), Language::De);
        self.send_response(&loaded, Response::InquiryAnswer(content))
            .await
    }

    /// Selects an appointment slot, or none of them (`None`).
    pub async fn select_appointment(
        &self,
        room_id: &str,
        prompt_event_id: &str,
        slot_id: Option<&str>,
    ) -> Result<OutgoingMessage, CoreError> {
        let loaded = self.load_request(room_id).await?;
        let (event_id, prompt) = loaded.open_prompt(prompt_event_id)?;
        let Prompt::AppointmentOffer(offer) = prompt else {
            return Err(wrong_kind());
        };
        let content = AppointmentSelectionEventContent::new(
            event_id,
            offer,
            slot_id.map(LocalId::new),
            Language::De,
        );
        self.send_response(&loaded, Response::AppointmentSelection(content))
            .await
    }

    /// Selects options of a choice.
    pub async fn select_choice(
        &self,
        room_id: &str,
        prompt_event_id: &str,
        option_ids: &[String],
    ) -> Result<OutgoingMessage, CoreError> {
        let loaded = self.load_request(room_id).await?;
        let (event_id, prompt) = loaded.open_prompt(prompt_event_id)?;
        let Prompt::Choice(choice) = prompt else {
            return Err(wrong_kind());
        };
        let ids = option_ids.iter().map(LocalId::new).collect();
        let content = ChoiceSelectionEventContent::new(event_id, choice, ids, Language::De);
        self.send_response(&loaded, Response::ChoiceSelection(content))
            .await
    }

    /// Acknowledges a notice: downloads and decrypts each attachment (from
    /// the media cache if it was opened before), checks its SHA-256 against
    /// the notice and acknowledges exactly those hashes.
    pub async fn acknowledge_notice(
        &self,
        room_id: &str,
        prompt_event_id: &str,
    ) -> Result<OutgoingMessage, CoreError> {
        let loaded = self.load_request(room_id).await?;
        let (event_id, prompt) = loaded.open_prompt(prompt_event_id)?;
        let Prompt::Notice(notice) = prompt else {
            return Err(wrong_kind());
        };
        let mut hashes = Vec::with_capacity(notice.attachments.len());
        for file in &notice.attachments {
            let bytes = self.download_checked(file).await?;
            drop(bytes);
            hashes.push(file.sha256.clone());
        }
        let content = NoticeAcknowledgementEventContent::new(event_id, hashes, Language::De);
        self.send_response(&loaded, Response::NoticeAcknowledgement(content))
            .await
    }

    /// Reads, checks and normalises picked files for one requested document
    /// of an open document request. Nothing is uploaded.
    pub async fn prepare_documents(
        &self,
        room_id: &str,
        prompt_event_id: &str,
        document_id: &str,
        paths: &[PathBuf],
    ) -> Result<Vec<DocumentCheck>, CoreError> {
        let loaded = self.load_request(room_id).await?;
        let (_, prompt) = loaded.open_prompt(prompt_event_id)?;
        let requested = requested_document(prompt, document_id)?;
        let mut checks = Vec::with_capacity(paths.len());
        for path in paths {
            checks.push(check_document(path, requested).await);
        }
        Ok(checks)
    }

    /// Submits documents for an open document request: every file is read,
    /// normalised and checked against its requested document, the whole
    /// submission against the request (required documents present) — all
    /// before any upload. Then each file is encrypted and uploaded (needs
    /// the network) and the submission is queued.
    pub async fn submit_documents(
        &self,
        room_id: &str,
        prompt_event_id: &str,
        documents: &[(String, Vec<PathBuf>)],
    ) -> Result<OutgoingMessage, CoreError> {
        let loaded = self.load_request(room_id).await?;
        let (event_id, prompt) = loaded.open_prompt(prompt_event_id)?;
        let mut prepared: Vec<(String, Vec<PreparedDocument>)> = Vec::new();
        for (document_id, paths) in documents {
            let requested = requested_document(prompt, document_id)?;
            let mut files = Vec::with_capacity(paths.len());
            for path in paths {
                let check = check_document(path, requested).await;
                match check.outcome {
                    Ok(document) => files.push(document),
                    Err(refusal) => {
                        return Err(CoreError::DocumentRefused {
                            path: check.path,
                            refusal,
                        });
                    }
                }
            }
            prepared.push((document_id.clone(), files));
        }
        // The whole submission, with placeholder sources, against the
        // request before anything leaves the machine.
        let placeholder = submission(&event_id, &prepared, |_| {
            Ok(MediaSource::Plain("mxc://localhost/pending".into()))
        })?;
        check_response(&Response::DocumentsSubmission(placeholder.clone()), prompt)?;
        // Stored before any network request: from here on nothing is lost.
        let files: Vec<Vec<u8>> = prepared
            .into_iter()
            .flat_map(|(_, files)| files.into_iter().map(|file| file.bytes))
            .collect();
        let pending = PendingSubmission {
            id: document_outbox::new_id(),
            room_id: room_id.to_owned(),
            prompt_event_id: prompt_event_id.to_owned(),
            file_count: files.len(),
            content: placeholder,
        };
        document_outbox::save(self.matrix(), &pending, files).await?;
        let _ = self.events.send(CoreEvent::SendStateChanged {
            room_id: room_id.to_owned(),
            transaction_id: pending.id.clone(),
            state: SendState::Queued,
        });
        tracing::info!(%room_id, id = %pending.id, "documents stored for upload");
        let mut updates = self.matrix().send_queue().subscribe();
        match document_outbox::deliver_and_report(self.matrix(), &self.events, room_id, &pending.id)
            .await
        {
            Ok(Delivery::Queued(handle)) => Ok(queued_message(&mut updates, room_id, handle)),
            Ok(Delivery::Dropped | Delivery::Gone) => Err(CoreError::PromptNotOpen {
                event_id: prompt_event_id.to_owned(),
            }),
            // Kept in the outbox, reported as failed; delivered when the
            // connection returns, or on retry.
            Err(_) => Ok(OutgoingMessage::pending_upload(room_id, &pending.id)),
        }
    }

    /// Downloads a notice's attachment, decrypts it, checks its SHA-256 and
    /// writes it to a new private temporary directory (owner-only), for the
    /// system's viewer. Returns the file's path.
    pub async fn save_attachment_for_viewing(
        &self,
        room_id: &str,
        prompt_event_id: &str,
        index: usize,
    ) -> Result<PathBuf, CoreError> {
        let loaded = self.load_request(room_id).await?;
        let record = loaded.prompt_record(prompt_event_id)?;
        let Prompt::Notice(notice) = &record.prompt else {
            return Err(CoreError::UnknownAttachment);
        };
        let file = notice
            .attachments
            .get(index)
            .ok_or(CoreError::UnknownAttachment)?;
        let bytes = self.download_checked(file).await?;
        let name = crate::documents::sanitise_file_name(&file.name);
        let path = tokio::task::spawn_blocking(move || write_private_file(&name, &bytes)).await??;
        Ok(path)
    }

    /// Retries a queued answer whose sending failed for good.
    pub async fn retry_send(&self, room_id: &str, transaction_id: &str) -> Result<(), CoreError> {
        if transaction_id.starts_with(document_outbox::ID_PREFIX) {
            self.encrypted_room(room_id).await?;
            return match document_outbox::deliver_and_report(
                self.matrix(),
                &self.events,
                room_id,
                transaction_id,
            )
            .await?
            {
                Delivery::Gone => Err(CoreError::UnknownTransaction {
                    transaction_id: transaction_id.to_owned(),
                }),
                Delivery::Queued(_) | Delivery::Dropped => Ok(()),
            };
        }
        let handle = self.queued_handle(room_id, transaction_id).await?;
        handle.unwedge().await?;
        self.resume_sending().await;
        Ok(())
    }

    /// Cancels a queued answer; `Ok(false)` if it was sent meanwhile.
    pub async fn cancel_send(
        &self,
        room_id: &str,
        transaction_id: &str,
    ) -> Result<bool, CoreError> {
        if transaction_id.starts_with(document_outbox::ID_PREFIX) {
            self.encrypted_room(room_id).await?;
            let withdrawn = document_outbox::remove(self.matrix(), transaction_id).await?;
            if withdrawn {
                let _ = self.events.send(CoreEvent::SendStateChanged {
                    room_id: room_id.to_owned(),
                    transaction_id: transaction_id.to_owned(),
                    state: SendState::Cancelled,
                });
            }
            return Ok(withdrawn);
        }
        let handle = self.queued_handle(room_id, transaction_id).await?;
        Ok(handle.abort().await?)
    }

    async fn queued_handle(
        &self,
        room_id: &str,
        transaction_id: &str,
    ) -> Result<SendHandle, CoreError> {
        let room = self.encrypted_room(room_id).await?;
        let (echoes, _) = room.send_queue().subscribe().await?;
        echoes
            .into_iter()
            .find_map(|echo| match echo.content {
                LocalEchoContent::Event { send_handle, .. }
                    if echo.transaction_id.as_str() == transaction_id =>
                {
                    Some(send_handle)
                }
                _ => None,
            })
            .ok_or_else(|| CoreError::UnknownTransaction {
                transaction_id: transaction_id.to_owned(),
            })
    }

    /// Downloads and decrypts an attachment and checks size and SHA-256.
    async fn download_checked(&self, file: &FileRef) -> Result<Vec<u8>, CoreError> {
        let request = MediaRequestParameters {
            source: file.source.clone(),
            format: MediaFormat::File,
        };
        let bytes = self
            .matrix()
            .media()
            .get_media_content(&request, true)
            .await?;
        let actual = hex_sha256(&bytes);
        if bytes.len() as u64 != file.size || actual != file.sha256.as_str() {
            tracing::warn!(name = %file.name, "attachment does not match its announced hash");
            return Err(CoreError::AttachmentMismatch);
        }
        Ok(bytes)
    }

    /// Validates a response against its prompt and queues it.
    async fn send_response(
        &self,
        loaded: &LoadedRequest,
        response: Response,
    ) -> Result<OutgoingMessage, CoreError> {
        let record = loaded.prompt_record(response.prompt_event_id().as_str())?;
        check_response(&response, &record.prompt)?;
        let (event_type, content) = match &response {
            Response::InquiryAnswer(c) => (INQUIRY_ANSWER, serde_json::to_value(c)),
            Response::AppointmentSelection(c) => (APPOINTMENT_SELECTION, serde_json::to_value(c)),
            Response::DocumentsSubmission(c) => (DOCUMENTS_SUBMISSION, serde_json::to_value(c)),
            Response::ChoiceSelection(c) => (CHOICE_SELECTION, serde_json::to_value(c)),
            Response::NoticeAcknowledgement(c) => (NOTICE_ACKNOWLEDGEMENT, serde_json::to_value(c)),
        };
        let content = content.map_err(|error| {
            tracing::error!(%error, "could not serialise a response");
            CoreError::InvalidAnswer(ValidationError::Missing {
                field: "content".to_owned(),
            })
        })?;
        let outgoing = self
            .send_custom(loaded.room.room_id().as_str(), event_type, &content)
            .await?;
        tracing::info!(
            room_id = %loaded.room.room_id(),
            event_type,
            transaction_id = outgoing.transaction_id(),
            "answer queued"
        );
        Ok(outgoing)
    }

    /// Reads everything the page needs.
    async fn load_request(&self, room_id: &str) -> Result<LoadedRequest, CoreError> {
        let room = self.encrypted_room(room_id).await?;
        let state_metadata = match state_content(&room, REQUEST).await {
            Some(G2cEvent::Request(content)) => Some(content),
            _ => None,
        };
        let state_status = match state_content(&room, STATUS).await {
            Some(G2cEvent::Status(content)) => Some(content.status),
            _ => None,
        };
        let (events, complete) = crate::room_events::read(self.matrix(), &room).await?;
        let own = self.matrix().user_id().map(ToOwned::to_owned);
        let read = classify(&events, own.as_ref());
        let g2c: Vec<TimelineEvent> = read
            .iter()
            .filter_map(|r| match r {
                ReadEvent::G2c(event) => Some(event.clone()),
                _ => None,
            })
            .collect();
        let (machine, refused) = RequestStateMachine::from_events(&g2c);
        for (event_id, error) in &refused {
            tracing::debug!(%room_id, %event_id, %error, "event refused by the request state machine");
        }
        let queue = room.send_queue();
        let queue_enabled = queue.is_enabled() && self.matrix().send_queue().is_enabled();
        let (echoes, _) = queue.subscribe().await?;
        let local = echoes
            .into_iter()
            .filter_map(|echo| {
                let LocalEchoContent::Event {
                    serialized_event,
                    send_error,
                    ..
                } = echo.content
                else {
                    return None;
                };
                let (raw, event_type) = serialized_event.raw();
                match parse_event(event_type, raw.json().get()) {
                    Ok(G2cEvent::Response(response)) => Some(LocalAnswer {
                        transaction_id: echo.transaction_id.to_string(),
                        response,
                        failed: send_error.is_some(),
                        awaiting_upload: false,
                    }),
                    _ => None,
                }
            })
            .chain(
                document_outbox::pending_in_room(self.matrix(), room_id)
                    .await?
                    .into_iter()
                    .map(|pending| LocalAnswer {
                        transaction_id: pending.id,
                        response: Response::DocumentsSubmission(pending.content),
                        failed: false,
                        awaiting_upload: true,
                    }),
            )
            .collect();
        Ok(LoadedRequest {
            room,
            state_metadata,
            state_status,
            read,
            machine,
            refused: refused.into_iter().collect(),
            local,
            queue_enabled,
            complete,
        })
    }
}

/// A response in the send queue.
struct LocalAnswer {
    transaction_id: String,
    response: Response,
    failed: bool,
    /// Documents in the outbox, not yet uploaded.
    awaiting_upload: bool,
}

/// An event as read for the page.
enum ReadEvent {
    /// A valid G2C event, for the state machine.
    G2c(TimelineEvent),
    /// A plain message.
    Message {
        event_id: String,
        at_ms: u64,
        from: Party,
        body: String,
    },
    /// Cannot be shown.
    CannotDisplay {
        event_id: String,
        at_ms: u64,
        from: Party,
        reason: CannotDisplayReason,
        event_type: String,
        fallback: Option<String>,
    },
}

/// Everything read for one request.
struct LoadedRequest {
    room: Room,
    state_metadata: Option<RequestEventContent>,
    state_status: Option<RequestStatus>,
    read: Vec<ReadEvent>,
    machine: RequestStateMachine,
    refused: BTreeMap<OwnedEventId, StateError>,
    local: Vec<LocalAnswer>,
    queue_enabled: bool,
    complete: bool,
}

impl LoadedRequest {
    fn prompt_record(&self, prompt_event_id: &str) -> Result<&PromptRecord, CoreError> {
        self.machine
            .view(MilliSecondsSinceUnixEpoch::now())
            .prompts
            .iter()
            .map(|p| p.record)
            .find(|r| r.event_id.as_str() == prompt_event_id)
            .ok_or_else(|| CoreError::UnknownPrompt {
                event_id: prompt_event_id.to_owned(),
            })
    }

    /// The prompt, if it is open and no answer to it is queued.
    fn open_prompt(&self, prompt_event_id: &str) -> Result<(OwnedEventId, &Prompt), CoreError> {
        let view = self.machine.view(MilliSecondsSinceUnixEpoch::now());
        let prompt = view
            .prompts
            .iter()
            .find(|p| p.record.event_id.as_str() == prompt_event_id)
            .ok_or_else(|| CoreError::UnknownPrompt {
                event_id: prompt_event_id.to_owned(),
            })?;
        let queued = self
            .local
            .iter()
            .any(|l| l.response.prompt_event_id().as_str() == prompt_event_id);
        if prompt.state != PromptState::Open || queued {
            return Err(CoreError::PromptNotOpen {
                event_id: prompt_event_id.to_owned(),
            });
        }
        let record: &PromptRecord = prompt.record;
        Ok((record.event_id.clone(), &record.prompt))
    }

    fn detail(&self) -> RequestDetail {
        let view = self.machine.view(MilliSecondsSinceUnixEpoch::now());
        let metadata = view
            .metadata
            .cloned()
            .or_else(|| self.state_metadata.clone())
            .map(|m| RequestMetadata {
                language: m.language_or_default().to_owned(),
                service: m.service_name,
                authority: m.authority_name,
                reference: m.reference_number,
                submitted_at: m.submitted_at.as_str().to_owned(),
                description: m.description,
            })
            .unwrap_or_else(|| RequestMetadata {
                service: String::new(),
                authority: String::new(),
                reference: String::new(),
                submitted_at: String::new(),
                description: None,
                language: DEFAULT_LANGUAGE.to_owned(),
            });
        let status_history: Vec<StatusEntry> = view
            .status_history
            .iter()
            .map(|c| StatusEntry {
                event_id: c.event_id.to_string(),
                at_ms: millis(c.at),
                status: c.status.clone(),
                note: c.note.clone(),
            })
            .collect();
        let receipts: BTreeMap<&OwnedEventId, _> = view
            .prompts
            .iter()
            .flat_map(|p| p.record.receipts.iter().map(|r| (&r.event_id, r)))
            .collect();
        let prompts: BTreeMap<&OwnedEventId, _> = view
            .prompts
            .iter()
            .map(|p| (&p.record.event_id, p))
            .collect();
        let mut timeline = Vec::new();
        let mut open_prompts = 0;
        for read in &self.read {
            let (event_id, at_ms, from, content) = match read {
                ReadEvent::Message {
                    event_id,
                    at_ms,
                    from,
                    body,
                } => (
                    event_id.clone(),
                    *at_ms,
                    *from,
                    TimelineContent::Message { body: body.clone() },
                ),
                ReadEvent::CannotDisplay {
                    event_id,
                    at_ms,
                    from,
                    reason,
                    event_type,
                    fallback,
                } => (
                    event_id.clone(),
                    *at_ms,
                    *from,
                    TimelineContent::CannotDisplay {
                        reason: *reason,
                        event_type: event_type.clone(),
                        fallback: fallback.clone(),
                    },
                ),
                ReadEvent::G2c(event) => {
                    let from = match event.sender {
                        Role::Citizen => Party::Citizen,
                        Role::Authority => Party::Authority,
                    };
                    let at_ms = millis(event.origin_server_ts);
                    if self.refused.contains_key(&event.event_id) {
                        timeline.push(TimelineItem {
                            event_id: event.event_id.to_string(),
                            at_ms,
                            from,
                            content: TimelineContent::CannotDisplay {
                                reason: CannotDisplayReason::Rejected,
                                event_type: event.content.event_type().as_str().to_owned(),
                                fallback: None,
                            },
                        });
                        continue;
                    }
                    let content = match &event.content {
                        G2cEvent::Request(_) | G2cEvent::Response(_) => continue,
                        G2cEvent::Status(status) => TimelineContent::StatusChange {
                            status: status.status.clone(),
                            note: status.note.clone(),
                        },
                        G2cEvent::Prompt(_) => {
                            let Some(prompt) = prompts.get(&event.event_id) else {
                                continue;
                            };
                            let item = self.prompt_item(prompt.record, &prompt.state);
                            if item.state == PromptStatus::Open && item.answer.is_none() {
                                open_prompts += 1;
                            }
                            TimelineContent::Prompt(Box::new(item))
                        }
                        G2cEvent::DocumentsReceived(receipt) => {
                            let missing = receipts
                                .get(&event.event_id)
                                .map(|r| r.missing.iter().map(|h| h.as_str().to_owned()).collect())
                                .unwrap_or_default();
                            TimelineContent::DocumentsReceived {
                                submission_event_id: receipt.submission_event_id.to_string(),
                                received_sha256: receipt
                                    .received_sha256
                                    .iter()
                                    .map(|h| h.as_str().to_owned())
                                    .collect(),
                                missing_sha256: missing,
                                note: receipt.note.clone(),
                            }
                        }
                    };
                    (event.event_id.to_string(), at_ms, from, content)
                }
            };
            timeline.push(TimelineItem {
                event_id,
                at_ms,
                from,
                content,
            });
        }
        let status = view.status.cloned().or_else(|| self.state_status.clone());
        let needs_action = open_prompts > 0 || status == Some(RequestStatus::ActionRequired);
        RequestDetail {
            room_id: self.room.room_id().to_string(),
            metadata,
            status,
            status_history,
            open_prompts,
            needs_action,
            timeline,
            history_complete: self.complete,
        }
    }

    fn prompt_item(&self, record: &PromptRecord, state: &PromptState) -> PromptItem {
        let (status, superseded_by) = match state {
            PromptState::Open => (PromptStatus::Open, None),
            PromptState::Answered(_) => (PromptStatus::Answered, None),
            PromptState::Expired => (PromptStatus::Expired, None),
            PromptState::Superseded(by) => (PromptStatus::Superseded, Some(by.to_string())),
            PromptState::Informational => (PromptStatus::Informational, None),
            PromptState::Closed => (PromptStatus::Closed, None),
        };
        let confirmed: BTreeSet<&str> = record
            .receipts
            .iter()
            .flat_map(|r| r.content.received_sha256.iter().map(Sha256Hex::as_str))
            .collect();
        let answer = match &record.response {
            Some((event_id, response)) => Some(Answer {
                event_id: Some(event_id.to_string()),
                transaction_id: None,
                send_state: AnswerSendState::Sent,
                content: answer_content(response, &confirmed),
            }),
            None => self
                .local
                .iter()
                .find(|l| l.response.prompt_event_id() == &record.event_id)
                .map(|local| Answer {
                    event_id: None,
                    transaction_id: Some(local.transaction_id.clone()),
                    send_state: if local.failed {
                        AnswerSendState::Failed
                    } else if local.awaiting_upload {
                        AnswerSendState::WaitingForNetwork
                    } else if self.queue_enabled {
                        AnswerSendState::Sending
                    } else {
                        AnswerSendState::WaitingForNetwork
                    },
                    content: answer_content(&local.response, &confirmed),
                }),
        };
        PromptItem {
            event_id: record.event_id.to_string(),
            state: status,
            superseded_by,
            expires_at: record
                .prompt
                .meta()
                .expires_at
                .as_ref()
                .map(|e| e.as_str().to_owned()),
            content: prompt_content(&record.prompt),
            answer,
        }
    }
}

fn prompt_content(prompt: &Prompt) -> PromptContent {
    match prompt {
        Prompt::Inquiry(c) => PromptContent::Inquiry {
            question: c.question.clone(),
            max_answer_length: c.answer_limit(),
            attachments_allowed: c.attachments_allowed,
        },
        Prompt::AppointmentOffer(c) => PromptContent::AppointmentOffer {
            text: c.text.clone(),
            slots: c
                .slots
                .iter()
                .map(|s| Slot {
                    id: s.id.as_str().to_owned(),
                    start: s.start.as_str().to_owned(),
                    end: s.end.as_str().to_owned(),
                    time_zone: s.time_zone.as_str().to_owned(),
                    local_date: local_part(s.start.as_str(), 0..10),
                    local_start: local_part(s.start.as_str(), 11..16),
                    local_end: local_part(s.end.as_str(), 11..16),
                    place: s.place.clone(),
                    address: s.address.clone(),
                })
                .collect(),
            none_of_the_above_allowed: c.none_of_the_above_allowed,
        },
        Prompt::DocumentRequest(c) => PromptContent::DocumentRequest {
            text: c.text.clone(),
            documents: c.documents.clone(),
        },
        Prompt::Choice(c) => PromptContent::Choice {
            question: c.question.clone(),
            multiple: c.mode == ChoiceMode::Multiple,
            options: c.options.clone(),
        },
        Prompt::Notice(c) => PromptContent::Notice {
            decision: c.notice_kind == NoticeKind::Decision,
            title: c.title.clone(),
            text: c.text.clone(),
            attachments: attachments(&c.attachments),
            requires_acknowledgement: c.requires_acknowledgement,
        },
    }
}

fn answer_content(response: &Response, confirmed: &BTreeSet<&str>) -> AnswerContent {
    match response {
        Response::InquiryAnswer(c) => AnswerContent::InquiryAnswer {
            text: c.text.clone(),
            attachments: attachments(&c.attachments),
        },
        Response::AppointmentSelection(c) => AnswerContent::AppointmentSelection {
            slot_id: c.slot_id.as_ref().map(|id| id.as_str().to_owned()),
        },
        Response::DocumentsSubmission(c) => AnswerContent::DocumentsSubmission {
            documents: c
                .documents
                .iter()
                .map(|d| SubmittedFiles {
                    document_id: d.document_id.as_str().to_owned(),
                    files: attachments(&d.files)
                        .into_iter()
                        .map(|a| {
                            let ok = confirmed.contains(a.sha256.as_str());
                            (a, ok)
                        })
                        .collect(),
                })
                .collect(),
        },
        Response::ChoiceSelection(c) => AnswerContent::ChoiceSelection {
            option_ids: c
                .option_ids
                .iter()
                .map(|id| id.as_str().to_owned())
                .collect(),
        },
        Response::NoticeAcknowledgement(c) => AnswerContent::NoticeAcknowledgement {
            attachment_sha256: c
                .attachment_sha256
                .iter()
                .map(|h| h.as_str().to_owned())
                .collect(),
        },
    }
}

/// Name, type, size and hash of each file; never its source.
fn attachments(files: &[FileRef]) -> Vec<Attachment> {
    files
        .iter()
        .enumerate()
        .map(|(index, f)| Attachment {
            index,
            name: f.name.clone(),
            mimetype: f.mimetype.as_str().to_owned(),
            size: f.size,
            sha256: f.sha256.as_str().to_owned(),
        })
        .collect()
}

/// A slice of a validated RFC 3339 string (its wall-clock fields are the
/// place's local time: validation checked the offset against the zone).
fn local_part(rfc3339: &str, range: std::ops::Range<usize>) -> String {
    rfc3339.get(range).unwrap_or_default().to_owned()
}

fn millis(ts: MilliSecondsSinceUnixEpoch) -> u64 {
    u64::from(ts.get())
}

/// The field a validation error names (a JSON path into the content), or
/// `m.relates_to` for relation errors; for the UI to point at.
pub fn field_of(error: &ValidationError) -> String {
    use ValidationError as V;
    match error {
        V::Missing { field, .. }
        | V::TooLong { field, .. }
        | V::TooMany { field, .. }
        | V::ControlCharacters { field, .. }
        | V::InvalidTimestamp { field, .. }
        | V::UnknownTimeZone { field, .. }
        | V::OffsetMismatch { field, .. }
        | V::EndNotAfterStart { field, .. }
        | V::InvalidId { field, .. }
        | V::DuplicateId { field, .. }
        | V::UnknownId { field, .. }
        | V::InvalidMimeType { field, .. }
        | V::InvalidLanguageTag { field, .. }
        | V::InvalidMxcUri { field, .. }
        | V::InvalidHash { field, .. }
        | V::InvalidSize { field, .. }
        | V::UnknownValue { field, .. }
        | V::Inconsistent { field, .. } => field.clone(),
        V::InvalidRelation { .. } => "m.relates_to".to_owned(),
        _ => String::new(),
    }
}

fn wrong_kind() -> CoreError {
    CoreError::InvalidAnswer(ValidationError::InvalidRelation {
        reason: "the referenced event is a prompt of another kind",
    })
}

/// Validates a response on its own and against its prompt.
fn check_response(response: &Response, prompt: &Prompt) -> Result<(), CoreError> {
    let valid = match response {
        Response::InquiryAnswer(c) => c.validate(),
        Response::AppointmentSelection(c) => c.validate(),
        Response::DocumentsSubmission(c) => c.validate(),
        Response::ChoiceSelection(c) => c.validate(),
        Response::NoticeAcknowledgement(c) => c.validate(),
    };
    valid
        .and_then(|()| response.check_against(prompt))
        .map_err(CoreError::InvalidAnswer)
}

fn requested_document<'p>(
    prompt: &'p Prompt,
    document_id: &str,
) -> Result<&'p RequestedDocument, CoreError> {
    let Prompt::DocumentRequest(request) = prompt else {
        return Err(wrong_kind());
    };
    request.document(&LocalId::new(document_id)).ok_or_else(|| {
        CoreError::InvalidAnswer(ValidationError::UnknownId {
            field: "document_id".to_owned(),
            id: document_id.chars().take(64).collect(),
        })
    })
}

/// Reads and prepares one file and checks it against the requested
/// document's types and size.
async fn check_document(path: &Path, requested: &RequestedDocument) -> DocumentCheck {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let limits = DocumentLimits::default();
    let outcome = match read_limited(path, limits.max_file_bytes).await {
        Ok(bytes) => {
            let name = file_name.clone();
            // Decoding and re-encoding is CPU work: off the async threads.
            tokio::task::spawn_blocking(move || prepare_document(&bytes, &name, &limits))
                .await
                .map_err(|_| DocumentRefusal::Unreadable)
                .and_then(|prepared| prepared.map_err(DocumentRefusal::from))
        }
        Err(refusal) => Err(refusal),
    };
    let outcome = outcome.and_then(|prepared| {
        let mime = MimeType::new(prepared.mime);
        if !requested.accepts(&mime) {
            return Err(DocumentRefusal::TypeNotAccepted {
                mimetype: prepared.mime.to_owned(),
                accepted: requested
                    .accepted_mimetypes
                    .iter()
                    .map(|m| m.as_str().to_owned())
                    .collect(),
            });
        }
        if prepared.size > requested.max_size {
            return Err(DocumentRefusal::TooLarge {
                max_size: requested.max_size,
                size: prepared.size,
            });
        }
        Ok(prepared)
    });
    DocumentCheck {
        path: path.to_owned(),
        file_name,
        outcome,
    }
}

/// Reads a file, refusing one larger than `max` without reading it.
async fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>, DocumentRefusal> {
    let metadata = tokio::fs::metadata(path)
        .await
        .map_err(|_| DocumentRefusal::Unreadable)?;
    if !metadata.is_file() {
        return Err(DocumentRefusal::Unreadable);
    }
    if metadata.len() > max {
        return Err(DocumentRefusal::TooLarge {
            max_size: max,
            size: metadata.len(),
        });
    }
    tokio::fs::read(path)
        .await
        .map_err(|_| DocumentRefusal::Unreadable)
}

/// Builds a submission of the prepared files with sources from `source`.
fn submission(
    prompt: &OwnedEventId,
    prepared: &[(String, Vec<PreparedDocument>)],
    mut source: impl FnMut(&PreparedDocument) -> Result<MediaSource, CoreError>,
) -> Result<DocumentsSubmissionEventContent, CoreError> {
    let mut documents = Vec::with_capacity(prepared.len());
    for (document_id, files) in prepared {
        let mut refs = Vec::with_capacity(files.len());
        for file in files {
            refs.push(FileRef {
                source: source(file)?,
                name: file.file_name.clone(),
                mimetype: MimeType::new(file.mime),
                size: file.size,
                sha256: Sha256Hex::new(file.sha256.clone()),
            });
        }
        documents.push(SubmittedDocument {
            document_id: LocalId::new(document_id.as_str()),
            files: refs,
        });
    }
    Ok(DocumentsSubmissionEventContent::new(
        prompt.clone(),
        documents,
        Language::De,
    ))
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes `bytes` as `name` into a new temporary directory only the user
/// can read (0700 directory, 0600 file on Unix). The directory is kept for
/// the viewer; the OS cleans its temporary directory.
fn write_private_file(name: &str, bytes: &[u8]) -> Result<PathBuf, std::io::Error> {
    let dir = tempfile::Builder::new()
        .prefix("amtsbote-attachment-")
        .tempdir()?
        .keep();
    let path = dir.join(name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&path)?;
    std::io::Write::write_all(&mut file, bytes)?;
    file.sync_all()?;
    Ok(path)
}

/// The fields of a timeline event the page needs.
#[derive(Deserialize)]
struct MinimalEvent {
    #[serde(rename = "type")]
    event_type: String,
    event_id: OwnedEventId,
    sender: OwnedUserId,
    origin_server_ts: MilliSecondsSinceUnixEpoch,
    #[serde(default)]
    content: serde_json::Value,
    #[serde(default)]
    state_key: Option<String>,
}

/// Sorts the room's events into what the page shows.
fn classify(events: &[MatrixEvent], own: Option<&OwnedUserId>) -> Vec<ReadEvent> {
    let mut out = Vec::new();
    for event in events {
        let Ok(minimal) = event.raw().deserialize_as_unchecked::<MinimalEvent>() else {
            continue;
        };
        let from = if own == Some(&minimal.sender) {
            Party::Citizen
        } else {
            Party::Authority
        };
        let event_id = minimal.event_id.to_string();
        let at_ms = millis(minimal.origin_server_ts);
        let cannot = |reason| ReadEvent::CannotDisplay {
            event_id: event_id.clone(),
            at_ms,
            from,
            reason,
            event_type: minimal.event_type.chars().take(255).collect(),
            fallback: fallback_body(&minimal.content),
        };
        if minimal.event_type == "m.room.encrypted" {
            out.push(cannot(CannotDisplayReason::Undecryptable));
            continue;
        }
        if minimal.event_type == "m.room.message" {
            match minimal.content.get("body").and_then(|b| b.as_str()) {
                Some(body) => out.push(ReadEvent::Message {
                    event_id,
                    at_ms,
                    from,
                    body: body.to_owned(),
                }),
                None => out.push(cannot(CannotDisplayReason::Malformed)),
            }
            continue;
        }
        // The trust layer's state events (the authority's certificate,
        // citizens' eID attestations) are checked by `trust`, not items of
        // the case.
        if minimal.state_key.is_some() && TRUST_STATE_EVENTS.contains(&minimal.event_type.as_str())
        {
            continue;
        }
        if G2cEventType::from_event_type(&minimal.event_type).is_none() {
            if minimal.event_type.starts_with("de.amtsbote.g2c.") {
                out.push(cannot(CannotDisplayReason::UnsupportedVersion));
            }
            continue;
        }
        // G2C state lives under the empty state key only.
        if minimal.state_key.as_deref().is_some_and(|k| !k.is_empty()) {
            continue;
        }
        match parse_event(&minimal.event_type, &minimal.content.to_string()) {
            Ok(content) => out.push(ReadEvent::G2c(TimelineEvent {
                event_id: minimal.event_id,
                sender: match from {
                    Party::Citizen => Role::Citizen,
                    Party::Authority => Role::Authority,
                },
                origin_server_ts: minimal.origin_server_ts,
                content,
            })),
            Err(error) => {
                tracing::debug!(%event_id, %error, "G2C event not understood");
                out.push(cannot(CannotDisplayReason::Malformed));
            }
        }
    }
    out
}

/// The `body` of a content, shortened, if it is a string.
fn fallback_body(content: &serde_json::Value) -> Option<String> {
    let body = content.get("body")?.as_str()?;
    let mut short: String = body
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(MAX_FALLBACK_CHARS)
        .collect();
    if body.chars().count() > MAX_FALLBACK_CHARS {
        short.push('…');
    }
    Some(short)
}

/// A G2C state event with an empty state key, parsed and validated (used
/// when the timeline read does not reach back to it).
async fn state_content(room: &Room, event_type: &str) -> Option<G2cEvent> {
    let raw = match room
        .get_state_event(StateEventType::from(event_type), "")
        .await
    {
        Ok(Some(RawAnySyncOrStrippedState::Sync(raw))) => raw.json().get().to_owned(),
        _ => return None,
    };
    let event: serde_json::Value = serde_json::from_str(&raw).ok()?;
    parse_event(event_type, &event.get("content")?.to_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_is_shortened_and_control_free() {
        let long = "a".repeat(MAX_FALLBACK_CHARS + 10);
        let content = serde_json::json!({ "body": format!("x\u{0007}y\n{long}") });
        let short = fallback_body(&content).unwrap();
        assert!(short.starts_with("xy\n"));
        assert!(short.ends_with('…'));
        assert_eq!(short.chars().count(), MAX_FALLBACK_CHARS + 1);
        assert_eq!(fallback_body(&serde_json::json!({ "body": 3 })), None);
    }

    fn event(event_type: &str, sender: &str, content: serde_json::Value) -> MatrixEvent {
        let json = serde_json::json!({
            "type": event_type,
            "event_id": format!("$e{}", event_type.len()),
            "sender": sender,
            "origin_server_ts": 1_700_000_000_000u64,
            "content": content,
        });
        MatrixEvent::from_plaintext(
            matrix_sdk::ruma::serde::Raw::from_json_string(json.to_string()).unwrap(),
        )
    }

    fn state_event(event_type: &str, state_key: &str, content: serde_json::Value) -> MatrixEvent {
        let json = serde_json::json!({
            "type": event_type,
            "state_key": state_key,
            "event_id": format!("$s{}", event_type.len()),
            "sender": "@amt:localhost",
            "origin_server_ts": 1_700_000_000_000u64,
            "content": content,
        });
        MatrixEvent::from_plaintext(
            matrix_sdk::ruma::serde::Raw::from_json_string(json.to_string()).unwrap(),
        )
    }

    #[test]
    fn classify_keeps_every_event_that_concerns_the_page() {
        let own = OwnedUserId::try_from("@erika:localhost").unwrap();
        let events = [
            event(
                "m.room.encrypted",
                "@amt:localhost",
                serde_json::json!({ "algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "x" }),
            ),
            event(
                "m.room.message",
                "@erika:localhost",
                serde_json::json!({ "msgtype": "m.text", "body": "<b>Hallo</b>" }),
            ),
            event(
                "de.amtsbote.g2c.v1.inquiry",
                "@amt:localhost",
                serde_json::json!({ "body": "Frage", "question": "" }),
            ),
            event(
                "de.amtsbote.g2c.v9.inquiry",
                "@amt:localhost",
                serde_json::json!({ "body": "Neu" }),
            ),
            event(
                "m.room.member",
                "@amt:localhost",
                serde_json::json!({ "membership": "join" }),
            ),
            state_event(
                "de.amtsbote.g2c.v1.authority_certificate",
                "",
                serde_json::json!({ "signatures": {} }),
            ),
            state_event(
                "de.amtsbote.g2c.v1.eid_attestation",
                "@erika:localhost",
                serde_json::json!({ "attestation": "x" }),
            ),
        ];
        let read = classify(&events, Some(&own));
        let shapes: Vec<String> = read
            .iter()
            .map(|r| match r {
                ReadEvent::G2c(_) => "g2c".to_owned(),
                ReadEvent::Message { from, body, .. } => format!("message {from:?} {body}"),
                ReadEvent::CannotDisplay {
                    reason, fallback, ..
                } => format!("cannot {reason:?} {fallback:?}"),
            })
            .collect();
        assert_eq!(
            shapes,
            [
                "cannot Undecryptable None",
                "message Citizen <b>Hallo</b>",
                "cannot Malformed Some(\"Frage\")",
                "cannot UnsupportedVersion Some(\"Neu\")",
            ]
        );
    }

    #[test]
    fn slot_local_time_is_the_wall_clock_as_written() {
        assert_eq!(local_part("2025-09-19T09:00:00+02:00", 0..10), "2025-09-19");
        assert_eq!(local_part("2025-09-19T09:00:00+02:00", 11..16), "09:00");
    }
}
