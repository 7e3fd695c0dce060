//! Receipts from the authority: `de.amtsbote.g2c.v1.documents_received`
//! confirms which submitted files arrived.

use ruma::OwnedEventId;
use ruma::events::macros::EventContent;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::fallback::{FallbackText, Language, TextFallback};
use crate::ids::Sha256Hex;
use crate::limits::{MAX_HASHES, MAX_TEXT_CHARS};
use crate::relation::ReferenceRelation;
use crate::response::{DocumentsSubmissionEventContent, hash_set};
use crate::validate::{self, TextKind, Validate};

/// The authority confirms receipt of a documents submission.
#[derive(Clone, Debug, Serialize, Deserialize, EventContent, JsonSchema)]
#[ruma_event(type = "de.amtsbote.g2c.v1.documents_received", kind = MessageLike)]
pub struct DocumentsReceivedEventContent {
    /// Plain-text fallback.
    #[serde(flatten)]
    pub fallback: TextFallback,
    /// The submission confirmed.
    #[serde(rename = "m.relates_to")]
    pub relates_to: ReferenceRelation,
    /// The submission, repeated inside the encrypted content (see
    /// [`NoticeAcknowledgementEventContent::notice_event_id`](crate::response::NoticeAcknowledgementEventContent::notice_event_id)).
    #[schemars(schema_with = "crate::ids::event_id_schema")]
    pub submission_event_id: OwnedEventId,
    /// SHA-256 of every file received and decrypted, unique.
    #[schemars(length(min = 1, max = crate::limits::MAX_HASHES), extend("uniqueItems" = true))]
    pub received_sha256: Vec<Sha256Hex>,
    /// Optional note, e.g. "the scan of page 2 is unreadable".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = crate::limits::MAX_TEXT_CHARS))]
    pub note: Option<String>,
}

impl DocumentsReceivedEventContent {
    /// A receipt with a generated fallback in `lang`.
    pub fn new(submission: OwnedEventId, received_sha256: Vec<Sha256Hex>, lang: Language) -> Self {
        let mut content = Self {
            fallback: TextFallback::default(),
            relates_to: ReferenceRelation::new(submission.clone()),
            submission_event_id: submission,
            received_sha256,
            note: None,
        };
        content.fill_fallback(lang);
        content
    }

    /// Hashes in the submission that this receipt does not confirm (empty
    /// when everything arrived). Fails if the receipt confirms a hash that
    /// was never submitted.
    pub fn missing_from<'a>(
        &self,
        submission: &'a DocumentsSubmissionEventContent,
    ) -> Result<Vec<&'a Sha256Hex>, ValidationError> {
        let submitted = hash_set(submission.file_hashes());
        if self
            .received_sha256
            .iter()
            .any(|h| !submitted.contains(h.as_str()))
        {
            return Err(ValidationError::Inconsistent {
                field: "received_sha256".to_owned(),
                reason: "confirms a file that was not submitted",
            });
        }
        let received = hash_set(&self.received_sha256);
        Ok(submission
            .file_hashes()
            .filter(|h| !received.contains(h.as_str()))
            .collect())
    }
}

impl Validate for DocumentsReceivedEventContent {
    fn validate(&self) -> Result<(), ValidationError> {
        self.fallback.check()?;
        self.relates_to.check()?;
        if self.relates_to.event_id != self.submission_event_id {
            return Err(ValidationError::InvalidRelation {
                reason: "submission_event_id differs from m.relates_to.event_id",
            });
        }
        validate::count("received_sha256", self.received_sha256.len(), 1, MAX_HASHES)?;
        for (i, hash) in self.received_sha256.iter().enumerate() {
            hash.check(&format!("received_sha256[{i}]"))?;
        }
        validate::unique(
            "received_sha256",
            self.received_sha256.iter().map(Sha256Hex::as_str),
        )?;
        validate::optional_text(
            "note",
            self.note.as_deref(),
            MAX_TEXT_CHARS,
            TextKind::Multiline,
        )
    }
}

impl FallbackText for DocumentsReceivedEventContent {
    fn fallback_text(&self, lang: Language) -> String {
        let mut out = match lang {
            Language::De => format!(
                "Eingangsbestätigung: {} Datei(en) erhalten.",
                self.received_sha256.len()
            ),
            Language::En => format!("Receipt: {} file(s) received.", self.received_sha256.len()),
        };
        for hash in &self.received_sha256 {
            out.push_str(&format!("\nSHA-256 {hash}"));
        }
        if let Some(note) = &self.note {
            out.push_str(&format!("\n\n{note}"));
        }
        out
    }

    fn fallback_mut(&mut self) -> &mut TextFallback {
        &mut self.fallback
    }
}
