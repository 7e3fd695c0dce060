//! `de.amtsbote.g2c.v1.document_request`: documents the citizen must upload.

use ruma::events::macros::EventContent;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PromptMeta;
use crate::error::ValidationError;
use crate::fallback::{FallbackText, Language, TextFallback};
use crate::ids::LocalId;
use crate::limits::{MAX_LABEL_CHARS, MAX_MIME_TYPES, MAX_REQUESTED_DOCUMENTS, MAX_TEXT_CHARS};
use crate::media::{MimeType, check_size};
use crate::validate::{self, TextKind, Validate};

/// One requested document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RequestedDocument {
    /// Unique within the request.
    pub id: LocalId,
    /// E.g. "Copy of your ID card".
    #[schemars(length(min = 1, max = crate::limits::MAX_LABEL_CHARS))]
    pub title: String,
    /// Details, e.g. "front and back, readable".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::MAX_TEXT_CHARS))]
    pub description: Option<String>,
    /// Accepted MIME types; the subtype may be `*` (`image/*`).
    #[schemars(length(min = 1, max = crate::limits::MAX_MIME_TYPES))]
    pub accepted_mimetypes: Vec<MimeType>,
    /// Maximum size of one file in bytes, 1 to [`MAX_FILE_BYTES`](crate::limits::MAX_FILE_BYTES).
    #[schemars(range(min = 1, max = crate::limits::MAX_FILE_BYTES))]
    pub max_size: u64,
    /// Whether the document must be submitted (`false`: optional).
    #[serde(default = "default_true")]
    pub required: bool,
}

fn default_true() -> bool {
    true
}

impl RequestedDocument {
    fn check(&self, field: &str) -> Result<(), ValidationError> {
        self.id.check(&format!("{field}.id"))?;
        validate::text(
            &format!("{field}.title"),
            &self.title,
            MAX_LABEL_CHARS,
            TextKind::Line,
        )?;
        validate::optional_text(
            &format!("{field}.description"),
            self.description.as_deref(),
            MAX_TEXT_CHARS,
            TextKind::Multiline,
        )?;
        let types = format!("{field}.accepted_mimetypes");
        validate::count(&types, self.accepted_mimetypes.len(), 1, MAX_MIME_TYPES)?;
        for (i, mime) in self.accepted_mimetypes.iter().enumerate() {
            mime.check(&format!("{types}[{i}]"), true)?;
        }
        check_size(&format!("{field}.max_size"), self.max_size)
    }

    /// Whether a file of this MIME type is accepted.
    pub fn accepts(&self, mime: &MimeType) -> bool {
        self.accepted_mimetypes.iter().any(|m| m.matches(mime))
    }
}

/// Documents requested by the authority.
#[derive(Clone, Debug, Serialize, Deserialize, EventContent, JsonSchema)]
#[ruma_event(type = "de.amtsbote.g2c.v1.document_request", kind = MessageLike)]
pub struct DocumentRequestEventContent {
    /// Plain-text fallback.
    #[serde(flatten)]
    pub fallback: TextFallback,
    /// Expiry and supersession.
    #[serde(flatten)]
    pub meta: PromptMeta,
    /// The message.
    #[schemars(length(min = 1, max = crate::limits::MAX_TEXT_CHARS))]
    pub text: String,
    /// The documents, 1 to [`MAX_REQUESTED_DOCUMENTS`], unique ids.
    #[schemars(length(min = 1, max = crate::limits::MAX_REQUESTED_DOCUMENTS))]
    pub documents: Vec<RequestedDocument>,
}

impl DocumentRequestEventContent {
    /// A request with a generated fallback in `lang`.
    pub fn new(text: impl Into<String>, documents: Vec<RequestedDocument>, lang: Language) -> Self {
        let mut content = Self {
            fallback: TextFallback::default(),
            meta: PromptMeta::default(),
            text: text.into(),
            documents,
        };
        content.fill_fallback(lang);
        content
    }

    /// The requested document with this id.
    pub fn document(&self, id: &LocalId) -> Option<&RequestedDocument> {
        self.documents.iter().find(|d| &d.id == id)
    }
}

impl Validate for DocumentRequestEventContent {
    fn validate(&self) -> Result<(), ValidationError> {
        self.fallback.check()?;
        self.meta.check()?;
        validate::text("text", &self.text, MAX_TEXT_CHARS, TextKind::Multiline)?;
        validate::count(
            "documents",
            self.documents.len(),
            1,
            MAX_REQUESTED_DOCUMENTS,
        )?;
        for (i, doc) in self.documents.iter().enumerate() {
            doc.check(&format!("documents[{i}]"))?;
        }
        validate::unique("documents", self.documents.iter().map(|d| d.id.as_str()))
    }
}

impl FallbackText for DocumentRequestEventContent {
    fn fallback_text(&self, lang: Language) -> String {
        let mut out = format!(
            "{}\n\n{}\n",
            lang.pick(
                "Die Behörde bittet um Unterlagen:",
                "The authority requests documents:"
            ),
            self.text
        );
        for doc in &self.documents {
            let kind = if doc.required {
                lang.pick("erforderlich", "required")
            } else {
                lang.pick("optional", "optional")
            };
            out.push_str(&format!("\n• {} ({kind})", doc.title));
            if let Some(description) = &doc.description {
                out.push_str(&format!(": {description}"));
            }
        }
        out.push_str(lang.pick(
            "\n\nBitte laden Sie die Unterlagen in der Amtsbote-App hoch.",
            "\n\nPlease upload the documents in the Amtsbote app.",
        ));
        out
    }

    fn fallback_mut(&mut self) -> &mut TextFallback {
        &mut self.fallback
    }
}
