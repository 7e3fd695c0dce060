//! `de.amtsbote.g2c.v1.choice`: a binding choice among options.
//!
//! Looks like an MSC3381 poll, but is private to the citizen and binding:
//! one answer, referenced to the prompt, processed by the authority.

use ruma::events::macros::EventContent;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PromptMeta;
use crate::error::ValidationError;
use crate::fallback::{FallbackText, Language, TextFallback};
use crate::ids::LocalId;
use crate::limits::{MAX_LABEL_CHARS, MAX_OPTIONS, MAX_TEXT_CHARS};
use crate::validate::{self, TextKind, Validate, string_enum};

string_enum! {
    /// How many options may be selected.
    pub enum ChoiceMode {
        /// Exactly one.
        Single => "single",
        /// One or more.
        Multiple => "multiple",
    }
}

/// One option.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChoiceOption {
    /// Unique within the choice.
    pub id: LocalId,
    /// E.g. "Local pickup".
    #[schemars(length(min = 1, max = crate::limits::MAX_LABEL_CHARS))]
    pub label: String,
}

/// A choice among options.
#[derive(Clone, Debug, Serialize, Deserialize, EventContent, JsonSchema)]
#[ruma_event(type = "de.amtsbote.g2c.v1.choice", kind = MessageLike)]
pub struct ChoiceEventContent {
    /// Plain-text fallback.
    #[serde(flatten)]
    pub fallback: TextFallback,
    /// Expiry and supersession.
    #[serde(flatten)]
    pub meta: PromptMeta,
    /// The question.
    #[schemars(length(min = 1, max = crate::limits::MAX_TEXT_CHARS))]
    pub question: String,
    /// `single` or `multiple`.
    pub mode: ChoiceMode,
    /// The options, 2 to [`MAX_OPTIONS`], unique ids.
    #[schemars(length(min = 2, max = crate::limits::MAX_OPTIONS))]
    pub options: Vec<ChoiceOption>,
}

impl ChoiceEventContent {
    /// A choice with a generated fallback in `lang`.
    pub fn new(
        question: impl Into<String>,
        mode: ChoiceMode,
        options: Vec<ChoiceOption>,
        lang: Language,
    ) -> Self {
        let mut content = Self {
            fallback: TextFallback::default(),
            meta: PromptMeta::default(),
            question: question.into(),
            mode,
            options,
        };
        content.fill_fallback(lang);
        content
    }

    /// The option with this id.
    pub fn option(&self, id: &LocalId) -> Option<&ChoiceOption> {
        self.options.iter().find(|o| &o.id == id)
    }
}

impl Validate for ChoiceEventContent {
    fn validate(&self) -> Result<(), ValidationError> {
        self.fallback.check()?;
        self.meta.check()?;
        validate::text(
            "question",
            &self.question,
            MAX_TEXT_CHARS,
            TextKind::Multiline,
        )?;
        self.mode.check_known("mode")?;
        validate::count("options", self.options.len(), 2, MAX_OPTIONS)?;
        for (i, option) in self.options.iter().enumerate() {
            option.id.check(&format!("options[{i}].id"))?;
            validate::text(
                &format!("options[{i}].label"),
                &option.label,
                MAX_LABEL_CHARS,
                TextKind::Line,
            )?;
        }
        validate::unique("options", self.options.iter().map(|o| o.id.as_str()))
    }
}

impl FallbackText for ChoiceEventContent {
    fn fallback_text(&self, lang: Language) -> String {
        let hint = match self.mode {
            ChoiceMode::Multiple => lang.pick("(Mehrfachauswahl)", "(choose one or more)"),
            _ => lang.pick("(eine Auswahl)", "(choose one)"),
        };
        let mut out = format!(
            "{}\n\n{} {hint}\n",
            lang.pick("Auswahl der Behörde:", "Choice from the authority:"),
            self.question
        );
        for (i, option) in self.options.iter().enumerate() {
            out.push_str(&format!("\n{}. {}", i + 1, option.label));
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
