//! Responses: message-like events from the citizen, each referencing its
//! prompt with `m.relates_to: { rel_type: "m.reference", event_id }`.
//!
//! [`Validate`] checks a response on its own; [`Response::check_against`]
//! checks it against the prompt it answers (ids defined, limits, MIME types,
//! sizes, hashes).

use std::collections::BTreeSet;

use ruma::OwnedEventId;
use ruma::events::macros::EventContent;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, snippet};
use crate::fallback::{FallbackText, Language, TextFallback};
use crate::ids::{LocalId, Sha256Hex};
use crate::limits::{
    MAX_ANSWER_CHARS, MAX_ATTACHMENTS, MAX_FILES_PER_DOCUMENT, MAX_OPTIONS, MAX_REQUESTED_DOCUMENTS,
};
use crate::media::FileRef;
use crate::prompt::{
    AppointmentOfferEventContent, ChoiceEventContent, ChoiceMode, DocumentRequestEventContent,
    InquiryEventContent, NoticeEventContent, Prompt, PromptKind,
};
use crate::relation::ReferenceRelation;
use crate::validate::{self, TextKind, Validate};

fn check_files(
    field: &str,
    files: &[FileRef],
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    validate::count(field, files.len(), min, max)?;
    for (i, file) in files.iter().enumerate() {
        file.check(&format!("{field}[{i}]"))?;
    }
    Ok(())
}

fn mismatch(field: &str, reason: &'static str) -> ValidationError {
    ValidationError::Inconsistent {
        field: field.to_owned(),
        reason,
    }
}

/// `de.amtsbote.g2c.v1.inquiry_answer`: the answer to an inquiry.
#[derive(Clone, Debug, Serialize, Deserialize, EventContent, JsonSchema)]
#[ruma_event(type = "de.amtsbote.g2c.v1.inquiry_answer", kind = MessageLike)]
pub struct InquiryAnswerEventContent {
    /// Plain-text fallback.
    #[serde(flatten)]
    pub fallback: TextFallback,
    /// The inquiry answered.
    #[serde(rename = "m.relates_to")]
    pub relates_to: ReferenceRelation,
    /// The answer.
    #[schemars(length(min = 1, max = crate::limits::MAX_ANSWER_CHARS))]
    pub text: String,
    /// Attachments, only if the inquiry allows them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = crate::limits::MAX_ATTACHMENTS))]
    pub attachments: Vec<FileRef>,
}

impl InquiryAnswerEventContent {
    /// An answer with a generated fallback in `lang`.
    pub fn new(
        inquiry: OwnedEventId,
        text: impl Into<String>,
        attachments: Vec<FileRef>,
        lang: Language,
    ) -> Self {
        let mut content = Self {
            fallback: TextFallback::default(),
            relates_to: ReferenceRelation::new(inquiry),
            text: text.into(),
            attachments,
        };
        content.fill_fallback(lang);
        content
    }

    /// Checks the answer against its inquiry.
    pub fn check_against(&self, inquiry: &InquiryEventContent) -> Result<(), ValidationError> {
        let len = self.text.chars().count();
        if len > inquiry.answer_limit() {
            return Err(ValidationError::TooLong {
                field: "text".to_owned(),
                max: inquiry.answer_limit(),
                actual: len,
            });
        }
        if !inquiry.attachments_allowed && !self.attachments.is_empty() {
            return Err(mismatch(
                "attachments",
                "the inquiry does not allow attachments",
            ));
        }
        Ok(())
    }
}

impl Validate for InquiryAnswerEventContent {
    fn validate(&self) -> Result<(), ValidationError> {
        self.fallback.check()?;
        self.relates_to.check()?;
        validate::text("text", &self.text, MAX_ANSWER_CHARS, TextKind::Multiline)?;
        check_files("attachments", &self.attachments, 0, MAX_ATTACHMENTS)
    }
}

impl FallbackText for InquiryAnswerEventContent {
    fn fallback_text(&self, lang: Language) -> String {
        let mut out = format!("{}\n\n{}", lang.pick("Antwort:", "Answer:"), self.text);
        for file in &self.attachments {
            out.push_str(&format!("\n📎 {}", file.name));
        }
        out
    }

    fn fallback_mut(&mut self) -> &mut TextFallback {
        &mut self.fallback
    }
}

/// `de.amtsbote.g2c.v1.appointment_selection`: the chosen slot, or none.
///
/// Exactly one of `slot_id` and `none_of_the_above: true` is set.
#[derive(Clone, Debug, Serialize, Deserialize, EventContent, JsonSchema)]
#[ruma_event(type = "de.amtsbote.g2c.v1.appointment_selection", kind = MessageLike)]
#[schemars(extend("oneOf" = [
    { "required": ["slot_id"], "not": { "required": ["none_of_the_above"], "properties": { "none_of_the_above": { "const": true } } } },
    { "required": ["none_of_the_above"], "properties": { "none_of_the_above": { "const": true } }, "not": { "required": ["slot_id"] } }
]))]
pub struct AppointmentSelectionEventContent {
    /// Plain-text fallback.
    #[serde(flatten)]
    pub fallback: TextFallback,
    /// The offer answered.
    #[serde(rename = "m.relates_to")]
    pub relates_to: ReferenceRelation,
    /// The chosen slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_id: Option<LocalId>,
    /// None of the offered slots suits the citizen.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub none_of_the_above: bool,
}

impl AppointmentSelectionEventContent {
    /// Selects `slot_id` (or none of the above, for `None`) of `offer`; the
    /// fallback names the slot's time and place.
    pub fn new(
        offer_event: OwnedEventId,
        offer: &AppointmentOfferEventContent,
        slot_id: Option<LocalId>,
        lang: Language,
    ) -> Self {
        let described = slot_id
            .as_ref()
            .and_then(|id| offer.slot(id))
            .map(|slot| slot.describe(lang));
        let mut content = Self {
            fallback: TextFallback::default(),
            relates_to: ReferenceRelation::new(offer_event),
            none_of_the_above: slot_id.is_none(),
            slot_id,
        };
        content.fill_fallback(lang);
        if let Some(described) = described {
            content.fallback = TextFallback::plain(format!(
                "{} {described}",
                lang.pick("Gewählter Termin:", "Chosen appointment:")
            ));
        }
        content
    }

    /// Checks the selection against its offer.
    pub fn check_against(
        &self,
        offer: &AppointmentOfferEventContent,
    ) -> Result<(), ValidationError> {
        if let Some(id) = &self.slot_id
            && offer.slot(id).is_none()
        {
            return Err(ValidationError::UnknownId {
                field: "slot_id".to_owned(),
                id: snippet(id.as_str()),
            });
        }
        if self.none_of_the_above && !offer.none_of_the_above_allowed {
            return Err(mismatch("none_of_the_above", "the offer does not allow it"));
        }
        Ok(())
    }
}

impl Validate for AppointmentSelectionEventContent {
    fn validate(&self) -> Result<(), ValidationError> {
        self.fallback.check()?;
        self.relates_to.check()?;
        match (&self.slot_id, self.none_of_the_above) {
            (Some(id), false) => id.check("slot_id"),
            (None, true) => Ok(()),
            _ => Err(mismatch(
                "slot_id",
                "exactly one of slot_id and none_of_the_above must be set",
            )),
        }
    }
}

impl FallbackText for AppointmentSelectionEventContent {
    fn fallback_text(&self, lang: Language) -> String {
        match &self.slot_id {
            Some(id) => format!(
                "{} {id}",
                lang.pick("Gewählter Termin:", "Chosen appointment:")
            ),
            None => lang
                .pick(
                    "Keiner der angebotenen Termine passt.",
                    "None of the offered appointments suits me.",
                )
                .to_owned(),
        }
    }

    fn fallback_mut(&mut self) -> &mut TextFallback {
        &mut self.fallback
    }
}

/// Files submitted for one requested document.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct SubmittedDocument {
    /// The id of the requested document.
    pub document_id: LocalId,
    /// The files, 1 to [`MAX_FILES_PER_DOCUMENT`] (e.g. front and back).
    #[schemars(length(min = 1, max = crate::limits::MAX_FILES_PER_DOCUMENT))]
    pub files: Vec<FileRef>,
}

/// `de.amtsbote.g2c.v1.documents_submission`: documents for a document request.
#[derive(Clone, Debug, Serialize, Deserialize, EventContent, JsonSchema)]
#[ruma_event(type = "de.amtsbote.g2c.v1.documents_submission", kind = MessageLike)]
pub struct DocumentsSubmissionEventContent {
    /// Plain-text fallback.
    #[serde(flatten)]
    pub fallback: TextFallback,
    /// The document request answered.
    #[serde(rename = "m.relates_to")]
    pub relates_to: ReferenceRelation,
    /// Per requested document, its files; unique document ids.
    #[schemars(length(min = 1, max = crate::limits::MAX_REQUESTED_DOCUMENTS), extend("uniqueItems" = true))]
    pub documents: Vec<SubmittedDocument>,
}

impl DocumentsSubmissionEventContent {
    /// A submission with a generated fallback in `lang`.
    pub fn new(request: OwnedEventId, documents: Vec<SubmittedDocument>, lang: Language) -> Self {
        let mut content = Self {
            fallback: TextFallback::default(),
            relates_to: ReferenceRelation::new(request),
            documents,
        };
        content.fill_fallback(lang);
        content
    }

    /// Every file hash in the submission.
    pub fn file_hashes(&self) -> impl Iterator<Item = &Sha256Hex> {
        self.documents
            .iter()
            .flat_map(|d| d.files.iter().map(|f| &f.sha256))
    }

    /// Checks the submission against its request: known ids, every required
    /// document present, MIME types accepted, sizes within the maximum.
    pub fn check_against(
        &self,
        request: &DocumentRequestEventContent,
    ) -> Result<(), ValidationError> {
        for (i, doc) in self.documents.iter().enumerate() {
            let Some(requested) = request.document(&doc.document_id) else {
                return Err(ValidationError::UnknownId {
                    field: format!("documents[{i}].document_id"),
                    id: snippet(doc.document_id.as_str()),
                });
            };
            for (j, file) in doc.files.iter().enumerate() {
                let field = format!("documents[{i}].files[{j}]");
                if !requested.accepts(&file.mimetype) {
                    return Err(ValidationError::InvalidMimeType {
                        field: format!("{field}.mimetype"),
                        value: snippet(file.mimetype.as_str()),
                    });
                }
                if file.size > requested.max_size {
                    return Err(ValidationError::InvalidSize {
                        field: format!("{field}.size"),
                        max: requested.max_size,
                        actual: file.size,
                    });
                }
            }
        }
        for requested in request.documents.iter().filter(|d| d.required) {
            if !self.documents.iter().any(|d| d.document_id == requested.id) {
                return Err(ValidationError::Missing {
                    field: format!("documents[document_id={}]", requested.id),
                });
            }
        }
        Ok(())
    }
}

impl Validate for DocumentsSubmissionEventContent {
    fn validate(&self) -> Result<(), ValidationError> {
        self.fallback.check()?;
        self.relates_to.check()?;
        validate::count(
            "documents",
            self.documents.len(),
            1,
            MAX_REQUESTED_DOCUMENTS,
        )?;
        for (i, doc) in self.documents.iter().enumerate() {
            doc.document_id
                .check(&format!("documents[{i}].document_id"))?;
            check_files(
                &format!("documents[{i}].files"),
                &doc.files,
                1,
                MAX_FILES_PER_DOCUMENT,
            )?;
        }
        validate::unique(
            "documents",
            self.documents.iter().map(|d| d.document_id.as_str()),
        )
    }
}

impl FallbackText for DocumentsSubmissionEventContent {
    fn fallback_text(&self, lang: Language) -> String {
        let mut out = lang
            .pick("Eingereichte Unterlagen:", "Submitted documents:")
            .to_owned();
        for doc in &self.documents {
            for file in &doc.files {
                out.push_str(&format!("\n📎 {} ({})", file.name, doc.document_id));
            }
        }
        out
    }

    fn fallback_mut(&mut self) -> &mut TextFallback {
        &mut self.fallback
    }
}

/// `de.amtsbote.g2c.v1.choice_selection`: the selected options.
#[derive(Clone, Debug, Serialize, Deserialize, EventContent, JsonSchema)]
#[ruma_event(type = "de.amtsbote.g2c.v1.choice_selection", kind = MessageLike)]
pub struct ChoiceSelectionEventContent {
    /// Plain-text fallback.
    #[serde(flatten)]
    pub fallback: TextFallback,
    /// The choice answered.
    #[serde(rename = "m.relates_to")]
    pub relates_to: ReferenceRelation,
    /// Selected option ids, unique; exactly one for a `single` choice.
    #[schemars(length(min = 1, max = crate::limits::MAX_OPTIONS), extend("uniqueItems" = true))]
    pub option_ids: Vec<LocalId>,
}

impl ChoiceSelectionEventContent {
    /// Selects `option_ids` of `choice`; the fallback names their labels.
    pub fn new(
        choice_event: OwnedEventId,
        choice: &ChoiceEventContent,
        option_ids: Vec<LocalId>,
        lang: Language,
    ) -> Self {
        let labels: Vec<&str> = option_ids
            .iter()
            .map(|id| choice.option(id).map_or(id.as_str(), |o| o.label.as_str()))
            .collect();
        let text = format!(
            "{} {}",
            lang.pick("Auswahl:", "Selected:"),
            labels.join(", ")
        );
        Self {
            fallback: TextFallback::plain(text),
            relates_to: ReferenceRelation::new(choice_event),
            option_ids,
        }
    }

    /// Checks the selection against its choice.
    pub fn check_against(&self, choice: &ChoiceEventContent) -> Result<(), ValidationError> {
        for (i, id) in self.option_ids.iter().enumerate() {
            if choice.option(id).is_none() {
                return Err(ValidationError::UnknownId {
                    field: format!("option_ids[{i}]"),
                    id: snippet(id.as_str()),
                });
            }
        }
        if choice.mode == ChoiceMode::Single && self.option_ids.len() != 1 {
            return Err(mismatch(
                "option_ids",
                "a single choice takes exactly one option",
            ));
        }
        Ok(())
    }
}

impl Validate for ChoiceSelectionEventContent {
    fn validate(&self) -> Result<(), ValidationError> {
        self.fallback.check()?;
        self.relates_to.check()?;
        validate::count("option_ids", self.option_ids.len(), 1, MAX_OPTIONS)?;
        for (i, id) in self.option_ids.iter().enumerate() {
            id.check(&format!("option_ids[{i}]"))?;
        }
        validate::unique("option_ids", self.option_ids.iter().map(LocalId::as_str))
    }
}

impl FallbackText for ChoiceSelectionEventContent {
    fn fallback_text(&self, lang: Language) -> String {
        let ids: Vec<&str> = self.option_ids.iter().map(LocalId::as_str).collect();
        format!("{} {}", lang.pick("Auswahl:", "Selected:"), ids.join(", "))
    }

    fn fallback_mut(&mut self) -> &mut TextFallback {
        &mut self.fallback
    }
}

/// `de.amtsbote.g2c.v1.notice_acknowledgement`: the citizen confirms having
/// received a notice, and exactly which files.
#[derive(Clone, Debug, Serialize, Deserialize, EventContent, JsonSchema)]
#[ruma_event(type = "de.amtsbote.g2c.v1.notice_acknowledgement", kind = MessageLike)]
pub struct NoticeAcknowledgementEventContent {
    /// Plain-text fallback.
    #[serde(flatten)]
    pub fallback: TextFallback,
    /// The notice acknowledged.
    #[serde(rename = "m.relates_to")]
    pub relates_to: ReferenceRelation,
    /// The notice acknowledged, repeated inside the (encrypted) content:
    /// `m.relates_to` travels in clear in encrypted rooms and is not covered
    /// by the Megolm authentication. Must equal `m.relates_to.event_id`.
    #[schemars(schema_with = "crate::ids::event_id_schema")]
    pub notice_event_id: OwnedEventId,
    /// SHA-256 of each notice attachment as received and decrypted, in the
    /// notice's order.
    #[serde(default)]
    #[schemars(length(max = crate::limits::MAX_ATTACHMENTS))]
    pub attachment_sha256: Vec<Sha256Hex>,
}

impl NoticeAcknowledgementEventContent {
    /// Acknowledges `notice`, recording the hashes of the files as received.
    pub fn new(
        notice_event: OwnedEventId,
        received_sha256: Vec<Sha256Hex>,
        lang: Language,
    ) -> Self {
        let mut content = Self {
            fallback: TextFallback::default(),
            relates_to: ReferenceRelation::new(notice_event.clone()),
            notice_event_id: notice_event,
            attachment_sha256: received_sha256,
        };
        content.fill_fallback(lang);
        content
    }

    /// Checks that the hashes received are those the notice announced.
    pub fn check_against(&self, notice: &NoticeEventContent) -> Result<(), ValidationError> {
        let announced: Vec<&Sha256Hex> = notice.attachments.iter().map(|f| &f.sha256).collect();
        let received: Vec<&Sha256Hex> = self.attachment_sha256.iter().collect();
        if announced != received {
            return Err(mismatch(
                "attachment_sha256",
                "the hashes differ from the notice's attachments",
            ));
        }
        Ok(())
    }
}

impl Validate for NoticeAcknowledgementEventContent {
    fn validate(&self) -> Result<(), ValidationError> {
        self.fallback.check()?;
        self.relates_to.check()?;
        if self.relates_to.event_id != self.notice_event_id {
            return Err(ValidationError::InvalidRelation {
                reason: "notice_event_id differs from m.relates_to.event_id",
            });
        }
        validate::count(
            "attachment_sha256",
            self.attachment_sha256.len(),
            0,
            MAX_ATTACHMENTS,
        )?;
        for (i, hash) in self.attachment_sha256.iter().enumerate() {
            hash.check(&format!("attachment_sha256[{i}]"))?;
        }
        Ok(())
    }
}

impl FallbackText for NoticeAcknowledgementEventContent {
    fn fallback_text(&self, lang: Language) -> String {
        let mut out = lang
            .pick("Empfang bestätigt.", "Receipt acknowledged.")
            .to_owned();
        for hash in &self.attachment_sha256 {
            out.push_str(&format!("\nSHA-256 {hash}"));
        }
        out
    }

    fn fallback_mut(&mut self) -> &mut TextFallback {
        &mut self.fallback
    }
}

/// Any response.
#[derive(Clone, Debug)]
pub enum Response {
    /// Answer to an inquiry.
    InquiryAnswer(InquiryAnswerEventContent),
    /// Selection of an appointment.
    AppointmentSelection(AppointmentSelectionEventContent),
    /// Documents for a document request.
    DocumentsSubmission(DocumentsSubmissionEventContent),
    /// Selection of options.
    ChoiceSelection(ChoiceSelectionEventContent),
    /// Acknowledgement of a notice.
    NoticeAcknowledgement(NoticeAcknowledgementEventContent),
}

impl Response {
    /// The prompt kind this response answers.
    pub fn prompt_kind(&self) -> PromptKind {
        match self {
            Response::InquiryAnswer(_) => PromptKind::Inquiry,
            Response::AppointmentSelection(_) => PromptKind::AppointmentOffer,
            Response::DocumentsSubmission(_) => PromptKind::DocumentRequest,
            Response::ChoiceSelection(_) => PromptKind::Choice,
            Response::NoticeAcknowledgement(_) => PromptKind::Notice,
        }
    }

    /// The event the response references.
    pub fn prompt_event_id(&self) -> &OwnedEventId {
        match self {
            Response::InquiryAnswer(c) => &c.relates_to.event_id,
            Response::AppointmentSelection(c) => &c.relates_to.event_id,
            Response::DocumentsSubmission(c) => &c.relates_to.event_id,
            Response::ChoiceSelection(c) => &c.relates_to.event_id,
            Response::NoticeAcknowledgement(c) => &c.relates_to.event_id,
        }
    }

    /// Checks the response against the prompt it references, including
    /// that the kinds match.
    pub fn check_against(&self, prompt: &Prompt) -> Result<(), ValidationError> {
        match (self, prompt) {
            (Response::InquiryAnswer(r), Prompt::Inquiry(p)) => r.check_against(p),
            (Response::AppointmentSelection(r), Prompt::AppointmentOffer(p)) => r.check_against(p),
            (Response::DocumentsSubmission(r), Prompt::DocumentRequest(p)) => r.check_against(p),
            (Response::ChoiceSelection(r), Prompt::Choice(p)) => r.check_against(p),
            (Response::NoticeAcknowledgement(r), Prompt::Notice(p)) => {
                if !p.requires_acknowledgement {
                    return Err(mismatch(
                        "m.relates_to",
                        "the notice asks for no acknowledgement",
                    ));
                }
                r.check_against(p)
            }
            _ => Err(ValidationError::InvalidRelation {
                reason: "the referenced event is a prompt of another kind",
            }),
        }
    }
}

/// The set of file hashes in a list, for receipts.
pub(crate) fn hash_set<'a>(hashes: impl IntoIterator<Item = &'a Sha256Hex>) -> BTreeSet<&'a str> {
    hashes.into_iter().map(Sha256Hex::as_str).collect()
}
