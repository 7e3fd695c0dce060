//! Identifiers: local ids of slots, options and documents, and SHA-256
//! content hashes. Matrix event ids and `mxc://` URIs come from ruma.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, snippet};
use crate::limits::MAX_ID_CHARS;

/// An identifier local to one prompt: a slot, an option or a requested
/// document. 1 to [`MAX_ID_CHARS`] of `A-Z a-z 0-9 . _ ~ -`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LocalId(String);

impl LocalId {
    /// Wraps a string; call [`LocalId::check`] (or validate the content) to
    /// know it is well-formed.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The identifier as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the syntax.
    pub fn check(&self, field: &str) -> Result<(), ValidationError> {
        let ok = !self.0.is_empty()
            && self.0.len() <= MAX_ID_CHARS
            && self
                .0
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'));
        if ok {
            Ok(())
        } else {
            Err(ValidationError::InvalidId {
                field: field.to_owned(),
                value: snippet(&self.0),
            })
        }
    }
}

impl From<&str> for LocalId {
    fn from(id: &str) -> Self {
        Self::new(id)
    }
}

impl std::fmt::Display for LocalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for LocalId {
    fn schema_name() -> Cow<'static, str> {
        "LocalId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[A-Za-z0-9._~-]{1,64}$",
        })
    }
}

/// SHA-256 of a file's plaintext content, as 64 lowercase hex digits (the
/// output of `sha256sum`). For encrypted media this is the hash of the
/// decrypted file, unlike `EncryptedFile.hashes.sha256` (ciphertext).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// Wraps a string; call [`Sha256Hex::check`] to know it is well-formed.
    pub fn new(hex: impl Into<String>) -> Self {
        Self(hex.into())
    }

    /// The hash as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the syntax: 64 lowercase hex digits.
    pub fn check(&self, field: &str) -> Result<(), ValidationError> {
        if self.0.len() == 64
            && self
                .0
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            Ok(())
        } else {
            Err(ValidationError::InvalidHash {
                field: field.to_owned(),
            })
        }
    }
}

impl From<&str> for Sha256Hex {
    fn from(hex: &str) -> Self {
        Self::new(hex)
    }
}

impl std::fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for Sha256Hex {
    fn schema_name() -> Cow<'static, str> {
        "Sha256Hex".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
        })
    }
}

/// JSON Schema for a Matrix event id (room versions 3+: `$` and 43 base64 characters,
/// older room versions `$local:server`).
pub(crate) fn event_id_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": "^\\$[^\\s]+$",
        "maxLength": 255,
    })
}

/// JSON Schema for an `mxc://server/media-id` URI.
pub(crate) fn mxc_uri_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": "^mxc://[A-Za-z0-9.:\\[\\]-]+/[A-Za-z0-9_-]+$",
        "maxLength": 255,
    })
}
