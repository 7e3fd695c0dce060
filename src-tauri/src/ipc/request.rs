//! The request page's contract: the detail of one request (metadata, status
//! history, timeline of prompts with their answers and send states), the
//! answers the UI can give, prepared documents and the `request-changed`
//! event.
//!
//! What never crosses this boundary: Matrix media URIs (`mxc://`),
//! attachment encryption keys and IVs, access tokens. Attachments are named
//! by their prompt and index; the shell downloads and decrypts them itself.
//! Authority text is plain data for text nodes, never markup.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::RequestStatusDto;

/// One request as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RequestDetailDto {
    /// The request room.
    pub room_id: String,
    /// The service applied for, e.g. "Angelschein".
    pub service: String,
    /// The authority handling it.
    pub authority: String,
    /// Whether that authority is verified by its certificate.
    pub authority_trust: super::AuthorityTrustDto,
    /// The authority's reference number ("Aktenzeichen").
    pub reference: String,
    /// When it was submitted (RFC 3339, as the authority wrote it).
    pub submitted_at: String,
    /// The authority's description of the application, if any.
    pub description: Option<String>,
    /// The language the authority writes this case in: a BCP 47 tag as
    /// the authority wrote it (e.g. `de`, `en-GB`), `de` when it named none.
    /// Every authority text of the case is in it; the UI marks such text
    /// with `lang` when its own language differs (WCAG 2.1 SC 3.1.2).
    pub language: String,
    /// The current status; `null` until the authority set one.
    pub status: Option<RequestStatusDto>,
    /// Every status change, oldest first.
    pub status_history: Vec<StatusChangeDto>,
    /// Prompts waiting for the citizen.
    pub open_prompts: u32,
    /// Whether the citizen has something to do.
    pub needs_action: bool,
    /// The case's timeline, oldest first.
    pub timeline: Vec<TimelineItemDto>,
    /// Whether the timeline reaches back to the room's start (`false`: only
    /// the most recent events were read).
    pub history_complete: bool,
}

/// A status change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StatusChangeDto {
    /// The status event.
    pub event_id: String,
    /// When the server received it (milliseconds since the Unix epoch).
    #[ts(type = "number")]
    pub at_ms: u64,
    /// The new status.
    pub status: RequestStatusDto,
    /// The authority's note, e.g. why a request was reopened.
    pub note: Option<String>,
}

/// Who an item comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum PartyDto {
    /// The authority.
    Authority,
    /// The citizen (this account).
    Citizen,
}

/// One entry of the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TimelineItemDto {
    /// A stable key for the item: its event id.
    pub key: String,
    /// When the server received it (milliseconds since the Unix epoch).
    #[ts(type = "number")]
    pub at_ms: u64,
    /// Who sent it.
    pub from: PartyDto,
    /// What it is.
    pub content: TimelineContentDto,
}

/// What a timeline entry is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum TimelineContentDto {
    /// The authority changed the status.
    StatusChange {
        /// The new status.
        status: RequestStatusDto,
        /// The authority's note.
        note: Option<String>,
    },
    /// A prompt (inquiry, appointment offer, document request, choice,
    /// notice) with its state and, once given, the citizen's answer.
    Prompt {
        /// The prompt.
        prompt: PromptDto,
    },
    /// The authority confirms which submitted documents arrived.
    DocumentsReceived {
        /// The documents submission confirmed.
        submission_event_id: String,
        /// SHA-256 (hex) of every file confirmed.
        received_sha256: Vec<String>,
        /// SHA-256 (hex) of submitted files this receipt does not confirm.
        missing_sha256: Vec<String>,
        /// The authority's note, e.g. "page 2 is unreadable".
        note: Option<String>,
    },
    /// A plain text message.
    Message {
        /// The text (never markup).
        body: String,
    },
    /// An event the app cannot show: damaged, from a newer protocol
    /// version, undecryptable or not fitting the request. Never dropped.
    CannotDisplay {
        /// Why.
        reason: CannotDisplayReasonDto,
        /// The Matrix event type as sent (e.g. `de.amtsbote.g2c.v1.inquiry`).
        event_type: String,
        /// The event's plain-text fallback (`body`), if it had a readable
        /// one (shortened).
        fallback: Option<String>,
    },
}

/// Why an event cannot be displayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum CannotDisplayReasonDto {
    /// The content is malformed or breaks the protocol's rules.
    Malformed,
    /// A G2C event of a protocol version (or type) this app does not know.
    UnsupportedVersion,
    /// The event could not be decrypted (keys missing so far).
    Undecryptable,
    /// Well-formed, but does not fit the request's history (e.g. an answer
    /// to an unknown prompt, an illegal status change, from the wrong side).
    Rejected,
}

/// A prompt with its state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PromptDto {
    /// The prompt's event id: what answers refer to.
    pub event_id: String,
    /// Where it stands.
    pub state: PromptStateDto,
    /// The prompt that replaced it, when superseded.
    pub superseded_by: Option<String>,
    /// After this instant it can no longer be answered (RFC 3339).
    pub expires_at: Option<String>,
    /// What it asks or tells.
    pub content: PromptContentDto,
    /// The citizen's answer: sent, or still in the send queue.
    pub answer: Option<AnswerDto>,
}

/// Where a prompt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum PromptStateDto {
    /// Waiting for the citizen. (An answer may already be in the send
    /// queue: see [`PromptDto::answer`].)
    Open,
    /// Answered.
    Answered,
    /// Not answered before it expired.
    Expired,
    /// Replaced by a newer prompt.
    Superseded,
    /// Nothing to answer (a notice without acknowledgement).
    Informational,
    /// The request was closed before it was answered.
    Closed,
}

/// The content of a prompt. All text is plain text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum PromptContentDto {
    /// A question with a free-text answer.
    Inquiry {
        /// The question.
        question: String,
        /// The longest answer accepted, in characters.
        max_answer_length: u32,
        /// Whether the answer may carry attachments (not offered yet).
        attachments_allowed: bool,
    },
    /// Appointment slots to choose from.
    AppointmentOffer {
        /// The message.
        text: String,
        /// The slots, in the authority's order.
        slots: Vec<AppointmentSlotDto>,
        /// Whether "none of these" may be answered.
        none_of_the_above_allowed: bool,
    },
    /// Documents to upload.
    DocumentRequest {
        /// The message.
        text: String,
        /// The documents asked for.
        documents: Vec<RequestedDocumentDto>,
    },
    /// Options to choose from.
    Choice {
        /// The question.
        question: String,
        /// `true`: one or more options; `false`: exactly one.
        multiple: bool,
        /// The options.
        options: Vec<ChoiceOptionDto>,
    },
    /// A formal notice or decision.
    Notice {
        /// Notice or decision.
        notice_kind: NoticeKindDto,
        /// The title.
        title: String,
        /// The text.
        text: String,
        /// Attached files (open with `open_attachment`).
        attachments: Vec<AttachmentDto>,
        /// Whether the citizen is asked to acknowledge receipt.
        requires_acknowledgement: bool,
    },
}

/// One appointment slot. `localDate`/`localStart`/`localEnd` are the wall
/// clock at the place (in `timeZone`), ready to show as they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppointmentSlotDto {
    /// The slot's id (what `select_appointment` takes).
    pub id: String,
    /// Start, RFC 3339 with the place's offset.
    pub start: String,
    /// End, RFC 3339 with the place's offset.
    pub end: String,
    /// IANA time zone of the place, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// The local date at the place, `YYYY-MM-DD`.
    pub local_date: String,
    /// The local start time at the place, `HH:MM`.
    pub local_start: String,
    /// The local end time at the place, `HH:MM`.
    pub local_end: String,
    /// Where, e.g. "Fischereiamt Berlin".
    pub place: String,
    /// The postal address; may span lines.
    pub address: Option<String>,
}

/// One document a document request asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RequestedDocumentDto {
    /// Its id (what `prepare_documents`/`submit_documents` take).
    pub id: String,
    /// E.g. "Aktuelle Kopie des Personalausweises".
    pub title: String,
    /// Details, e.g. "Vorder- und Rückseite".
    pub description: Option<String>,
    /// Accepted MIME types; the subtype may be `*`.
    pub accepted_mimetypes: Vec<String>,
    /// Largest accepted file, in bytes.
    #[ts(type = "number")]
    pub max_size: u64,
    /// Whether it must be submitted.
    pub required: bool,
}

/// One option of a choice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChoiceOptionDto {
    /// Its id (what `select_choice` takes).
    pub id: String,
    /// E.g. "Abholung vor Ort".
    pub label: String,
}

/// Notice or decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum NoticeKindDto {
    /// A formal notice ("Mitteilung").
    Notice,
    /// A decision ("Bescheid").
    Decision,
}

/// A file attached to a notice, an answer or a submission. Never carries
/// the media's location or keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AttachmentDto {
    /// Its position in its event (what `open_attachment` takes).
    pub index: u32,
    /// The file name, e.g. "Fischereischein.pdf".
    pub name: String,
    /// The MIME type.
    pub mimetype: String,
    /// Size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
}

/// The citizen's answer to a prompt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AnswerDto {
    /// The answer's event id, once sent.
    pub event_id: Option<String>,
    /// The send queue's transaction id while not yet sent (what
    /// `retry_send`/`cancel_send` take).
    pub transaction_id: Option<String>,
    /// Where the answer stands.
    pub send_state: AnswerSendStateDto,
    /// What was answered.
    pub content: AnswerContentDto,
}

/// Where an answer stands in the send queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum AnswerSendStateDto {
    /// Queued and being sent.
    Sending,
    /// Queued; the homeserver cannot be reached. Sent automatically when
    /// the connection returns.
    WaitingForNetwork,
    /// Sending failed for good: retry or cancel.
    Failed,
    /// The homeserver has it.
    Sent,
}

/// What the citizen answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum AnswerContentDto {
    /// The answer to an inquiry.
    InquiryAnswer {
        /// The text.
        text: String,
        /// Attached files.
        attachments: Vec<AttachmentDto>,
    },
    /// The chosen appointment.
    AppointmentSelection {
        /// The slot; `null` for "none of these".
        slot_id: Option<String>,
    },
    /// The submitted documents.
    DocumentsSubmission {
        /// Per requested document, its files.
        documents: Vec<SubmittedDocumentDto>,
    },
    /// The chosen options.
    ChoiceSelection {
        /// The options' ids.
        option_ids: Vec<String>,
    },
    /// Receipt of the notice acknowledged.
    NoticeAcknowledgement {
        /// SHA-256 (hex) of each attachment as received.
        attachment_sha256: Vec<String>,
    },
}

/// Files submitted for one requested document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SubmittedDocumentDto {
    /// The requested document's id.
    pub document_id: String,
    /// The files.
    pub files: Vec<SubmittedFileDto>,
}

/// One submitted file and whether the authority confirmed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SubmittedFileDto {
    /// The file.
    pub file: AttachmentDto,
    /// Whether a documents-received receipt confirms it.
    pub confirmed: bool,
}

/// An answer handed to the send queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct QueuedAnswerDto {
    /// The send queue's transaction id.
    pub transaction_id: String,
}

/// Files for one requested document, as picked.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DocumentFilesDto {
    /// The requested document's id.
    pub document_id: String,
    /// Paths of the picked files (from `pick_documents` or drag and drop).
    pub paths: Vec<String>,
}

/// A picked file, checked and normalised for a requested document (a
/// preview: nothing is uploaded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "result",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum PreparedFileDto {
    /// The file can be submitted, as described.
    Ready {
        /// The path as given.
        path: String,
        /// The name it will be submitted under.
        file_name: String,
        /// The MIME type it will be submitted as.
        mimetype: String,
        /// Its size after normalisation, in bytes.
        #[ts(type = "number")]
        size: u64,
        /// SHA-256 (hex) of what will be submitted.
        sha256: String,
        /// A JPEG thumbnail as a `data:` URL (images only).
        thumbnail_data_url: Option<String>,
        /// What was done to the file.
        normalisation: NormalisationDto,
    },
    /// The file cannot be submitted for this document.
    Refused {
        /// The path as given.
        path: String,
        /// The file's name.
        file_name: String,
        /// Why.
        reason: DocumentRefusalDto,
    },
}

/// What normalisation did to a picked file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NormalisationDto {
    /// Size of the picked file, in bytes.
    #[ts(type = "number")]
    pub original_size: u64,
    /// Width × height as picked (images only).
    pub original_dimensions: Option<[u32; 2]>,
    /// Width × height as submitted (images only).
    pub final_dimensions: Option<[u32; 2]>,
    /// The camera's orientation was applied.
    pub rotated: bool,
    /// Metadata (location, camera, time) was removed.
    pub metadata_removed: bool,
    /// The image was re-encoded.
    pub reencoded: bool,
}

/// Why a picked file is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "code",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum DocumentRefusalDto {
    /// The file could not be read.
    Unreadable,
    /// The file is empty.
    Empty,
    /// Not a type the app can submit (JPEG, PNG, WebP, PDF).
    UnsupportedType {
        /// What the file is, e.g. "HEIC/HEIF".
        detected: String,
    },
    /// Damaged or truncated.
    Corrupt,
    /// An image too large to process safely.
    ImageTooLarge,
    /// Larger than the authority accepts for this document (after
    /// normalisation).
    TooLarge {
        /// The authority's limit, in bytes.
        #[ts(type = "number")]
        max_size: u64,
        /// The file's size, in bytes.
        #[ts(type = "number")]
        size: u64,
    },
    /// A type the authority does not accept for this document.
    TypeNotAccepted {
        /// The file's type (after normalisation).
        mimetype: String,
        /// What the authority accepts.
        accepted: Vec<String>,
    },
}

/// Payload of the `request-changed` event: the request's page should be
/// fetched again with `get_request` (new events, or an answer's send state
/// changed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RequestChanged {
    /// The request room.
    pub room_id: String,
}
