//! Hard limits on sizes and counts.
//!
//! Every string and list in a G2C event is bounded, so hostile or broken
//! input is rejected by a limit before it can cost memory or layout time.
//! The limits are part of the protocol (see `docs/protocol.md`): a sender
//! that exceeds one produces an event that receivers refuse to display.

/// Maximum size of a raw event content in bytes (the Matrix limit for a
/// whole event is 65 536 bytes, so a content can never be larger).
pub const MAX_EVENT_BYTES: usize = 65_536;

/// Maximum nesting depth of arrays and objects in a raw event content.
pub const MAX_JSON_DEPTH: usize = 12;

/// Maximum length of a short label (names, titles, option labels), in
/// characters.
pub const MAX_LABEL_CHARS: usize = 200;

/// Maximum length of a reference number (file number, "Aktenzeichen").
pub const MAX_REFERENCE_CHARS: usize = 100;

/// Maximum length of a longer text (a question, a description, a note), in
/// characters.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// Maximum length of the formal text of a notice or decision, in characters.
pub const MAX_NOTICE_TEXT_CHARS: usize = 20_000;

/// Maximum length of a citizen's free-text answer, in characters.
pub const MAX_ANSWER_CHARS: usize = 10_000;

/// Maximum length of the plain-text fallback `body`, in characters.
pub const MAX_BODY_CHARS: usize = 30_000;

/// Maximum length of a local identifier (slot, option or document id).
pub const MAX_ID_CHARS: usize = 64;

/// Maximum length of a file name, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 255;

/// Maximum length of a MIME type (RFC 6838 allows 127 + 1 + 127).
pub const MAX_MIME_CHARS: usize = 255;

/// Maximum length of an IANA time zone name.
pub const MAX_TIME_ZONE_CHARS: usize = 64;

/// Maximum length of a BCP 47 language tag, in characters (RFC 5646
/// section 4.4.1: 35 characters hold every tag without extensions or
/// private use that a registry could define).
pub const MAX_LANGUAGE_TAG_CHARS: usize = 35;

/// Maximum length of an RFC 3339 timestamp string.
pub const MAX_TIMESTAMP_CHARS: usize = 40;

/// Maximum number of slots in an appointment offer.
pub const MAX_SLOTS: usize = 50;

/// Maximum number of options in a choice.
pub const MAX_OPTIONS: usize = 50;

/// Maximum number of documents requested by one document request.
pub const MAX_REQUESTED_DOCUMENTS: usize = 20;

/// Maximum number of accepted MIME types per requested document.
pub const MAX_MIME_TYPES: usize = 20;

/// Maximum number of attachments on a prompt or a response.
pub const MAX_ATTACHMENTS: usize = 20;

/// Maximum number of files submitted for one requested document.
pub const MAX_FILES_PER_DOCUMENT: usize = 20;

/// Maximum number of file hashes in a receipt or acknowledgement.
pub const MAX_HASHES: usize = MAX_REQUESTED_DOCUMENTS * MAX_FILES_PER_DOCUMENT;

/// Maximum number of `m.text` representations in an extensible text block.
pub const MAX_TEXT_REPRESENTATIONS: usize = 4;

/// Largest file size in bytes a document request may allow or a file may
/// declare (2^53 - 1 is the largest integer Matrix canonical JSON allows;
/// this is far lower: 2 GiB).
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;
