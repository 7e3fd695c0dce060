//! `de.amtsbote.g2c.v1.notice`: a formal notice or decision, optionally to
//! be acknowledged.

use ruma::events::macros::EventContent;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PromptMeta;
use crate::error::ValidationError;
use crate::fallback::{FallbackText, Language, TextFallback};
use crate::limits::{MAX_ATTACHMENTS, MAX_LABEL_CHARS, MAX_NOTICE_TEXT_CHARS};
use crate::media::FileRef;
use crate::validate::{self, TextKind, Validate, string_enum};

string_enum! {
    /// What kind of formal message this is.
    pub enum NoticeKind {
        /// An information or formal notice ("Mitteilung").
        Notice => "notice",
        /// A decision ("Bescheid").
        Decision => "decision",
    }
}

/// A formal notice or decision.
#[derive(Clone, Debug, Serialize, Deserialize, EventContent, JsonSchema)]
#[ruma_event(type = "de.amtsbote.g2c.v1.notice", kind = MessageLike)]
pub struct NoticeEventContent {
    /// Plain-text fallback.
    #[serde(flatten)]
    pub fallback: TextFallback,
    /// Expiry and supersession.
    #[serde(flatten)]
    pub meta: PromptMeta,
    /// `notice` or `decision`.
    pub notice_kind: NoticeKind,
    /// Title, e.g. "Bescheid über die Erteilung eines Fischereischeins".
    #[schemars(length(min = 1, max = crate::limits::MAX_LABEL_CHARS))]
    pub title: String,
    /// The text.
    #[schemars(length(min = 1, max = crate::limits::MAX_NOTICE_TEXT_CHARS))]
    pub text: String,
    /// Attached files (e.g. the signed PDF), 0 to [`MAX_ATTACHMENTS`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = crate::limits::MAX_ATTACHMENTS))]
    pub attachments: Vec<FileRef>,
    /// Whether the citizen is asked to acknowledge receipt.
    #[serde(default)]
    pub requires_acknowledgement: bool,
}

impl NoticeEventContent {
    /// A notice with a generated fallback in `lang`.
    pub fn new(
        notice_kind: NoticeKind,
        title: impl Into<String>,
        text: impl Into<String>,
        attachments: Vec<FileRef>,
        requires_acknowledgement: bool,
        lang: Language,
    ) -> Self {
        let mut content = Self {
            fallback: TextFallback::default(),
            meta: PromptMeta::default(),
            notice_kind,
            title: title.into(),
            text: text.into(),
            attachments,
            requires_acknowledgement,
        };
        content.fill_fallback(lang);
        content
    }
}

impl Validate for NoticeEventContent {
    fn validate(&self) -> Result<(), ValidationError> {
        self.fallback.check()?;
        self.meta.check()?;
        self.notice_kind.check_known("notice_kind")?;
        validate::text("title", &self.title, MAX_LABEL_CHARS, TextKind::Line)?;
        validate::text(
            "text",
            &self.text,
            MAX_NOTICE_TEXT_CHARS,
            TextKind::Multiline,
        )?;
        validate::count("attachments", self.attachments.len(), 0, MAX_ATTACHMENTS)?;
        for (i, file) in self.attachments.iter().enumerate() {
            file.check(&format!("attachments[{i}]"))?;
        }
        Ok(())
    }
}

impl FallbackText for NoticeEventContent {
    fn fallback_text(&self, lang: Language) -> String {
        let kind = match self.notice_kind {
            NoticeKind::Decision => lang.pick("Bescheid", "Decision"),
            _ => lang.pick("Mitteilung", "Notice"),
        };
        let mut out = format!("{kind}: {}\n\n{}", self.title, self.text);
        if !self.attachments.is_empty() {
            out.push_str(lang.pick("\n\nAnlagen:", "\n\nAttachments:"));
            for file in &self.attachments {
                out.push_str(&format!("\n• {} (SHA-256 {})", file.name, file.sha256));
            }
        }
        if self.requires_acknowledgement {
            out.push_str(lang.pick(
                "\n\nBitte bestätigen Sie den Empfang in der Amtsbote-App.",
                "\n\nPlease acknowledge receipt in the Amtsbote app.",
            ));
        }
        out
    }

    fn fallback_mut(&mut self) -> &mut TextFallback {
        &mut self.fallback
    }
}
