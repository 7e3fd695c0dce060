//! Room state: the request's metadata and its processing status.
//!
//! Both are state events with an empty state key. Their history is visible
//! because state changes appear in the timeline.

use ruma::events::{EmptyStateKey, macros::EventContent};
use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};

use crate::datetime::Rfc3339;
use crate::error::ValidationError;
use crate::language::{DEFAULT_LANGUAGE, LanguageTag};
use crate::limits::{MAX_LABEL_CHARS, MAX_REFERENCE_CHARS, MAX_TEXT_CHARS};
use crate::validate::{self, TextKind, Validate, string_enum};

/// `de.amtsbote.g2c.v1.request`: what was applied for, where and when.
#[derive(Clone, Debug, Serialize, Deserialize, EventContent, JsonSchema)]
#[ruma_event(type = "de.amtsbote.g2c.v1.request", kind = State, state_key_type = EmptyStateKey)]
#[schemars(transform = request_limits)]
pub struct RequestEventContent {
    /// Name of the administrative service, e.g. `Angelschein`.
    pub service_name: String,
    /// Name of the authority, e.g. `Fischereiamt Berlin`.
    pub authority_name: String,
    /// The authority's reference number ("Aktenzeichen").
    pub reference_number: String,
    /// When the application was submitted (RFC 3339 with offset).
    pub submitted_at: Rfc3339,
    /// Optional description of the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The language the authority writes this case in (every text of its
    /// events), as a BCP 47 tag, e.g. `de` or `en-GB`; absent means German
    /// (`de`). The citizen's app marks authority text with it when its UI
    /// speaks another language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<LanguageTag>,
}

impl RequestEventContent {
    /// The case's language: [`Self::language`] as written, or
    /// [`DEFAULT_LANGUAGE`] when absent.
    pub fn language_or_default(&self) -> &str {
        self.language
            .as_ref()
            .map_or(DEFAULT_LANGUAGE, LanguageTag::as_str)
    }
}

/// Sets `minLength`/`maxLength` of string properties in a schema. (The
/// state event derive copies field attributes into generated redacted
/// types, so field-level `#[schemars]` attributes cannot be used here.)
fn set_lengths(schema: &mut Schema, limits: &[(&str, usize, usize)]) {
    let Some(props) = schema
        .get_mut("properties")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    for (name, min, max) in limits {
        if let Some(prop) = props
            .get_mut(*name)
            .and_then(serde_json::Value::as_object_mut)
        {
            if *min > 0 {
                prop.insert("minLength".into(), (*min).into());
            }
            prop.insert("maxLength".into(), (*max).into());
        }
    }
}

fn request_limits(schema: &mut Schema) {
    set_lengths(
        schema,
        &[
            ("service_name", 1, MAX_LABEL_CHARS),
            ("authority_name", 1, MAX_LABEL_CHARS),
            ("reference_number", 1, MAX_REFERENCE_CHARS),
            ("description", 0, MAX_TEXT_CHARS),
        ],
    );
}

fn status_limits(schema: &mut Schema) {
    set_lengths(schema, &[("note", 0, MAX_TEXT_CHARS)]);
}

impl Validate for RequestEventContent {
    fn validate(&self) -> Result<(), ValidationError> {
        validate::text(
            "service_name",
            &self.service_name,
            MAX_LABEL_CHARS,
            TextKind::Line,
        )?;
        validate::text(
            "authority_name",
            &self.authority_name,
            MAX_LABEL_CHARS,
            TextKind::Line,
        )?;
        validate::text(
            "reference_number",
            &self.reference_number,
            MAX_REFERENCE_CHARS,
            TextKind::Line,
        )?;
        self.submitted_at.check("submitted_at")?;
        validate::optional_text(
            "description",
            self.description.as_deref(),
            MAX_TEXT_CHARS,
            TextKind::Multiline,
        )?;
        match &self.language {
            Some(language) => language.check("language"),
            None => Ok(()),
        }
    }
}

string_enum! {
    /// The processing status of a request.
    pub enum Status {
        /// Received by the authority, not yet looked at.
        Submitted => "submitted",
        /// Being processed.
        InReview => "in_review",
        /// Waiting for the citizen (an answer, documents, an appointment).
        ActionRequired => "action_required",
        /// A decision was made (see the notice).
        Decided => "decided",
        /// Finished; final.
        Closed => "closed",
    }
}

/// `de.amtsbote.g2c.v1.status`: the current processing status.
#[derive(Clone, Debug, Serialize, Deserialize, EventContent, JsonSchema)]
#[ruma_event(type = "de.amtsbote.g2c.v1.status", kind = State, state_key_type = EmptyStateKey)]
#[schemars(transform = status_limits)]
pub struct StatusEventContent {
    /// The status.
    pub status: Status,
    /// Optional human-readable note, e.g. why the request was reopened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl StatusEventContent {
    /// A status without a note.
    pub fn new(status: Status) -> Self {
        Self { status, note: None }
    }
}

impl Validate for StatusEventContent {
    fn validate(&self) -> Result<(), ValidationError> {
        self.status.check_known("status")?;
        validate::optional_text(
            "note",
            self.note.as_deref(),
            MAX_TEXT_CHARS,
            TextKind::Multiline,
        )
    }
}
