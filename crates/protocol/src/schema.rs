//! JSON Schemas (draft 2020-12) of every event content, generated from the
//! Rust types.
//!
//! The committed copies live in `docs/schemas/<event type>.schema.json`; a
//! test fails when they differ from what this module generates (regenerate
//! with `UPDATE_SCHEMAS=1 cargo test -p g2c-protocol --test schemas`).
//!
//! A schema checks shape, patterns, lengths and counts. Rules across fields
//! (unique ids, end after start, offsets matching the time zone, a response
//! matching its prompt) are only checked by [`Validate`](crate::Validate),
//! which is authoritative.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::Value;

use crate::event::G2cEventType;
use crate::prompt::{
    AppointmentOfferEventContent, ChoiceEventContent, DocumentRequestEventContent,
    InquiryEventContent, NoticeEventContent,
};
use crate::receipt::DocumentsReceivedEventContent;
use crate::request::{RequestEventContent, StatusEventContent};
use crate::response::{
    AppointmentSelectionEventContent, ChoiceSelectionEventContent, DocumentsSubmissionEventContent,
    InquiryAnswerEventContent, NoticeAcknowledgementEventContent,
};

/// Base of the schemas' `$id`.
pub const SCHEMA_ID_BASE: &str = "https://amtsbote.example/schemas/";

/// The file name of an event type's schema, e.g.
/// `de.amtsbote.g2c.v1.inquiry.schema.json`.
pub fn file_name(ty: G2cEventType) -> String {
    format!("{}.schema.json", ty.as_str())
}

fn generate<T: JsonSchema>(ty: G2cEventType) -> Schema {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    schema.insert(
        "$id".into(),
        format!("{SCHEMA_ID_BASE}{}", file_name(ty)).into(),
    );
    schema.insert("title".into(), ty.as_str().into());
    schema
}

/// The JSON Schema of the content of `ty`.
pub fn schema_for_event(ty: G2cEventType) -> Value {
    use G2cEventType as T;
    let schema = match ty {
        T::Request => generate::<RequestEventContent>(ty),
        T::Status => generate::<StatusEventContent>(ty),
        T::Inquiry => generate::<InquiryEventContent>(ty),
        T::AppointmentOffer => generate::<AppointmentOfferEventContent>(ty),
        T::DocumentRequest => generate::<DocumentRequestEventContent>(ty),
        T::Choice => generate::<ChoiceEventContent>(ty),
        T::Notice => generate::<NoticeEventContent>(ty),
        T::InquiryAnswer => generate::<InquiryAnswerEventContent>(ty),
        T::AppointmentSelection => generate::<AppointmentSelectionEventContent>(ty),
        T::DocumentsSubmission => generate::<DocumentsSubmissionEventContent>(ty),
        T::ChoiceSelection => generate::<ChoiceSelectionEventContent>(ty),
        T::NoticeAcknowledgement => generate::<NoticeAcknowledgementEventContent>(ty),
        T::DocumentsReceived => generate::<DocumentsReceivedEventContent>(ty),
    };
    schema.to_value()
}

/// The schema as committed: pretty JSON with a trailing newline.
pub fn schema_file_text(ty: G2cEventType) -> String {
    let mut text =
        serde_json::to_string_pretty(&schema_for_event(ty)).unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}
