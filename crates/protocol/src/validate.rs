//! The [`Validate`] trait and the shared checks behind it.

use std::collections::BTreeSet;

use crate::error::{ValidationError, snippet};

/// Strict validation of a content beyond what deserialization checks.
pub trait Validate {
    /// Checks every rule of the type; the first broken rule is returned.
    fn validate(&self) -> Result<(), ValidationError>;
}

/// Which characters a text field allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextKind {
    /// One line: no control characters at all.
    Line,
    /// Multi-line text: line feeds and tabs allowed.
    Multiline,
}

/// Checks a required string: not blank, at most `max` characters, no
/// control characters (other than `\n` and `\t` for multi-line text).
pub(crate) fn text(
    field: &str,
    value: &str,
    max: usize,
    kind: TextKind,
) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::Missing {
            field: field.to_owned(),
        });
    }
    optional_text(field, Some(value), max, kind)
}

/// Like [`text`], for an optional string (an empty string is allowed).
pub(crate) fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
    kind: TextKind,
) -> Result<(), ValidationError> {
    let Some(value) = value else { return Ok(()) };
    // Byte length bounds the character count from above: cheap early exit
    // before counting characters of a huge string.
    if value.len() > max * 4 || value.chars().count() > max {
        return Err(ValidationError::TooLong {
            field: field.to_owned(),
            max,
            actual: value.chars().count(),
        });
    }
    let allowed = |c: char| match kind {
        TextKind::Line => false,
        TextKind::Multiline => c == '\n' || c == '\t',
    };
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(ValidationError::ControlCharacters {
            field: field.to_owned(),
        });
    }
    Ok(())
}

/// Checks a list count: at least `min`, at most `max`.
pub(crate) fn count(
    field: &str,
    len: usize,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    if len < min {
        return Err(ValidationError::Missing {
            field: field.to_owned(),
        });
    }
    if len > max {
        return Err(ValidationError::TooMany {
            field: field.to_owned(),
            max,
            actual: len,
        });
    }
    Ok(())
}

/// Checks that the identifiers yielded are unique.
pub(crate) fn unique<'a>(
    field: &str,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<(), ValidationError> {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(ValidationError::DuplicateId {
                field: field.to_owned(),
                id: snippet(id),
            });
        }
    }
    Ok(())
}

/// Checks an `mxc://` URI.
pub(crate) fn mxc(field: &str, uri: &ruma::MxcUri) -> Result<(), ValidationError> {
    if uri.as_str().len() > 255 || uri.validate().is_err() {
        return Err(ValidationError::InvalidMxcUri {
            field: field.to_owned(),
        });
    }
    Ok(())
}

/// Declares a string enumeration that keeps unknown values instead of
/// failing to deserialize: validation reports them as
/// [`ValidationError::UnknownValue`], so a newer sender's value becomes a
/// "cannot display" rather than a parse failure of the whole content.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $value:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know (from a newer sender).
            Unknown(String),
        }

        impl $name {
            /// All values this version knows, in wire form.
            pub const KNOWN: &'static [&'static str] = &[$($value),+];

            /// The wire form of the value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }

            /// Parses the wire form; unknown values are kept as [`Self::Unknown`].
            pub fn from_wire(value: &str) -> Self {
                match value {
                    $( $value => $name::$variant, )+
                    other => $name::Unknown(other.to_owned()),
                }
            }

            /// Fails for [`Self::Unknown`].
            #[allow(dead_code)]
            pub(crate) fn check_known(&self, field: &str) -> Result<(), $crate::error::ValidationError> {
                match self {
                    $name::Unknown(other) => Err($crate::error::ValidationError::UnknownValue {
                        field: field.to_owned(),
                        value: $crate::error::snippet(other),
                    }),
                    _ => Ok(()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::from_wire(&value))
            }
        }

        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({
                    "type": "string",
                    "enum": [$($value),+],
                })
            }
        }
    };
}

pub(crate) use string_enum;
