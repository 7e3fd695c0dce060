//! The authority's side of the G2C channel, as a library and a CLI.
//!
//! Opens a room per application, sets its metadata and status, sends
//! structured prompts and notices, and reads the citizen's answers. Used by
//! an authority's domain system adapter, by the tests and by the demo.
//!
//! It must not depend on the citizen's app, the card or Tauri.
//!
//! Entry points: [`AuthorityClient`] (log in, open rooms, send, confirm),
//! [`AuthorityClient::answers`] (the [`AnswerStream`] of [`Incoming`]
//! answers and rejections), [`scenario::Scenario`] and
//! [`scenario::run_scenario`] (play a case from a file).

pub mod answer;
pub mod certificate;
pub mod client;
pub mod data_dir;
pub mod error;
pub mod media;
pub mod prompt_spec;
pub mod scenario;
pub mod tracker;
pub mod trust;
pub mod watch;

pub use answer::{Answer, AnswerContent, Incoming, Rejection, RejectionCode};
pub use client::{AuthorityClient, DocumentsConfirmation};
pub use error::{AuthorityError, Result};
pub use media::Attachment;
pub use watch::AnswerStream;
