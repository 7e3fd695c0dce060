//! The single entry point: raw JSON of a given event type to a validated,
//! typed [`G2cEvent`].
//!
//! [`parse_event`] first applies the hostile-input limits on the raw text
//! (size, nesting depth), then deserializes (unknown extra fields are
//! ignored for forward compatibility), then validates. It never panics.

use serde::de::DeserializeOwned;

use crate::error::ParseError;
use crate::limits::{MAX_EVENT_BYTES, MAX_JSON_DEPTH};
use crate::prompt::Prompt;
use crate::receipt::DocumentsReceivedEventContent;
use crate::request::{RequestEventContent, StatusEventContent};
use crate::response::Response;
use crate::validate::Validate;

macro_rules! event_types {
    ($( $(#[$meta:meta])* $variant:ident => $suffix:literal, $const:ident, )+) => {
        $(
            $(#[$meta])*
            pub const $const: &str = concat!("de.amtsbote.g2c.v1.", $suffix);
        )+

        /// Every G2C event type.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum G2cEventType {
            $( $(#[$meta])* $variant, )+
        }

        impl G2cEventType {
            /// All event types, in protocol order.
            pub const ALL: &'static [G2cEventType] = &[$(G2cEventType::$variant),+];

            /// The Matrix event type string.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( G2cEventType::$variant => $const, )+
                }
            }

            /// The type without the namespace, e.g. `inquiry`.
            pub fn short_name(self) -> &'static str {
                match self {
                    $( G2cEventType::$variant => $suffix, )+
                }
            }

            /// Looks up a Matrix event type string.
            pub fn from_event_type(event_type: &str) -> Option<Self> {
                match event_type {
                    $( $const => Some(G2cEventType::$variant), )+
                    _ => None,
                }
            }
        }
    };
}

event_types! {
    /// State: request metadata.
    Request => "request", REQUEST,
    /// State: processing status.
    Status => "status", STATUS,
    /// Prompt: a question.
    Inquiry => "inquiry", INQUIRY,
    /// Prompt: appointment slots.
    AppointmentOffer => "appointment_offer", APPOINTMENT_OFFER,
    /// Prompt: documents to upload.
    DocumentRequest => "document_request", DOCUMENT_REQUEST,
    /// Prompt: options to choose from.
    Choice => "choice", CHOICE,
    /// Prompt: a formal notice or decision.
    Notice => "notice", NOTICE,
    /// Response: answer to an inquiry.
    InquiryAnswer => "inquiry_answer", INQUIRY_ANSWER,
    /// Response: chosen appointment.
    AppointmentSelection => "appointment_selection", APPOINTMENT_SELECTION,
    /// Response: submitted documents.
    DocumentsSubmission => "documents_submission", DOCUMENTS_SUBMISSION,
    /// Response: chosen options.
    ChoiceSelection => "choice_selection", CHOICE_SELECTION,
    /// Response: acknowledgement of a notice.
    NoticeAcknowledgement => "notice_acknowledgement", NOTICE_ACKNOWLEDGEMENT,
    /// Receipt: documents received.
    DocumentsReceived => "documents_received", DOCUMENTS_RECEIVED,
}

impl std::fmt::Display for G2cEventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated G2C event content.
#[derive(Clone, Debug)]
pub enum G2cEvent {
    /// Request metadata (state).
    Request(RequestEventContent),
    /// Processing status (state).
    Status(StatusEventContent),
    /// A prompt from the authority.
    Prompt(Prompt),
    /// A response from the citizen.
    Response(Response),
    /// A receipt from the authority.
    DocumentsReceived(DocumentsReceivedEventContent),
}

impl G2cEvent {
    /// The event type of this content.
    pub fn event_type(&self) -> G2cEventType {
        use crate::prompt::PromptKind as K;
        match self {
            G2cEvent::Request(_) => G2cEventType::Request,
            G2cEvent::Status(_) => G2cEventType::Status,
            G2cEvent::Prompt(p) => match p.kind() {
                K::Inquiry => G2cEventType::Inquiry,
                K::AppointmentOffer => G2cEventType::AppointmentOffer,
                K::DocumentRequest => G2cEventType::DocumentRequest,
                K::Choice => G2cEventType::Choice,
                K::Notice => G2cEventType::Notice,
            },
            G2cEvent::Response(r) => match r {
                Response::InquiryAnswer(_) => G2cEventType::InquiryAnswer,
                Response::AppointmentSelection(_) => G2cEventType::AppointmentSelection,
                Response::DocumentsSubmission(_) => G2cEventType::DocumentsSubmission,
                Response::ChoiceSelection(_) => G2cEventType::ChoiceSelection,
                Response::NoticeAcknowledgement(_) => G2cEventType::NoticeAcknowledgement,
            },
            G2cEvent::DocumentsReceived(_) => G2cEventType::DocumentsReceived,
        }
    }
}

/// Parses and validates the raw JSON `content` of an event of type
/// `event_type` (e.g. from `Raw::json().get()`).
pub fn parse_event(event_type: &str, content: &str) -> Result<G2cEvent, ParseError> {
    let ty = G2cEventType::from_event_type(event_type)
        .ok_or_else(|| ParseError::UnknownEventType(crate::error::snippet(event_type)))?;
    check_raw_limits(content)?;
    Ok(match ty {
        G2cEventType::Request => G2cEvent::Request(typed(ty, content)?),
        G2cEventType::Status => G2cEvent::Status(typed(ty, content)?),
        G2cEventType::Inquiry => G2cEvent::Prompt(Prompt::Inquiry(typed(ty, content)?)),
        G2cEventType::AppointmentOffer => {
            G2cEvent::Prompt(Prompt::AppointmentOffer(typed(ty, content)?))
        }
        G2cEventType::DocumentRequest => {
            G2cEvent::Prompt(Prompt::DocumentRequest(typed(ty, content)?))
        }
        G2cEventType::Choice => G2cEvent::Prompt(Prompt::Choice(typed(ty, content)?)),
        G2cEventType::Notice => G2cEvent::Prompt(Prompt::Notice(typed(ty, content)?)),
        G2cEventType::InquiryAnswer => {
            G2cEvent::Response(Response::InquiryAnswer(typed(ty, content)?))
        }
        G2cEventType::AppointmentSelection => {
            G2cEvent::Response(Response::AppointmentSelection(typed(ty, content)?))
        }
        G2cEventType::DocumentsSubmission => {
            G2cEvent::Response(Response::DocumentsSubmission(typed(ty, content)?))
        }
        G2cEventType::ChoiceSelection => {
            G2cEvent::Response(Response::ChoiceSelection(typed(ty, content)?))
        }
        G2cEventType::NoticeAcknowledgement => {
            G2cEvent::Response(Response::NoticeAcknowledgement(typed(ty, content)?))
        }
        G2cEventType::DocumentsReceived => G2cEvent::DocumentsReceived(typed(ty, content)?),
    })
}

/// Deserializes and validates one content type.
fn typed<T: DeserializeOwned + Validate>(ty: G2cEventType, content: &str) -> Result<T, ParseError> {
    let value: T = serde_json::from_str(content).map_err(|e| ParseError::Malformed {
        event_type: ty.as_str().to_owned(),
        message: crate::error::snippet_long(&e.to_string()),
    })?;
    value.validate().map_err(|source| ParseError::Invalid {
        event_type: ty.as_str().to_owned(),
        source,
    })?;
    Ok(value)
}

/// Rejects oversized or deeply nested input before any parsing.
fn check_raw_limits(content: &str) -> Result<(), ParseError> {
    if content.len() > MAX_EVENT_BYTES {
        return Err(ParseError::TooLarge {
            max: MAX_EVENT_BYTES,
            actual: content.len(),
        });
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for b in content.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(ParseError::TooDeep {
                        max: MAX_JSON_DEPTH,
                    });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}
