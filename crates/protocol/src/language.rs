//! The language an authority writes a case in, as a BCP 47 language tag.
//!
//! The citizen's app shows authority text (service names, questions, notice
//! texts) inside a UI that may speak another language; it marks that text
//! with the case's language so a screen reader pronounces it correctly
//! (WCAG 2.1 SC 3.1.2 "Language of Parts"). The tag is kept as written on
//! the wire (so content round-trips byte for byte) and checked by
//! [`LanguageTag::check`] against a deliberately simple subset of BCP 47
//! (RFC 5646): a primary language subtag of 2–3 letters, then any number of
//! subtags of 1–8 letters or digits, separated by `-`, at most
//! [`MAX_LANGUAGE_TAG_CHARS`] characters. That admits every tag a browser's
//! `lang` attribute needs (`de`, `en-GB`, `sr-Latn-RS`, `de-CH-1996`) and
//! refuses anything that could be more than a tag; whether the subtags are
//! registered at IANA is not checked (no registry is bundled).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, snippet};
use crate::limits::MAX_LANGUAGE_TAG_CHARS;

/// The language of a case whose request event names none: German. The
/// pilot's authorities are German and write German; events from before the
/// `language` field existed are German.
pub const DEFAULT_LANGUAGE: &str = "de";

/// A BCP 47 language tag, e.g. `de`, `en-GB` or `sr-Latn-RS`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LanguageTag(String);

impl LanguageTag {
    /// Wraps a string; call [`LanguageTag::check`] (or validate the
    /// content) to know it is well-formed.
    pub fn new(tag: impl Into<String>) -> Self {
        Self(tag.into())
    }

    /// The tag as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the syntax (see the module documentation).
    pub fn check(&self, field: &str) -> Result<(), ValidationError> {
        if is_well_formed(&self.0) {
            Ok(())
        } else {
            Err(ValidationError::InvalidLanguageTag {
                field: field.to_owned(),
                value: snippet(&self.0),
            })
        }
    }
}

/// `[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*`, at most [`MAX_LANGUAGE_TAG_CHARS`].
fn is_well_formed(tag: &str) -> bool {
    if tag.len() > MAX_LANGUAGE_TAG_CHARS {
        return false;
    }
    let mut subtags = tag.split('-');
    let primary_ok = subtags
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    primary_ok
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

impl From<&str> for LanguageTag {
    fn from(tag: &str) -> Self {
        Self::new(tag)
    }
}

impl std::fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for LanguageTag {
    fn schema_name() -> Cow<'static, str> {
        "LanguageTag".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A BCP 47 language tag: a primary language subtag of 2-3 letters, then subtags of 1-8 letters or digits separated by '-'.",
            "type": "string",
            "pattern": "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
            "maxLength": MAX_LANGUAGE_TAG_CHARS,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_tags_are_well_formed() {
        for tag in [
            "de",
            "DE",
            "en",
            "en-GB",
            "de-CH-1996",
            "sr-Latn-RS",
            "zh-Hant",
            "tlh",
            "es-419",
            "de-DE-x-amt",
        ] {
            assert_eq!(LanguageTag::new(tag).check("language"), Ok(()), "{tag}");
        }
    }

    #[test]
    fn malformed_tags_are_refused() {
        let long = format!("de-{}", ["abcdefgh"; 4].join("-"));
        assert!(long.len() > MAX_LANGUAGE_TAG_CHARS);
        for tag in [
            "",
            "d",
            "deut",
            "x-private",
            "de_DE",
            "de-",
            "-de",
            "de--DE",
            "de-abcdefghi",
            "dé",
            "de DE",
            "<b>",
            "1de",
            &long,
        ] {
            assert!(
                matches!(
                    LanguageTag::new(tag).check("language"),
                    Err(ValidationError::InvalidLanguageTag { .. })
                ),
                "{tag:?} was accepted"
            );
        }
    }

    #[test]
    fn the_longest_allowed_tag_is_accepted() {
        let tag = format!("deu-{}-abcd", ["abcdefgh"; 3].join("-"));
        assert_eq!(tag.len(), MAX_LANGUAGE_TAG_CHARS);
        assert_eq!(LanguageTag::new(tag).check("language"), Ok(()));
    }
}
