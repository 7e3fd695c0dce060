//! Per-room request state on the authority's side: every G2C event of a
//! request room goes through the protocol's [`RequestStateMachine`], which
//! decides whether a citizen's response is accepted (an [`Answer`]) or
//! refused (a [`Rejection`] with the reason).
//!
//! The authority's own events (metadata, status, prompts, receipts) are fed
//! in when they are sent and again when sync echoes them (duplicates are
//! ignored). Pure and synchronous: the sync task and the client share it
//! behind a mutex.

use std::collections::{HashMap, HashSet};

use g2c_protocol::prompt::Prompt;
use g2c_protocol::request::Status;
use g2c_protocol::response::DocumentsSubmissionEventContent;
use g2c_protocol::state_machine::{RequestStateMachine, Role, StateError, TimelineEvent};
use g2c_protocol::{G2cEvent, ParseError, parse_event};
use matrix_sdk::ruma::{
    MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedRoomId, OwnedUserId, UInt, UserId,
};

use crate::answer::{Answer, Incoming, Rejection, RejectionCode};

/// Prefix of every G2C event type, of any version.
pub(crate) const G2C_TYPE_PREFIX: &str = "de.amtsbote.g2c.";

/// One decrypted room event, as the tracker needs it.
#[derive(Clone, Debug)]
pub struct RoomEvent {
    /// The room.
    pub room_id: OwnedRoomId,
    /// The event.
    pub event_id: OwnedEventId,
    /// Its sender.
    pub sender: OwnedUserId,
    /// The server's timestamp (ms).
    pub origin_server_ts: u64,
    /// The (decrypted) event type.
    pub event_type: String,
    /// The raw JSON content.
    pub content: String,
    /// Whether it arrived Megolm-encrypted.
    pub encrypted: bool,
}

/// The authority's view of all its request rooms.
#[derive(Debug)]
pub struct Tracker {
    own_user: OwnedUserId,
    rooms: HashMap<OwnedRoomId, RequestStateMachine>,
    /// Prompt event id → its room.
    prompt_rooms: HashMap<OwnedEventId, OwnedRoomId>,
    /// Prompt event id → scenario label.
    labels: HashMap<OwnedEventId, String>,
    /// Accepted responses by response event id.
    accepted: HashMap<OwnedEventId, Answer>,
    /// Citizen events already classified (sync may deliver them again).
    processed: HashSet<OwnedEventId>,
}

impl Tracker {
    /// A tracker for the authority account `own_user`.
    pub fn new(own_user: OwnedUserId) -> Self {
        Self {
            own_user,
            rooms: HashMap::new(),
            prompt_rooms: HashMap::new(),
            labels: HashMap::new(),
            accepted: HashMap::new(),
            processed: HashSet::new(),
        }
    }

    /// Names a prompt for answers (the scenario's step id).
    pub fn label(&mut self, prompt: OwnedEventId, label: String) {
        self.labels.insert(prompt, label);
    }

    /// Records an event the authority sent (or that sync echoed). Returns
    /// the state machine's refusal, if any; a duplicate is not an error.
    pub fn record_own(
        &mut self,
        room_id: &OwnedRoomId,
        event_id: OwnedEventId,
        origin_server_ts: u64,
        content: G2cEvent,
    ) -> Result<(), StateError> {
        if let G2cEvent::Prompt(_) = &content {
            self.prompt_rooms.insert(event_id.clone(), room_id.clone());
        }
        let machine = self.rooms.entry(room_id.clone()).or_default();
        match machine.apply(&TimelineEvent {
            event_id,
            sender: Role::Authority,
            origin_server_ts: ts(origin_server_ts),
            content,
        }) {
            Ok(()) | Err(StateError::Duplicate(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The current status of a request room, as far as seen.
    pub fn status(&self, room_id: &OwnedRoomId) -> Option<Status> {
        self.rooms.get(room_id).and_then(|m| m.status().cloned())
    }

    /// Whether `prompt` is a known prompt of `room_id`.
    pub fn knows_prompt(&self, room_id: &OwnedRoomId, prompt: &OwnedEventId) -> bool {
        self.prompt_rooms.get(prompt) == Some(room_id)
    }

    /// Whether `prompt` is a known prompt of any room.
    pub fn knows_prompt_anywhere(&self, prompt: &OwnedEventId) -> bool {
        self.prompt_rooms.contains_key(prompt)
    }

    /// The prompt a known prompt event id names.
    pub fn prompt(&self, room_id: &OwnedRoomId, prompt: &OwnedEventId) -> Option<Prompt> {
        let machine = self.rooms.get(room_id)?;
        let view = machine.view(MilliSecondsSinceUnixEpoch::now());
        view.prompts
            .iter()
            .find(|p| &p.record.event_id == prompt)
            .map(|p| p.record.prompt.clone())
    }

    /// An accepted documents submission.
    pub fn submission(
        &self,
        room_id: &OwnedRoomId,
        submission: &OwnedEventId,
    ) -> Option<DocumentsSubmissionEventContent> {
        let answer = self.accepted.get(submission)?;
        if &answer.room_id != room_id {
            return None;
        }
        match &answer.content {
            crate::answer::AnswerContent::DocumentsSubmission(c) => Some(c.clone()),
            _ => None,
        }
    }

    /// The accepted answer to `prompt`, if any.
    pub fn answer_to(&self, prompt: &OwnedEventId) -> Option<&Answer> {
        self.accepted
            .values()
            .find(|a| &a.prompt_event_id == prompt)
    }

    /// If `event` is a citizen's response to a prompt this tracker does not
    /// know in its room, the prompt's id (the caller may fetch it).
    pub fn missing_prompt(&self, event: &RoomEvent) -> Option<OwnedEventId> {
        if event.sender == self.own_user || !is_response_type(&event.event_type) {
            return None;
        }
        let target = referenced_event(&event.content)?;
        (!self.prompt_rooms.contains_key(&target)).then_some(target)
    }

    /// Classifies one event of a request room. `room_encrypted`: whether the
    /// room has `m.room.encryption`. `None` for events that are not G2C,
    /// the authority's own, or seen before.
    pub fn handle(&mut self, event: RoomEvent, room_encrypted: bool) -> Option<Incoming> {
        if !event.event_type.starts_with(G2C_TYPE_PREFIX) {
            return None;
        }
        let parsed = parse_event(&event.event_type, &event.content);
        if event.sender == self.own_user {
            if let Ok(content) = parsed
                && let Err(e) = self.record_own(
                    &event.room_id,
                    event.event_id.clone(),
                    event.origin_server_ts,
                    content,
                )
            {
                tracing::warn!(event_id = %event.event_id, error = %e, "own event refused by the state machine");
            }
            return None;
        }
        if !self.processed.insert(event.event_id.clone()) {
            return None;
        }
        let reject = |code: RejectionCode, reason: String, prompt: Option<OwnedEventId>| {
            Some(Incoming::Rejected(Rejection {
                room_id: event.room_id.clone(),
                event_id: event.event_id.clone(),
                sender: event.sender.clone(),
                event_type: event.event_type.clone(),
                prompt_event_id: prompt,
                code,
                reason,
            }))
        };
        let claimed_prompt = referenced_event(&event.content);
        if room_encrypted && !event.encrypted {
            return reject(
                RejectionCode::NotEncrypted,
                "sent unencrypted into an end-to-end encrypted request room".into(),
                claimed_prompt,
            );
        }
        let content = match parsed {
            Ok(content) => content,
            Err(e) => {
                let code = if e.is_unsupported() {
                    RejectionCode::Unsupported
                } else {
                    RejectionCode::Invalid
                };
                return reject(code, parse_reason(&e), claimed_prompt);
            }
        };
        let G2cEvent::Response(response) = content else {
            return reject(
                RejectionCode::NotFromAuthority,
                format!("{} events come only from the authority", event.event_type),
                None,
            );
        };
        let target = response.prompt_event_id().clone();
        if let Some(other) = self.prompt_rooms.get(&target)
            && other != &event.room_id
        {
            return reject(
                RejectionCode::PromptInOtherRoom,
                format!("references prompt {target}, which belongs to another request room"),
                Some(target),
            );
        }
        let machine = self.rooms.entry(event.room_id.clone()).or_default();
        let applied = machine.apply(&TimelineEvent {
            event_id: event.event_id.clone(),
            sender: Role::Citizen,
            origin_server_ts: ts(event.origin_server_ts),
            content: G2cEvent::Response(response.clone()),
        });
        if let Err(e) = applied {
            return reject(state_code(&e), e.to_string(), Some(target));
        }
        let answer = Answer {
            room_id: event.room_id.clone(),
            event_id: event.event_id.clone(),
            sender: event.sender.clone(),
            origin_server_ts: event.origin_server_ts,
            prompt_label: self.labels.get(&target).cloned(),
            prompt_event_id: target,
            encrypted: event.encrypted,
            content: response.into(),
        };
        self.accepted.insert(event.event_id.clone(), answer.clone());
        Some(Incoming::Answer(answer))
    }

    /// Whether `user` is this tracker's own (authority) account.
    pub fn is_own(&self, user: &UserId) -> bool {
        self.own_user == user
    }
}

/// Whether a G2C type is a response type of this protocol version.
fn is_response_type(event_type: &str) -> bool {
    matches!(
        g2c_protocol::G2cEventType::from_event_type(event_type),
        Some(
            g2c_protocol::G2cEventType::InquiryAnswer
                | g2c_protocol::G2cEventType::AppointmentSelection
                | g2c_protocol::G2cEventType::DocumentsSubmission
                | g2c_protocol::G2cEventType::ChoiceSelection
                | g2c_protocol::G2cEventType::NoticeAcknowledgement
        )
    )
}

/// `m.relates_to.event_id` of a raw content, if it is there and well-formed.
fn referenced_event(content: &str) -> Option<OwnedEventId> {
    #[derive(serde::Deserialize)]
    struct Relates {
        event_id: OwnedEventId,
    }
    #[derive(serde::Deserialize)]
    struct Content {
        #[serde(rename = "m.relates_to")]
        relates_to: Relates,
    }
    if content.len() > g2c_protocol::limits::MAX_EVENT_BYTES {
        return None;
    }
    serde_json::from_str::<Content>(content)
        .ok()
        .map(|c| c.relates_to.event_id)
}

fn parse_reason(e: &ParseError) -> String {
    e.to_string()
}

fn state_code(e: &StateError) -> RejectionCode {
    match e {
        StateError::UnknownPrompt(_) => RejectionCode::UnknownPrompt,
        StateError::AlreadyAnswered(_) => RejectionCode::AlreadyAnswered,
        StateError::Superseded(_) => RejectionCode::Superseded,
        StateError::Expired(_) => RejectionCode::Expired,
        StateError::RequestClosed => RejectionCode::RequestClosed,
        StateError::ResponseMismatch { .. } => RejectionCode::DoesNotFit,
        StateError::NotFromAuthority(_) => RejectionCode::NotFromAuthority,
        _ => RejectionCode::Other,
    }
}

fn ts(ms: u64) -> MilliSecondsSinceUnixEpoch {
    MilliSecondsSinceUnixEpoch(UInt::new_saturating(ms))
}

#[cfg(test)]
mod tests {
    use g2c_protocol::ids::LocalId;
    use g2c_protocol::prompt::{ChoiceEventContent, ChoiceMode, ChoiceOption};
    use g2c_protocol::response::ChoiceSelectionEventContent;
    use matrix_sdk::ruma::{owned_event_id, owned_room_id, owned_user_id};

    use super::*;
    use crate::answer::AnswerContent;

    fn choice() -> ChoiceEventContent {
        ChoiceEventContent::new(
            "Abholung oder Post?",
            ChoiceMode::Single,
            vec![
                ChoiceOption {
                    id: LocalId::new("pickup"),
                    label: "Abholung".into(),
                },
                ChoiceOption {
                    id: LocalId::new("mail"),
                    label: "Post".into(),
                },
            ],
            g2c_protocol::Language::De,
        )
    }

    fn tracker_with_prompt() -> (Tracker, OwnedRoomId, OwnedEventId) {
        let mut tracker = Tracker::new(owned_user_id!("@amt:example.org"));
        let room = owned_room_id!("!a:example.org");
        let prompt = owned_event_id!("$choice");
        tracker
            .record_own(
                &room,
                prompt.clone(),
                1,
                G2cEvent::Prompt(Prompt::Choice(choice())),
            )
            .unwrap();
        tracker.label(prompt.clone(), "delivery".into());
        (tracker, room, prompt)
    }

    fn response(room: &OwnedRoomId, id: &str, prompt: &OwnedEventId, option: &str) -> RoomEvent {
        let content = ChoiceSelectionEventContent::new(
            prompt.clone(),
            &choice(),
            vec![LocalId::new(option)],
            g2c_protocol::Language::De,
        );
        RoomEvent {
            room_id: room.clone(),
            event_id: OwnedEventId::try_from(id).unwrap(),
            sender: owned_user_id!("@erika:example.org"),
            origin_server_ts: 2,
            event_type: g2c_protocol::event::CHOICE_SELECTION.into(),
            content: serde_json::to_string(&content).unwrap(),
            encrypted: true,
        }
    }

    fn code(item: Option<Incoming>) -> RejectionCode {
        match item {
            Some(Incoming::Rejected(r)) => {
                assert!(!r.reason.is_empty());
                r.code
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn a_fitting_response_is_an_answer_and_only_the_first_counts() {
        let (mut tracker, room, prompt) = tracker_with_prompt();
        let Some(Incoming::Answer(answer)) =
            tracker.handle(response(&room, "$r1", &prompt, "mail"), true)
        else {
            panic!("not accepted");
        };
        assert_eq!(answer.prompt_label.as_deref(), Some("delivery"));
        assert!(matches!(answer.content, AnswerContent::ChoiceSelection(_)));
        let json = Incoming::Answer(answer).to_json_line();
        assert!(json.contains(r#""kind":"choice_selection""#), "{json}");
        assert!(!json.contains('\n'));
        assert_eq!(
            code(tracker.handle(response(&room, "$r2", &prompt, "pickup"), true)),
            RejectionCode::AlreadyAnswered
        );
        // Sync delivering the same event again yields nothing.
        assert!(
            tracker
                .handle(response(&room, "$r1", &prompt, "mail"), true)
                .is_none()
        );
    }

    #[test]
    fn unknown_options_other_rooms_and_unknown_prompts_are_rejected() {
        let (mut tracker, room, prompt) = tracker_with_prompt();
        assert_eq!(
            code(tracker.handle(response(&room, "$r1", &prompt, "teleport"), true)),
            RejectionCode::DoesNotFit
        );
        let other = owned_room_id!("!b:example.org");
        assert_eq!(
            code(tracker.handle(response(&other, "$r2", &prompt, "mail"), true)),
            RejectionCode::PromptInOtherRoom
        );
        let nowhere = owned_event_id!("$nowhere");
        assert_eq!(
            code(tracker.handle(response(&room, "$r3", &nowhere, "mail"), true)),
            RejectionCode::UnknownPrompt
        );
        // The prompt is still open for a proper answer.
        assert!(matches!(
            tracker.handle(response(&room, "$r4", &prompt, "mail"), true),
            Some(Incoming::Answer(_))
        ));
    }

    #[test]
    fn plaintext_malformed_and_authority_only_events_are_rejected() {
        let (mut tracker, room, prompt) = tracker_with_prompt();
        let mut plain = response(&room, "$p", &prompt, "mail");
        plain.encrypted = false;
        assert_eq!(
            code(tracker.handle(plain, true)),
            RejectionCode::NotEncrypted
        );

        let mut broken = response(&room, "$b", &prompt, "mail");
        broken.content = r#"{"body":"x","option_ids":"not a list"}"#.into();
        assert_eq!(code(tracker.handle(broken, true)), RejectionCode::Invalid);

        let mut future = response(&room, "$f", &prompt, "mail");
        future.event_type = "de.amtsbote.g2c.v9.hologram".into();
        assert_eq!(
            code(tracker.handle(future, true)),
            RejectionCode::Unsupported
        );

        let mut forged = response(&room, "$s", &prompt, "mail");
        forged.event_type = g2c_protocol::event::STATUS.into();
        forged.content = r#"{"status":"decided"}"#.into();
        assert_eq!(
            code(tracker.handle(forged, true)),
            RejectionCode::NotFromAuthority
        );
        assert_eq!(tracker.status(&room), None);

        let mut chat = response(&room, "$m", &prompt, "mail");
        chat.event_type = "m.room.message".into();
        assert!(
            tracker.handle(chat, true).is_none(),
            "non-G2C events are ignored"
        );
    }
}
