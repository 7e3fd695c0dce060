//! `de.amtsbote.g2c.v1.inquiry`: a question with a free-text answer.

use ruma::events::macros::EventContent;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PromptMeta;
use crate::error::ValidationError;
use crate::fallback::{FallbackText, Language, TextFallback};
use crate::limits::{MAX_ANSWER_CHARS, MAX_TEXT_CHARS};
use crate::validate::{self, TextKind, Validate};

/// A question from the authority, answered with free text.
#[derive(Clone, Debug, Serialize, Deserialize, EventContent, JsonSchema)]
#[ruma_event(type = "de.amtsbote.g2c.v1.inquiry", kind = MessageLike)]
pub struct InquiryEventContent {
    /// Plain-text fallback.
    #[serde(flatten)]
    pub fallback: TextFallback,
    /// Expiry and supersession.
    #[serde(flatten)]
    pub meta: PromptMeta,
    /// The question.
    #[schemars(length(min = 1, max = crate::limits::MAX_TEXT_CHARS))]
    pub question: String,
    /// Whether the answer may carry attachments.
    #[serde(default)]
    pub attachments_allowed: bool,
    /// Maximum answer length in characters (at most
    /// [`MAX_ANSWER_CHARS`], which also applies when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = crate::limits::MAX_ANSWER_CHARS))]
    pub max_answer_length: Option<u32>,
}

impl InquiryEventContent {
    /// An inquiry with a generated fallback in `lang`.
    pub fn new(question: impl Into<String>, lang: Language) -> Self {
        let mut content = Self {
            fallback: TextFallback::default(),
            meta: PromptMeta::default(),
            question: question.into(),
            attachments_allowed: false,
            max_answer_length: None,
        };
        content.fill_fallback(lang);
        content
    }

    /// The effective answer length limit.
    pub fn answer_limit(&self) -> usize {
        self.max_answer_length
            .map_or(MAX_ANSWER_CHARS, |n| (n as usize).min(MAX_ANSWER_CHARS))
    }
}

impl Validate for InquiryEventContent {
    fn validate(&self) -> Result<(), ValidationError> {
        self.fallback.check()?;
        self.meta.check()?;
        validate::text(
            "question",
            &self.question,
            MAX_TEXT_CHARS,
            TextKind::Multiline,
        )?;
        if let Some(max) = self.max_answer_length
            && (max == 0 || max as usize > MAX_ANSWER_CHARS)
        {
            return Err(ValidationError::Inconsistent {
                field: "max_answer_length".to_owned(),
                reason: "must be between 1 and MAX_ANSWER_CHARS (10000)",
            });
        }
        Ok(())
    }
}

impl FallbackText for InquiryEventContent {
    fn fallback_text(&self, lang: Language) -> String {
        let mut out = format!(
            "{}\n\n{}",
            lang.pick("Rückfrage der Behörde:", "Question from the authority:"),
            self.question
        );
        if let Some(max) = self.max_answer_length {
            out.push_str(&match lang {
                Language::De => format!("\n(Antwort: höchstens {max} Zeichen)"),
                Language::En => format!("\n(Answer: at most {max} characters)"),
            });
        }
        out.push_str(lang.pick(
            "\n\nBitte antworten Sie in der Amtsbote-App.",
            "\n\nPlease answer in the Amtsbote app.",
        ));
        out
    }

    fn fallback_mut(&mut self) -> &mut TextFallback {
        &mut self.fallback
    }
}
