//! RFC 3339 timestamps with an explicit offset, and IANA time zone names.
//!
//! Both are kept as strings on the wire (so content round-trips byte for
//! byte) and checked strictly by `check`: the syntax must be exactly
//! `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, the date must exist, and a
//! time zone name must be in the (bundled) IANA database.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, snippet};
use crate::limits::{MAX_TIME_ZONE_CHARS, MAX_TIMESTAMP_CHARS};

/// An RFC 3339 timestamp with an explicit offset, e.g. `2025-09-19T09:00:00+02:00`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rfc3339(String);

impl Rfc3339 {
    /// Wraps a string; call [`Rfc3339::check`] to know it is well-formed.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Formats an instant with the given offset in seconds east of UTC
    /// (`Z` for zero).
    pub fn from_timestamp(ts: jiff::Timestamp, offset_seconds: i32) -> Self {
        let offset =
            jiff::tz::Offset::from_seconds(offset_seconds).unwrap_or(jiff::tz::Offset::UTC);
        if offset == jiff::tz::Offset::UTC {
            return Self(ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
        }
        Self(
            ts.to_zoned_datetime(offset.to_time_zone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
        )
    }

    /// The timestamp as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the syntax strictly and returns the instant.
    pub fn check(&self, field: &str) -> Result<jiff::Timestamp, ValidationError> {
        self.parse()
            .ok_or_else(|| ValidationError::InvalidTimestamp {
                field: field.to_owned(),
                value: snippet(&self.0),
            })
    }

    /// The instant, or `None` if malformed.
    pub fn parse(&self) -> Option<jiff::Timestamp> {
        if self.0.len() > MAX_TIMESTAMP_CHARS || !strict_syntax(self.0.as_bytes()) {
            return None;
        }
        self.0.parse::<jiff::Timestamp>().ok()
    }

    /// The offset written in the string, in seconds east of UTC.
    pub fn offset_seconds(&self) -> Option<i32> {
        let b = self.0.as_bytes();
        if !strict_syntax(b) {
            return None;
        }
        if b.last() == Some(&b'Z') {
            return Some(0);
        }
        let tail = &self.0[self.0.len() - 6..];
        let sign = if tail.starts_with('-') { -1 } else { 1 };
        let hours: i32 = tail[1..3].parse().ok()?;
        let minutes: i32 = tail[4..6].parse().ok()?;
        Some(sign * (hours * 3600 + minutes * 60))
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.1-9 digits](Z|+HH:MM|-HH:MM)`, uppercase `T` and `Z`.
fn strict_syntax(b: &[u8]) -> bool {
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if b.len() < 20 {
        return false;
    }
    let head = digits(&b[0..4])
        && b[4] == b'-'
        && digits(&b[5..7])
        && b[7] == b'-'
        && digits(&b[8..10])
        && b[10] == b'T'
        && digits(&b[11..13])
        && b[13] == b':'
        && digits(&b[14..16])
        && b[16] == b':'
        && digits(&b[17..19]);
    if !head {
        return false;
    }
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return false;
        }
        rest = &rest[1 + n..];
    }
    match rest {
        [b'Z'] => true,
        [sign, h1, h2, b':', m1, m2] => {
            matches!(sign, b'+' | b'-') && digits(&[*h1, *h2]) && digits(&[*m1, *m2])
        }
        _ => false,
    }
}

impl std::fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Rfc3339 {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl JsonSchema for Rfc3339 {
    fn schema_name() -> Cow<'static, str> {
        "Rfc3339".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date-time",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$",
        })
    }
}

/// An IANA time zone name, e.g. `Europe/Berlin`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    /// Wraps a string; call [`TimeZoneName::check`] to know it is known.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Looks the name up in the bundled IANA database (exact spelling).
    pub fn check(&self, field: &str) -> Result<jiff::tz::TimeZone, ValidationError> {
        let err = || ValidationError::UnknownTimeZone {
            field: field.to_owned(),
            value: snippet(&self.0),
        };
        if self.0.is_empty() || self.0.len() > MAX_TIME_ZONE_CHARS {
            return Err(err());
        }
        let tz = jiff::tz::TimeZone::get(&self.0).map_err(|_| err())?;
        if tz.iana_name() != Some(self.0.as_str()) {
            return Err(err());
        }
        Ok(tz)
    }
}

impl From<&str> for TimeZoneName {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl JsonSchema for TimeZoneName {
    fn schema_name() -> Cow<'static, str> {
        "TimeZoneName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "pattern": "^[A-Za-z0-9_+/-]+$",
        })
    }
}

/// Checks that `time`'s written offset equals the zone's offset at that
/// instant (e.g. `+02:00` for Europe/Berlin in September).
pub(crate) fn check_offset_matches(
    field: &str,
    time: &Rfc3339,
    instant: jiff::Timestamp,
    tz_name: &TimeZoneName,
    tz: &jiff::tz::TimeZone,
) -> Result<(), ValidationError> {
    let written = time.offset_seconds();
    if written != Some(tz.to_offset(instant).seconds()) {
        return Err(ValidationError::OffsetMismatch {
            field: field.to_owned(),
            time_zone: snippet(tz_name.as_str()),
        });
    }
    Ok(())
}
