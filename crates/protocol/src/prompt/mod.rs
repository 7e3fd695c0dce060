//! Prompts: message-like events from the authority that ask the citizen for
//! something (an answer, an appointment, documents, a choice) or tell them
//! something formally (a notice or decision).

use ruma::OwnedEventId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::datetime::Rfc3339;
use crate::error::ValidationError;

pub mod appointment;
pub mod choice;
pub mod documents;
pub mod inquiry;
pub mod notice;

pub use appointment::{AppointmentOfferEventContent, AppointmentSlot};
pub use choice::{ChoiceEventContent, ChoiceMode, ChoiceOption};
pub use documents::{DocumentRequestEventContent, RequestedDocument};
pub use inquiry::InquiryEventContent;
pub use notice::{NoticeEventContent, NoticeKind};

/// Fields every prompt may carry, flattened into its content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PromptMeta {
    /// After this instant the prompt can no longer be answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Rfc3339>,
    /// An earlier prompt of the same kind that this one supersedes (e.g. a
    /// corrected appointment offer). The earlier one can no longer be answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::ids::event_id_schema")]
    pub replaces: Option<OwnedEventId>,
}

impl PromptMeta {
    /// Checks `expires_at`.
    pub fn check(&self) -> Result<(), ValidationError> {
        if let Some(expires_at) = &self.expires_at {
            expires_at.check("expires_at")?;
        }
        Ok(())
    }

    /// The expiry instant, if set and well-formed.
    pub fn expires(&self) -> Option<jiff::Timestamp> {
        self.expires_at.as_ref().and_then(Rfc3339::parse)
    }
}

/// The kind of a prompt, used to match responses and supersession.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PromptKind {
    /// [`InquiryEventContent`].
    Inquiry,
    /// [`AppointmentOfferEventContent`].
    AppointmentOffer,
    /// [`DocumentRequestEventContent`].
    DocumentRequest,
    /// [`ChoiceEventContent`].
    Choice,
    /// [`NoticeEventContent`].
    Notice,
}

/// Any prompt.
#[derive(Clone, Debug)]
pub enum Prompt {
    /// A question with a free-text answer.
    Inquiry(InquiryEventContent),
    /// Appointment slots to choose from.
    AppointmentOffer(AppointmentOfferEventContent),
    /// Documents to upload.
    DocumentRequest(DocumentRequestEventContent),
    /// Options to choose from.
    Choice(ChoiceEventContent),
    /// A formal notice or decision.
    Notice(NoticeEventContent),
}

impl Prompt {
    /// The kind of prompt.
    pub fn kind(&self) -> PromptKind {
        match self {
            Prompt::Inquiry(_) => PromptKind::Inquiry,
            Prompt::AppointmentOffer(_) => PromptKind::AppointmentOffer,
            Prompt::DocumentRequest(_) => PromptKind::DocumentRequest,
            Prompt::Choice(_) => PromptKind::Choice,
            Prompt::Notice(_) => PromptKind::Notice,
        }
    }

    /// The common prompt fields.
    pub fn meta(&self) -> &PromptMeta {
        match self {
            Prompt::Inquiry(c) => &c.meta,
            Prompt::AppointmentOffer(c) => &c.meta,
            Prompt::DocumentRequest(c) => &c.meta,
            Prompt::Choice(c) => &c.meta,
            Prompt::Notice(c) => &c.meta,
        }
    }

    /// Whether the citizen is expected to respond at all (a notice without
    /// `requires_acknowledgement` is informational).
    pub fn expects_response(&self) -> bool {
        match self {
            Prompt::Notice(n) => n.requires_acknowledgement,
            _ => true,
        }
    }
}
