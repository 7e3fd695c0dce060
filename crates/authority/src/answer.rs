//! What the authority receives: a citizen's answer, or a rejected event
//! with the reason, as serde JSON (one JSON line each in the CLI).

use g2c_protocol::response::{
    AppointmentSelectionEventContent, ChoiceSelectionEventContent, DocumentsSubmissionEventContent,
    InquiryAnswerEventContent, NoticeAcknowledgementEventContent, Response,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId};
use serde::{Deserialize, Serialize};

/// The typed content of an accepted answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", content = "content", rename_all = "snake_case")]
pub enum AnswerContent {
    /// Answer to an inquiry.
    InquiryAnswer(InquiryAnswerEventContent),
    /// The chosen appointment slot (or none of the above).
    AppointmentSelection(AppointmentSelectionEventContent),
    /// Submitted documents.
    DocumentsSubmission(DocumentsSubmissionEventContent),
    /// The chosen options.
    ChoiceSelection(ChoiceSelectionEventContent),
    /// Acknowledgement of a notice, with the attachment hashes received.
    NoticeAcknowledgement(NoticeAcknowledgementEventContent),
}

impl From<Response> for AnswerContent {
    fn from(response: Response) -> Self {
        match response {
            Response::InquiryAnswer(c) => Self::InquiryAnswer(c),
            Response::AppointmentSelection(c) => Self::AppointmentSelection(c),
            Response::DocumentsSubmission(c) => Self::DocumentsSubmission(c),
            Response::ChoiceSelection(c) => Self::ChoiceSelection(c),
            Response::NoticeAcknowledgement(c) => Self::NoticeAcknowledgement(c),
        }
    }
}

/// A citizen's response, decrypted, parsed, validated and checked against
/// the prompt it references.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Answer {
    /// The request room.
    pub room_id: OwnedRoomId,
    /// The response event.
    pub event_id: OwnedEventId,
    /// Who sent it.
    pub sender: OwnedUserId,
    /// The server's timestamp, milliseconds since the Unix epoch.
    pub origin_server_ts: u64,
    /// The prompt answered.
    pub prompt_event_id: OwnedEventId,
    /// The scenario's name for that prompt, when a scenario sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_label: Option<String>,
    /// Whether the event arrived end-to-end encrypted.
    pub encrypted: bool,
    /// The answer.
    #[serde(flatten)]
    pub content: AnswerContent,
}

/// Why an event from the room was not accepted as an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionCode {
    /// A G2C event type of an unknown version or kind.
    Unsupported,
    /// Not parseable, or breaks a validation rule on its own.
    Invalid,
    /// The referenced event is no prompt of this request.
    UnknownPrompt,
    /// The referenced prompt belongs to another request room.
    PromptInOtherRoom,
    /// The response does not fit its prompt (unknown slot or option id,
    /// wrong MIME type, wrong hashes, wrong kind).
    DoesNotFit,
    /// The prompt was answered already; only the first answer counts.
    AlreadyAnswered,
    /// The prompt had expired.
    Expired,
    /// The prompt was superseded by a newer one.
    Superseded,
    /// The request is closed.
    RequestClosed,
    /// Only the authority may send this kind of event.
    NotFromAuthority,
    /// The event was sent unencrypted in an encrypted room.
    NotEncrypted,
    /// Another rule of the request state machine.
    Other,
}

/// An event that was not accepted, with the reason.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rejection {
    /// The request room.
    pub room_id: OwnedRoomId,
    /// The rejected event.
    pub event_id: OwnedEventId,
    /// Who sent it.
    pub sender: OwnedUserId,
    /// Its (decrypted) event type.
    pub event_type: String,
    /// The prompt it claims to answer, when that could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_event_id: Option<OwnedEventId>,
    /// Machine-readable reason.
    pub code: RejectionCode,
    /// Human-readable reason.
    pub reason: String,
}

/// One item of the answer stream.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Incoming {
    /// An accepted answer.
    Answer(Answer),
    /// A rejected event.
    Rejected(Rejection),
}

impl Incoming {
    /// The item as one line of JSON (no newline inside).
    pub fn to_json_line(&self) -> String {
        // Serializing these types cannot fail: plain structs and strings.
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!(r#"{{"outcome":"error","reason":{:?}}}"#, e.to_string()))
    }

    /// The room the item belongs to.
    pub fn room_id(&self) -> &OwnedRoomId {
        match self {
            Incoming::Answer(a) => &a.room_id,
            Incoming::Rejected(r) => &r.room_id,
        }
    }
}
