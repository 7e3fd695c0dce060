//! The G2C event vocabulary, exchanged between an authority and a citizen in
//! a Matrix room per application.
//!
//! Typed event contents (request metadata and status as state, prompts,
//! responses, receipts), their JSON Schemas, strict validation, plain-text
//! fallbacks and the request state machine.
//!
//! This crate does no I/O: no network, no disk, no Matrix client. It is
//! shared by the citizen's app and the authority's tools.
//!
//! Entry points: [`parse_event`] (raw JSON of a given event type to a
//! validated [`G2cEvent`]), the `*EventContent` types (sendable with
//! matrix-sdk's `room.send(content)`), [`Validate`], [`FallbackText`],
//! [`schema::schema_for_event`] and [`state_machine::RequestStateMachine`].

pub mod datetime;
pub mod error;
pub mod event;
pub mod fallback;
pub mod ids;
pub mod language;
pub mod limits;
pub mod media;
pub mod prompt;
pub mod receipt;
pub mod relation;
pub mod request;
pub mod response;
pub mod schema;
pub mod state_machine;
pub mod validate;

pub use error::{ParseError, ValidationError};
pub use event::{G2cEvent, G2cEventType, parse_event};
pub use fallback::{FallbackText, Language};
pub use validate::Validate;

/// The namespace of every G2C event type (unstable prefix until an MSC is
/// accepted). The `#[ruma_event(type = ...)]` attributes must spell the
/// full type as a literal; a test checks they agree with this prefix.
pub const NAMESPACE: &str = "de.amtsbote.g2c.v1.";
