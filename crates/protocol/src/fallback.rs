//! Plain-text fallbacks (MSC1767 style) so that any Matrix client shows
//! something readable.
//!
//! Every message-like G2C content carries `body` (what clients without G2C
//! support render, as for `m.notice`) and, optionally, the extensible-events
//! `m.text` block with the same text. Both are generated from the
//! structured fields by [`FallbackText::fill_fallback`], in German by default.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::datetime::{Rfc3339, TimeZoneName};
use crate::error::ValidationError;
use crate::limits::{MAX_BODY_CHARS, MAX_MIME_CHARS, MAX_TEXT_REPRESENTATIONS};
use crate::validate::{self, TextKind};

/// The language of generated fallback text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Language {
    /// German, the default.
    #[default]
    De,
    /// English.
    En,
}

impl Language {
    /// Picks the German or the English phrase.
    pub(crate) fn pick(self, de: &'static str, en: &'static str) -> &'static str {
        match self {
            Language::De => de,
            Language::En => en,
        }
    }
}

/// One representation in an MSC1767 `m.text` block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TextRepresentation {
    /// The text.
    pub body: String,
    /// `text/plain` when absent; `text/html` for a formatted variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mimetype: Option<String>,
}

/// The fallback fields, flattened into every message-like content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TextFallback {
    /// Plain-text rendering of the structured content.
    #[schemars(length(min = 1, max = crate::limits::MAX_BODY_CHARS))]
    pub body: String,
    /// MSC1767 extensible text block; plain text only when generated here.
    #[serde(rename = "m.text", default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = crate::limits::MAX_TEXT_REPRESENTATIONS))]
    pub text: Vec<TextRepresentation>,
}

impl TextFallback {
    /// A fallback with `body` and an `m.text` block holding the same plain text.
    pub fn plain(text: String) -> Self {
        Self {
            text: vec![TextRepresentation {
                body: text.clone(),
                mimetype: None,
            }],
            body: text,
        }
    }

    /// Checks lengths and counts.
    pub fn check(&self) -> Result<(), ValidationError> {
        validate::text("body", &self.body, MAX_BODY_CHARS, TextKind::Multiline)?;
        validate::count("m.text", self.text.len(), 0, MAX_TEXT_REPRESENTATIONS)?;
        for (i, repr) in self.text.iter().enumerate() {
            validate::text(
                &format!("m.text[{i}].body"),
                &repr.body,
                MAX_BODY_CHARS,
                TextKind::Multiline,
            )?;
            validate::optional_text(
                &format!("m.text[{i}].mimetype"),
                repr.mimetype.as_deref(),
                MAX_MIME_CHARS,
                TextKind::Line,
            )?;
        }
        Ok(())
    }
}

/// A content with a generated plain-text fallback.
pub trait FallbackText {
    /// Renders the structured content as plain text in `lang`.
    fn fallback_text(&self, lang: Language) -> String;

    /// The content's fallback fields.
    fn fallback_mut(&mut self) -> &mut TextFallback;

    /// Regenerates `body` and `m.text` from the structured fields.
    fn fill_fallback(&mut self, lang: Language) {
        let text = self.fallback_text(lang);
        *self.fallback_mut() = TextFallback::plain(text);
    }
}

/// Formats a timestamp for humans, in the given zone if it is known.
pub(crate) fn format_time(time: &Rfc3339, tz: Option<&TimeZoneName>, lang: Language) -> String {
    let Some(instant) = time.parse() else {
        return time.as_str().to_owned();
    };
    let zone = tz
        .and_then(|name| jiff::tz::TimeZone::get(name.as_str()).ok())
        .or_else(|| {
            time.offset_seconds()
                .and_then(|s| jiff::tz::Offset::from_seconds(s).ok())
                .map(jiff::tz::Offset::to_time_zone)
        })
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let zoned = instant.to_zoned_datetime(zone);
    let pattern = lang.pick("%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M");
    zoned.strftime(pattern).to_string()
}

/// Formats the time of day only (for the end of a slot).
pub(crate) fn format_clock(time: &Rfc3339, tz: Option<&TimeZoneName>) -> String {
    let full = format_time(time, tz, Language::En);
    full.rsplit(' ').next().unwrap_or(&full).to_owned()
}
