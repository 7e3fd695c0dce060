//! File references and MIME types.
//!
//! A [`FileRef`] points at Matrix media: in an encrypted room an
//! `EncryptedFile` (`file`: url, JWK key, iv, ciphertext hashes, `v2`), in an
//! unencrypted room a plain `url`. This is ruma's [`MediaSource`], flattened
//! into the file object exactly as `m.file` messages carry it. On top, a
//! `sha256` of the plaintext makes the file verifiable by both sides.

use std::borrow::Cow;

use ruma::events::room::{EncryptedFileHashAlgorithm, EncryptedFileInfo, MediaSource};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, snippet};
use crate::ids::Sha256Hex;
use crate::limits::{MAX_FILE_BYTES, MAX_FILE_NAME_CHARS, MAX_MIME_CHARS};
use crate::validate::{self, TextKind};

/// A MIME type `type/subtype` (RFC 6838 names, no parameters). In a
/// document request's accepted types the subtype may be `*` (`image/*`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MimeType(String);

impl MimeType {
    /// Wraps a string; call [`MimeType::check`] to know it is well-formed.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The MIME type as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the syntax; `allow_wildcard` permits a `*` subtype.
    pub fn check(&self, field: &str, allow_wildcard: bool) -> Result<(), ValidationError> {
        let err = || ValidationError::InvalidMimeType {
            field: field.to_owned(),
            value: snippet(&self.0),
        };
        if self.0.len() > MAX_MIME_CHARS {
            return Err(err());
        }
        let (ty, sub) = self.0.split_once('/').ok_or_else(err)?;
        if !restricted_name(ty) || !(restricted_name(sub) || (allow_wildcard && sub == "*")) {
            return Err(err());
        }
        Ok(())
    }

    /// Whether a concrete type (`image/png`) is matched by this pattern
    /// (`image/png` or `image/*`); case-insensitive.
    pub fn matches(&self, concrete: &MimeType) -> bool {
        let (Some((pt, ps)), Some((ct, cs))) = (self.0.split_once('/'), concrete.0.split_once('/'))
        else {
            return false;
        };
        pt.eq_ignore_ascii_case(ct) && (ps == "*" || ps.eq_ignore_ascii_case(cs))
    }
}

/// RFC 6838 `restricted-name`: 1-127 chars, first alphanumeric.
fn restricted_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 127
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(c))
}

impl From<&str> for MimeType {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl std::fmt::Display for MimeType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for MimeType {
    fn schema_name() -> Cow<'static, str> {
        "MimeType".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "maxLength": 255,
            "pattern": "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}|\\*)$",
        })
    }
}

/// A file: where it is (plain or encrypted Matrix media) and what it is.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FileRef {
    /// `url` (unencrypted) or `file` (an `EncryptedFile`), flattened.
    #[serde(flatten)]
    #[schemars(with = "MediaSourceSchema")]
    pub source: MediaSource,
    /// The file name shown to the user, e.g. `Personalausweis.pdf`.
    #[schemars(length(min = 1, max = crate::limits::MAX_FILE_NAME_CHARS))]
    pub name: String,
    /// The MIME type of the plaintext file.
    pub mimetype: MimeType,
    /// Size of the plaintext file in bytes.
    #[schemars(range(min = 1, max = crate::limits::MAX_FILE_BYTES))]
    pub size: u64,
    /// SHA-256 of the plaintext file.
    pub sha256: Sha256Hex,
}

impl FileRef {
    /// Checks every field; `field` is the path of this file in the content.
    pub fn check(&self, field: &str) -> Result<(), ValidationError> {
        match &self.source {
            MediaSource::Plain(url) => validate::mxc(&format!("{field}.url"), url)?,
            MediaSource::Encrypted(file) => {
                let path = format!("{field}.file");
                validate::mxc(&format!("{path}.url"), &file.url)?;
                if !matches!(file.info, EncryptedFileInfo::V2(_)) {
                    return Err(ValidationError::Inconsistent {
                        field: path,
                        reason: "encrypted attachments must be version v2",
                    });
                }
                if !file
                    .hashes
                    .contains_key(&EncryptedFileHashAlgorithm::Sha256)
                {
                    return Err(ValidationError::Inconsistent {
                        field: format!("{path}.hashes"),
                        reason: "hashes must contain sha256",
                    });
                }
            }
        }
        validate::text(
            &format!("{field}.name"),
            &self.name,
            MAX_FILE_NAME_CHARS,
            TextKind::Line,
        )?;
        if self.name.contains(['/', '\\']) {
            return Err(ValidationError::Inconsistent {
                field: format!("{field}.name"),
                reason: "a file name must not contain path separators",
            });
        }
        self.mimetype.check(&format!("{field}.mimetype"), false)?;
        check_size(&format!("{field}.size"), self.size)?;
        self.sha256.check(&format!("{field}.sha256"))
    }

    /// The mxc URI of the media, encrypted or not.
    pub fn mxc_uri(&self) -> &ruma::MxcUri {
        match &self.source {
            MediaSource::Plain(url) => url,
            MediaSource::Encrypted(file) => &file.url,
        }
    }
}

/// Checks 1 ≤ size ≤ [`MAX_FILE_BYTES`].
pub(crate) fn check_size(field: &str, size: u64) -> Result<(), ValidationError> {
    if size == 0 || size > MAX_FILE_BYTES {
        return Err(ValidationError::InvalidSize {
            field: field.to_owned(),
            max: MAX_FILE_BYTES,
            actual: size,
        });
    }
    Ok(())
}

/// Schema stand-in for ruma's `MediaSource` (which has no `JsonSchema`).
struct MediaSourceSchema;

impl JsonSchema for MediaSourceSchema {
    fn schema_name() -> Cow<'static, str> {
        "MediaSource".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mxc = crate::ids::mxc_uri_schema(generator);
        json_schema!({
            "type": "object",
            "oneOf": [
                {
                    "required": ["url"],
                    "properties": { "url": mxc }
                },
                {
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "description": "Matrix EncryptedFile (client-server API, end-to-end encryption: sending encrypted attachments).",
                            "type": "object",
                            "required": ["url", "key", "iv", "hashes", "v"],
                            "properties": {
                                "url": mxc,
                                "key": {
                                    "type": "object",
                                    "required": ["kty", "key_ops", "alg", "k", "ext"],
                                    "properties": {
                                        "kty": { "const": "oct" },
                                        "key_ops": { "type": "array", "items": { "type": "string" }, "maxItems": 8 },
                                        "alg": { "const": "A256CTR" },
                                        "k": { "type": "string", "pattern": "^[A-Za-z0-9_-]+$" },
                                        "ext": { "const": true }
                                    }
                                },
                                "iv": { "type": "string", "pattern": "^[A-Za-z0-9+/]+={0,2}$" },
                                "hashes": {
                                    "type": "object",
                                    "required": ["sha256"],
                                    "maxProperties": 8,
                                    "additionalProperties": { "type": "string", "pattern": "^[A-Za-z0-9+/]+={0,2}$" }
                                },
                                "v": { "const": "v2" }
                            }
                        }
                    }
                }
            ]
        })
    }
}
