//! The request state machine: from the G2C events of a room to the
//! request's view (status, prompts and what needs the citizen).
//!
//! Pure: events and the current time are passed in. Events are applied in
//! timeline order with [`RequestStateMachine::apply`]; an event that breaks a
//! rule is refused with a [`StateError`] and leaves the state as it was.
//!
//! Status transitions (`—` = not allowed; the same status again is always
//! allowed, e.g. to change the note):
//!
//! | from \ to         | submitted | in_review | action_required | decided | closed |
//! |-------------------|-----------|-----------|-----------------|---------|--------|
//! | (none)            | yes       | yes       | yes             | yes     | yes    |
//! | submitted         | =         | yes       | yes             | yes     | yes    |
//! | in_review         | —         | =         | yes             | yes     | yes    |
//! | action_required   | —         | yes       | =               | yes     | yes    |
//! | decided           | —         | reopen¹   | —               | =       | yes    |
//! | closed            | —         | —         | —               | —       | =      |
//!
//! ¹ Reopening a decided request (e.g. after an objection) needs a `note`
//! giving the reason. `closed` is final; nothing goes back to `submitted`.
//!
//! Prompts are open until answered, expired (`expires_at` before `now`),
//! superseded (a later prompt of the same kind names it in `replaces`) or
//! the request is closed. Only the first valid response counts.

use std::collections::BTreeMap;

use ruma::{MilliSecondsSinceUnixEpoch, OwnedEventId};
use thiserror::Error;

use crate::error::ValidationError;
use crate::event::G2cEvent;
use crate::ids::Sha256Hex;
use crate::prompt::{Prompt, PromptKind};
use crate::receipt::DocumentsReceivedEventContent;
use crate::request::{RequestEventContent, Status};
use crate::response::Response;

/// Who sent an event, as established by the caller (verified identities:
/// the authority's users versus the citizen).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The authority (its domain IT system or a clerk).
    Authority,
    /// The citizen.
    Citizen,
}

/// One G2C event of the room's timeline, already parsed and validated.
#[derive(Clone, Debug)]
pub struct TimelineEvent {
    /// The event id.
    pub event_id: OwnedEventId,
    /// Who sent it.
    pub sender: Role,
    /// The server's timestamp (used to judge responses against expiry).
    pub origin_server_ts: MilliSecondsSinceUnixEpoch,
    /// The content.
    pub content: G2cEvent,
}

/// Why an event was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StateError {
    /// The event id was applied before.
    #[error("event {0} was already applied")]
    Duplicate(OwnedEventId),
    /// Metadata, status, prompts and receipts come only from the authority.
    #[error("event {0} must come from the authority")]
    NotFromAuthority(OwnedEventId),
    /// Responses come only from the citizen.
    #[error("event {0} must come from the citizen")]
    NotFromCitizen(OwnedEventId),
    /// The status change is not in the transition table.
    #[error("status cannot change from {from} to {to}")]
    IllegalTransition {
        /// Current status (`none` before the first).
        from: String,
        /// Requested status.
        to: String,
    },
    /// Reopening a decided request needs a note.
    #[error("reopening a decided request needs a note")]
    ReopenWithoutNote,
    /// The request is closed: no more prompts or responses.
    #[error("the request is closed")]
    RequestClosed,
    /// `replaces` names no earlier prompt of the same kind.
    #[error("prompt replaces {0}, which is no earlier open prompt of the same kind")]
    InvalidReplacement(OwnedEventId),
    /// The referenced event is not a known prompt.
    #[error("{0} is not a known prompt")]
    UnknownPrompt(OwnedEventId),
    /// The prompt has been answered already.
    #[error("prompt {0} is already answered")]
    AlreadyAnswered(OwnedEventId),
    /// The prompt was superseded.
    #[error("prompt {0} was superseded")]
    Superseded(OwnedEventId),
    /// The response arrived after the prompt expired.
    #[error("prompt {0} had expired")]
    Expired(OwnedEventId),
    /// The response does not fit its prompt.
    #[error("response does not fit prompt {prompt}: {source}")]
    ResponseMismatch {
        /// The prompt.
        prompt: OwnedEventId,
        /// The rule broken.
        #[source]
        source: ValidationError,
    },
    /// The receipt references no known documents submission.
    #[error("{0} is not a known documents submission")]
    UnknownSubmission(OwnedEventId),
    /// The receipt confirms files that were not submitted.
    #[error("receipt does not fit the submission: {0}")]
    ReceiptMismatch(#[source] ValidationError),
}

/// A status change as it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// The status event.
    pub event_id: OwnedEventId,
    /// When the server received it.
    pub at: MilliSecondsSinceUnixEpoch,
    /// The new status.
    pub status: Status,
    /// Its note.
    pub note: Option<String>,
}

/// Checks a status change against the transition table (see the module docs).
pub fn check_transition(
    from: Option<&Status>,
    to: &Status,
    has_note: bool,
) -> Result<(), StateError> {
    use Status as S;
    let illegal = || StateError::IllegalTransition {
        from: from.map_or_else(|| "none".to_owned(), |s| s.as_str().to_owned()),
        to: to.as_str().to_owned(),
    };
    if matches!(to, S::Unknown(_)) {
        return Err(illegal());
    }
    let Some(from) = from else { return Ok(()) };
    if from == to {
        return Ok(());
    }
    let allowed = match (from, to) {
        (S::Submitted, S::InReview | S::ActionRequired | S::Decided | S::Closed) => true,
        (S::InReview, S::ActionRequired | S::Decided | S::Closed) => true,
        (S::ActionRequired, S::InReview | S::Decided | S::Closed) => true,
        (S::Decided, S::Closed) => true,
        (S::Decided, S::InReview) => {
            if !has_note {
                return Err(StateError::ReopenWithoutNote);
            }
            true
        }
        _ => false,
    };
    if allowed { Ok(()) } else { Err(illegal()) }
}

/// A documents receipt as applied.
#[derive(Clone, Debug)]
pub struct ReceiptRecord {
    /// The receipt event.
    pub event_id: OwnedEventId,
    /// Submitted files the receipt does not confirm (empty: all arrived).
    pub missing: Vec<Sha256Hex>,
    /// The receipt.
    pub content: DocumentsReceivedEventContent,
}

/// A prompt and what happened to it.
#[derive(Clone, Debug)]
pub struct PromptRecord {
    /// The prompt event.
    pub event_id: OwnedEventId,
    /// When the server received it.
    pub sent_at: MilliSecondsSinceUnixEpoch,
    /// The prompt.
    pub prompt: Prompt,
    /// The first valid response.
    pub response: Option<(OwnedEventId, Response)>,
    /// The prompt that superseded this one.
    pub superseded_by: Option<OwnedEventId>,
    /// Receipts for the response (documents submissions only).
    pub receipts: Vec<ReceiptRecord>,
}

/// What a prompt looks like at a given time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptState {
    /// Waiting for the citizen.
    Open,
    /// Answered by the given response.
    Answered(OwnedEventId),
    /// Not answered before `expires_at`.
    Expired,
    /// Replaced by a newer prompt.
    Superseded(OwnedEventId),
    /// No answer expected (a notice without acknowledgement).
    Informational,
    /// Not answered before the request was closed.
    Closed,
}

/// A prompt in the request view.
#[derive(Clone, Debug)]
pub struct PromptView<'a> {
    /// The prompt and its history.
    pub record: &'a PromptRecord,
    /// Its state at `now`.
    pub state: PromptState,
}

/// The request as the UI shows it.
#[derive(Clone, Debug)]
pub struct RequestView<'a> {
    /// The metadata, once sent.
    pub metadata: Option<&'a RequestEventContent>,
    /// The current status, once sent.
    pub status: Option<&'a Status>,
    /// Every applied status change, oldest first.
    pub status_history: &'a [StatusChange],
    /// Every prompt, oldest first.
    pub prompts: Vec<PromptView<'a>>,
}

impl RequestView<'_> {
    /// Prompts waiting for the citizen.
    pub fn needs_citizen_action(&self) -> impl Iterator<Item = &PromptView<'_>> {
        self.prompts.iter().filter(|p| p.state == PromptState::Open)
    }
}

/// The state of one request, built from its room's G2C events.
#[derive(Clone, Debug, Default)]
pub struct RequestStateMachine {
    metadata: Option<RequestEventContent>,
    history: Vec<StatusChange>,
    prompts: Vec<PromptRecord>,
    /// Event id → index in `prompts` (prompts and responses).
    index: BTreeMap<OwnedEventId, usize>,
    /// Documents submission event id → prompt index.
    submissions: BTreeMap<OwnedEventId, usize>,
    /// Every event id applied.
    seen: std::collections::BTreeSet<OwnedEventId>,
}

impl RequestStateMachine {
    /// An empty request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies events in order; returns the machine and the refused events.
    pub fn from_events<'e>(
        events: impl IntoIterator<Item = &'e TimelineEvent>,
    ) -> (Self, Vec<(OwnedEventId, StateError)>) {
        let mut machine = Self::new();
        let mut refused = Vec::new();
        for event in events {
            if let Err(e) = machine.apply(event) {
                refused.push((event.event_id.clone(), e));
            }
        }
        (machine, refused)
    }

    /// The current status.
    pub fn status(&self) -> Option<&Status> {
        self.history.last().map(|c| &c.status)
    }

    fn closed(&self) -> bool {
        self.status() == Some(&Status::Closed)
    }

    /// Applies one event; on error nothing changes.
    pub fn apply(&mut self, event: &TimelineEvent) -> Result<(), StateError> {
        if self.seen.contains(&event.event_id) {
            return Err(StateError::Duplicate(event.event_id.clone()));
        }
        let need = |role: Role| {
            if event.sender == role {
                Ok(())
            } else if role == Role::Authority {
                Err(StateError::NotFromAuthority(event.event_id.clone()))
            } else {
                Err(StateError::NotFromCitizen(event.event_id.clone()))
            }
        };
        match &event.content {
            G2cEvent::Request(content) => {
                need(Role::Authority)?;
                self.metadata = Some(content.clone());
            }
            G2cEvent::Status(content) => {
                need(Role::Authority)?;
                check_transition(self.status(), &content.status, content.note.is_some())?;
                self.history.push(StatusChange {
                    event_id: event.event_id.clone(),
                    at: event.origin_server_ts,
                    status: content.status.clone(),
                    note: content.note.clone(),
                });
            }
            G2cEvent::Prompt(prompt) => {
                need(Role::Authority)?;
                self.apply_prompt(event, prompt)?;
            }
            G2cEvent::Response(response) => {
                need(Role::Citizen)?;
                self.apply_response(event, response)?;
            }
            G2cEvent::DocumentsReceived(receipt) => {
                need(Role::Authority)?;
                self.apply_receipt(event, receipt)?;
            }
        }
        self.seen.insert(event.event_id.clone());
        Ok(())
    }

    fn apply_prompt(&mut self, event: &TimelineEvent, prompt: &Prompt) -> Result<(), StateError> {
        if self.closed() {
            return Err(StateError::RequestClosed);
        }
        let replaced = match &prompt.meta().replaces {
            Some(old) => {
                let i = self
                    .index
                    .get(old)
                    .copied()
                    .filter(|&i| {
                        let r = &self.prompts[i];
                        &r.event_id == old
                            && r.prompt.kind() == prompt.kind()
                            && r.superseded_by.is_none()
                            && r.response.is_none()
                    })
                    .ok_or_else(|| StateError::InvalidReplacement(old.clone()))?;
                Some(i)
            }
            None => None,
        };
        if let Some(i) = replaced {
            self.prompts[i].superseded_by = Some(event.event_id.clone());
        }
        self.index
            .insert(event.event_id.clone(), self.prompts.len());
        self.prompts.push(PromptRecord {
            event_id: event.event_id.clone(),
            sent_at: event.origin_server_ts,
            prompt: prompt.clone(),
            response: None,
            superseded_by: None,
            receipts: Vec::new(),
        });
        Ok(())
    }

    fn apply_response(
        &mut self,
        event: &TimelineEvent,
        response: &Response,
    ) -> Result<(), StateError> {
        if self.closed() {
            return Err(StateError::RequestClosed);
        }
        let target = response.prompt_event_id();
        let i = self
            .index
            .get(target)
            .copied()
            .filter(|&i| &self.prompts[i].event_id == target)
            .ok_or_else(|| StateError::UnknownPrompt(target.clone()))?;
        let record = &self.prompts[i];
        if record.superseded_by.is_some() {
            return Err(StateError::Superseded(target.clone()));
        }
        if record.response.is_some() {
            return Err(StateError::AlreadyAnswered(target.clone()));
        }
        if let Some(expires) = record.prompt.meta().expires()
            && ts_millis(event.origin_server_ts) > expires.as_millisecond()
        {
            return Err(StateError::Expired(target.clone()));
        }
        response
            .check_against(&record.prompt)
            .map_err(|source| StateError::ResponseMismatch {
                prompt: target.clone(),
                source,
            })?;
        self.prompts[i].response = Some((event.event_id.clone(), response.clone()));
        if response.prompt_kind() == PromptKind::DocumentRequest {
            self.submissions.insert(event.event_id.clone(), i);
        }
        Ok(())
    }

    fn apply_receipt(
        &mut self,
        event: &TimelineEvent,
        receipt: &DocumentsReceivedEventContent,
    ) -> Result<(), StateError> {
        let submission = &receipt.submission_event_id;
        let i = *self
            .submissions
            .get(submission)
            .ok_or_else(|| StateError::UnknownSubmission(submission.clone()))?;
        let Some((_, Response::DocumentsSubmission(submitted))) = &self.prompts[i].response else {
            return Err(StateError::UnknownSubmission(submission.clone()));
        };
        let missing = receipt
            .missing_from(submitted)
            .map_err(StateError::ReceiptMismatch)?
            .into_iter()
            .cloned()
            .collect();
        self.prompts[i].receipts.push(ReceiptRecord {
            event_id: event.event_id.clone(),
            missing,
            content: receipt.clone(),
        });
        Ok(())
    }

    /// The request's view at `now`.
    pub fn view(&self, now: MilliSecondsSinceUnixEpoch) -> RequestView<'_> {
        let now = ts_millis(now);
        let closed = self.closed();
        let prompts = self
            .prompts
            .iter()
            .map(|record| {
                let state = if let Some(by) = &record.superseded_by {
                    PromptState::Superseded(by.clone())
                } else if let Some((id, _)) = &record.response {
                    PromptState::Answered(id.clone())
                } else if !record.prompt.expects_response() {
                    PromptState::Informational
                } else if record
                    .prompt
                    .meta()
                    .expires()
                    .is_some_and(|e| e.as_millisecond() < now)
                {
                    PromptState::Expired
                } else if closed {
                    PromptState::Closed
                } else {
                    PromptState::Open
                };
                PromptView { record, state }
            })
            .collect();
        RequestView {
            metadata: self.metadata.as_ref(),
            status: self.status(),
            status_history: &self.history,
            prompts,
        }
    }
}

fn ts_millis(ts: MilliSecondsSinceUnixEpoch) -> i64 {
    i64::try_from(u64::from(ts.get())).unwrap_or(i64::MAX)
}
