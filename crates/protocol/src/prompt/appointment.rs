//! `de.amtsbote.g2c.v1.appointment_offer`: appointment slots to choose from.

use ruma::events::macros::EventContent;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PromptMeta;
use crate::datetime::{Rfc3339, TimeZoneName, check_offset_matches};
use crate::error::ValidationError;
use crate::fallback::{FallbackText, Language, TextFallback, format_clock, format_time};
use crate::ids::LocalId;
use crate::limits::{MAX_LABEL_CHARS, MAX_SLOTS, MAX_TEXT_CHARS};
use crate::validate::{self, TextKind, Validate};

/// One appointment slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AppointmentSlot {
    /// Unique within the offer.
    pub id: LocalId,
    /// Start, RFC 3339 with the offset valid in `time_zone` at that instant.
    pub start: Rfc3339,
    /// End, after `start`, same rules.
    pub end: Rfc3339,
    /// IANA time zone name of the place, e.g. `Europe/Berlin`.
    pub time_zone: TimeZoneName,
    /// Where: office and room, e.g. `Fischereiamt Berlin, Raum 2.14`.
    #[schemars(length(min = 1, max = crate::limits::MAX_LABEL_CHARS))]
    pub place: String,
    /// Optional postal address, may span lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::MAX_LABEL_CHARS))]
    pub address: Option<String>,
}

impl AppointmentSlot {
    /// Checks one slot; `field` is its path.
    fn check(&self, field: &str) -> Result<(), ValidationError> {
        self.id.check(&format!("{field}.id"))?;
        let tz = self.time_zone.check(&format!("{field}.time_zone"))?;
        let start_field = format!("{field}.start");
        let end_field = format!("{field}.end");
        let start = self.start.check(&start_field)?;
        let end = self.end.check(&end_field)?;
        check_offset_matches(&start_field, &self.start, start, &self.time_zone, &tz)?;
        check_offset_matches(&end_field, &self.end, end, &self.time_zone, &tz)?;
        if end <= start {
            return Err(ValidationError::EndNotAfterStart {
                field: field.to_owned(),
            });
        }
        validate::text(
            &format!("{field}.place"),
            &self.place,
            MAX_LABEL_CHARS,
            TextKind::Line,
        )?;
        validate::optional_text(
            &format!("{field}.address"),
            self.address.as_deref(),
            MAX_LABEL_CHARS,
            TextKind::Multiline,
        )
    }

    /// Human-readable time and place, e.g. `19.09.2025 09:00–09:30 (Europe/Berlin), Fischereiamt Berlin`.
    pub fn describe(&self, lang: Language) -> String {
        format!(
            "{}–{} ({}), {}",
            format_time(&self.start, Some(&self.time_zone), lang),
            format_clock(&self.end, Some(&self.time_zone)),
            self.time_zone.as_str(),
            self.place
        )
    }
}

/// Appointment slots offered by the authority.
#[derive(Clone, Debug, Serialize, Deserialize, EventContent, JsonSchema)]
#[ruma_event(type = "de.amtsbote.g2c.v1.appointment_offer", kind = MessageLike)]
pub struct AppointmentOfferEventContent {
    /// Plain-text fallback.
    #[serde(flatten)]
    pub fallback: TextFallback,
    /// Expiry and supersession.
    #[serde(flatten)]
    pub meta: PromptMeta,
    /// The message, e.g. "Your fishing permit can be picked up at …".
    #[schemars(length(min = 1, max = crate::limits::MAX_TEXT_CHARS))]
    pub text: String,
    /// The slots, 1 to [`MAX_SLOTS`], unique ids.
    #[schemars(length(min = 1, max = crate::limits::MAX_SLOTS))]
    pub slots: Vec<AppointmentSlot>,
    /// Whether the citizen may answer "none of the above".
    #[serde(default)]
    pub none_of_the_above_allowed: bool,
}

impl AppointmentOfferEventContent {
    /// An offer with a generated fallback in `lang`.
    pub fn new(
        text: impl Into<String>,
        slots: Vec<AppointmentSlot>,
        none_of_the_above_allowed: bool,
        lang: Language,
    ) -> Self {
        let mut content = Self {
            fallback: TextFallback::default(),
            meta: PromptMeta::default(),
            text: text.into(),
            slots,
            none_of_the_above_allowed,
        };
        content.fill_fallback(lang);
        content
    }

    /// The slot with this id.
    pub fn slot(&self, id: &LocalId) -> Option<&AppointmentSlot> {
        self.slots.iter().find(|s| &s.id == id)
    }
}

impl Validate for AppointmentOfferEventContent {
    fn validate(&self) -> Result<(), ValidationError> {
        self.fallback.check()?;
        self.meta.check()?;
        validate::text("text", &self.text, MAX_TEXT_CHARS, TextKind::Multiline)?;
        validate::count("slots", self.slots.len(), 1, MAX_SLOTS)?;
        for (i, slot) in self.slots.iter().enumerate() {
            slot.check(&format!("slots[{i}]"))?;
        }
        validate::unique("slots", self.slots.iter().map(|s| s.id.as_str()))
    }
}

impl FallbackText for AppointmentOfferEventContent {
    fn fallback_text(&self, lang: Language) -> String {
        let mut out = format!(
            "{}\n\n{}\n",
            lang.pick(
                "Terminangebot der Behörde:",
                "Appointment offer from the authority:"
            ),
            self.text
        );
        for (i, slot) in self.slots.iter().enumerate() {
            out.push_str(&format!("\n{}. {}", i + 1, slot.describe(lang)));
            if let Some(address) = &slot.address {
                out.push_str(&format!(", {}", address.replace('\n', ", ")));
            }
        }
        if self.none_of_the_above_allowed {
            out.push_str(lang.pick(
                "\n– Keiner dieser Termine passt",
                "\n– None of these appointments suits me",
            ));
        }
        out.push_str(lang.pick(
            "\n\nBitte wählen Sie in der Amtsbote-App.",
            "\n\nPlease choose in the Amtsbote app.",
        ));
        out
    }

    fn fallback_mut(&mut self) -> &mut TextFallback {
        &mut self.fallback
    }
}
