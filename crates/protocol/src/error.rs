//! Typed errors: validation of one event content, and parsing of raw JSON.

use thiserror::Error;

/// Longest excerpt of offending input that an error message quotes.
const SNIPPET_CHARS: usize = 64;

/// Shortens untrusted input before it goes into an error message.
pub(crate) fn snippet(value: &str) -> String {
    let mut out: String = value.chars().take(SNIPPET_CHARS).collect();
    if value.chars().nth(SNIPPET_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Shortens a longer message (a deserializer error) to 300 characters.
pub(crate) fn snippet_long(value: &str) -> String {
    let mut out: String = value.chars().take(300).collect();
    if value.chars().nth(300).is_some() {
        out.push('…');
    }
    out
}

/// A rule that an event content breaks.
///
/// `field` is a JSON path into the content, e.g. `slots[2].end`.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A required string or list is empty.
    #[error("`{field}` is required and must not be empty")]
    Missing {
        /// Path of the field.
        field: String,
    },
    /// A string is longer than its limit.
    #[error("`{field}` has {actual} characters, at most {max} are allowed")]
    TooLong {
        /// Path of the field.
        field: String,
        /// The limit.
        max: usize,
        /// The length found.
        actual: usize,
    },
    /// A list has more entries than its limit.
    #[error("`{field}` has {actual} entries, at most {max} are allowed")]
    TooMany {
        /// Path of the field.
        field: String,
        /// The limit.
        max: usize,
        /// The count found.
        actual: usize,
    },
    /// A string contains control characters that are not allowed there.
    #[error("`{field}` contains control characters")]
    ControlCharacters {
        /// Path of the field.
        field: String,
    },
    /// A timestamp is not RFC 3339 with an explicit offset.
    #[error("`{field}` is not an RFC 3339 timestamp with offset: {value:?}")]
    InvalidTimestamp {
        /// Path of the field.
        field: String,
        /// Excerpt of the value.
        value: String,
    },
    /// A time zone name is not in the IANA time zone database.
    #[error("`{field}` is not a known IANA time zone name: {value:?}")]
    UnknownTimeZone {
        /// Path of the field.
        field: String,
        /// Excerpt of the value.
        value: String,
    },
    /// A timestamp's offset differs from its time zone's offset at that instant.
    #[error("`{field}`: the offset does not match time zone {time_zone} at that instant")]
    OffsetMismatch {
        /// Path of the field.
        field: String,
        /// The time zone it was checked against.
        time_zone: String,
    },
    /// An interval ends before or when it starts.
    #[error("`{field}`: the end must be after the start")]
    EndNotAfterStart {
        /// Path of the interval.
        field: String,
    },
    /// A local identifier is malformed.
    #[error("`{field}` is not a valid identifier (1-64 of A-Z a-z 0-9 . _ ~ -): {value:?}")]
    InvalidId {
        /// Path of the field.
        field: String,
        /// Excerpt of the value.
        value: String,
    },
    /// An identifier occurs twice where it must be unique.
    #[error("`{field}`: identifier {id:?} occurs more than once")]
    DuplicateId {
        /// Path of the list.
        field: String,
        /// The repeated identifier.
        id: String,
    },
    /// A reference to a local identifier that the prompt does not define.
    #[error("`{field}`: {id:?} is not defined by the prompt")]
    UnknownId {
        /// Path of the field.
        field: String,
        /// The identifier.
        id: String,
    },
    /// A MIME type is malformed.
    #[error("`{field}` is not a valid MIME type: {value:?}")]
    InvalidMimeType {
        /// Path of the field.
        field: String,
        /// Excerpt of the value.
        value: String,
    },
    /// A language tag is not a well-formed BCP 47 tag (see
    /// [`LanguageTag`](crate::language::LanguageTag)).
    #[error("`{field}` is not a BCP 47 language tag: {value:?}")]
    InvalidLanguageTag {
        /// Path of the field.
        field: String,
        /// Excerpt of the value.
        value: String,
    },
    /// An `mxc://` URI is malformed.
    #[error("`{field}` is not a valid mxc:// URI")]
    InvalidMxcUri {
        /// Path of the field.
        field: String,
    },
    /// A SHA-256 hash is not 64 lowercase hexadecimal digits.
    #[error("`{field}` is not a SHA-256 hash in lowercase hex")]
    InvalidHash {
        /// Path of the field.
        field: String,
    },
    /// A size is zero or above [`MAX_FILE_BYTES`](crate::limits::MAX_FILE_BYTES).
    #[error("`{field}` must be between 1 and {max} bytes, is {actual}")]
    InvalidSize {
        /// Path of the field.
        field: String,
        /// The upper bound.
        max: u64,
        /// The value found.
        actual: u64,
    },
    /// An enumerated value this version does not know (e.g. a status added by
    /// a newer protocol version). The UI shows "cannot display".
    #[error("`{field}` has a value this version does not know: {value:?}")]
    UnknownValue {
        /// Path of the field.
        field: String,
        /// Excerpt of the value.
        value: String,
    },
    /// The `m.relates_to` relation is missing or not an `m.reference`.
    #[error("`m.relates_to` must be an m.reference relation: {reason}")]
    InvalidRelation {
        /// What is wrong.
        reason: &'static str,
    },
    /// Fields that are individually valid but contradict each other.
    #[error("`{field}`: {reason}")]
    Inconsistent {
        /// Path of the field.
        field: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Why a raw event could not be turned into a typed [`G2cEvent`](crate::G2cEvent).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The event type is not a G2C type known to this version.
    #[error("unknown event type {0:?}")]
    UnknownEventType(String),
    /// The raw content is larger than [`MAX_EVENT_BYTES`](crate::limits::MAX_EVENT_BYTES).
    #[error("event content has {actual} bytes, at most {max} are allowed")]
    TooLarge {
        /// The limit.
        max: usize,
        /// The size found.
        actual: usize,
    },
    /// The raw content nests deeper than [`MAX_JSON_DEPTH`](crate::limits::MAX_JSON_DEPTH).
    #[error("event content nests deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// The content is not JSON of the expected shape (wrong types, missing
    /// fields, malformed event id).
    #[error("malformed {event_type} content: {message}")]
    Malformed {
        /// The event type that was parsed.
        event_type: String,
        /// The deserializer's message, shortened.
        message: String,
    },
    /// The content has the right shape but breaks a validation rule.
    #[error("invalid {event_type} content: {source}")]
    Invalid {
        /// The event type that was parsed.
        event_type: String,
        /// The broken rule.
        #[source]
        source: ValidationError,
    },
}

impl ParseError {
    /// True when the event probably comes from a newer protocol version
    /// (unknown event type or unknown enumerated value): the UI should say
    /// "cannot display this message, please update" rather than "broken".
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self,
            ParseError::UnknownEventType(_)
                | ParseError::Invalid {
                    source: ValidationError::UnknownValue { .. },
                    ..
                }
        )
    }
}
