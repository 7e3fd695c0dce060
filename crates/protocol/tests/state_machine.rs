//! The request state machine: transitions, prompt states, refusals.

mod common;

use g2c_protocol::G2cEvent;
use g2c_protocol::prompt::*;
use g2c_protocol::receipt::DocumentsReceivedEventContent;
use g2c_protocol::request::{Status, StatusEventContent};
use g2c_protocol::response::*;
use g2c_protocol::state_machine::{
    PromptState, RequestStateMachine, Role, StateError, TimelineEvent, check_transition,
};
use g2c_protocol::{Language, parse_event};
use ruma::{MilliSecondsSinceUnixEpoch, OwnedEventId, UInt};

/// 2025-09-10T00:00:00Z plus `hours`.
fn at(hours: u64) -> MilliSecondsSinceUnixEpoch {
    MilliSecondsSinceUnixEpoch(UInt::new(1_757_462_400_000 + hours * 3_600_000).unwrap())
}

fn id(n: u32) -> OwnedEventId {
    OwnedEventId::try_from(format!("$event{n:04}")).unwrap()
}

fn example(short: &str) -> G2cEvent {
    let path = common::examples_dir().join(format!("valid/{short}.json"));
    parse_event(
        &common::full_type(short),
        &std::fs::read_to_string(path).unwrap(),
    )
    .unwrap()
}

fn ev(n: u32, sender: Role, hours: u64, content: G2cEvent) -> TimelineEvent {
    TimelineEvent {
        event_id: id(n),
        sender,
        origin_server_ts: at(hours),
        content,
    }
}

fn status(n: u32, status: Status, note: Option<&str>) -> TimelineEvent {
    let mut content = StatusEventContent::new(status);
    content.note = note.map(Into::into);
    ev(n, Role::Authority, 0, G2cEvent::Status(content))
}

fn choice() -> ChoiceEventContent {
    match example("choice") {
        G2cEvent::Prompt(Prompt::Choice(c)) => c,
        _ => unreachable!(),
    }
}

fn select(n: u32, prompt: u32, option: &str, hours: u64) -> TimelineEvent {
    let content =
        ChoiceSelectionEventContent::new(id(prompt), &choice(), vec![option.into()], Language::De);
    ev(
        n,
        Role::Citizen,
        hours,
        G2cEvent::Response(Response::ChoiceSelection(content)),
    )
}

#[test]
fn transition_table() {
    use Status::*;
    let ok = |from: Option<Status>, to: Status| check_transition(from.as_ref(), &to, false).is_ok();
    assert!(ok(None, Submitted));
    assert!(ok(None, InReview));
    assert!(ok(Some(Submitted), InReview));
    assert!(ok(Some(InReview), ActionRequired));
    assert!(ok(Some(ActionRequired), InReview));
    assert!(ok(Some(ActionRequired), Decided));
    assert!(ok(Some(Decided), Closed));
    assert!(ok(Some(InReview), InReview));
    assert!(!ok(Some(InReview), Submitted));
    assert!(!ok(Some(Decided), ActionRequired));
    for to in [Submitted, InReview, ActionRequired, Decided] {
        assert!(!ok(Some(Closed), to.clone()), "closed → {to}");
    }
    assert_eq!(
        check_transition(Some(&Decided), &InReview, false),
        Err(StateError::ReopenWithoutNote)
    );
    assert!(check_transition(Some(&Decided), &InReview, true).is_ok());
    assert!(!ok(None, Status::from_wire("archived")));
}

#[test]
fn illegal_transition_keeps_last_valid_state() {
    let events = [
        status(1, Status::Submitted, None),
        status(2, Status::Closed, None),
        status(3, Status::InReview, None),
    ];
    let (machine, refused) = RequestStateMachine::from_events(&events);
    assert_eq!(machine.status(), Some(&Status::Closed));
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].0, id(3));
    assert!(matches!(refused[0].1, StateError::IllegalTransition { .. }));
    let view = machine.view(at(1));
    assert_eq!(view.status_history.len(), 2);
}

#[test]
fn citizen_cannot_set_status_or_prompt() {
    let mut machine = RequestStateMachine::new();
    let mut forged = status(1, Status::Decided, None);
    forged.sender = Role::Citizen;
    assert_eq!(
        machine.apply(&forged),
        Err(StateError::NotFromAuthority(id(1)))
    );
    assert_eq!(machine.status(), None);
    let mut prompt = ev(2, Role::Authority, 0, example("choice"));
    machine.apply(&prompt).unwrap();
    prompt.event_id = id(3);
    prompt.sender = Role::Citizen;
    assert!(matches!(
        machine.apply(&prompt),
        Err(StateError::NotFromAuthority(_))
    ));
    let mut answer = select(4, 2, "mail", 1);
    answer.sender = Role::Authority;
    assert!(matches!(
        machine.apply(&answer),
        Err(StateError::NotFromCitizen(_))
    ));
}

#[test]
fn fishing_permit_story() {
    let submission = match example("documents_submission") {
        G2cEvent::Response(Response::DocumentsSubmission(mut s)) => {
            s.relates_to.event_id = id(5);
            s
        }
        _ => unreachable!(),
    };
    let hashes: Vec<_> = submission.file_hashes().cloned().collect();
    let partial = DocumentsReceivedEventContent::new(id(6), vec![hashes[0].clone()], Language::De);
    let events = vec![
        ev(1, Role::Authority, 0, example("request")),
        status(2, Status::InReview, None),
        ev(3, Role::Authority, 1, example("choice")),
        status(4, Status::ActionRequired, None),
        ev(5, Role::Authority, 1, example("document_request")),
        ev(
            6,
            Role::Citizen,
            2,
            G2cEvent::Response(Response::DocumentsSubmission(submission)),
        ),
        ev(7, Role::Authority, 3, G2cEvent::DocumentsReceived(partial)),
    ];
    let (machine, refused) = RequestStateMachine::from_events(&events);
    assert!(refused.is_empty(), "{refused:?}");
    let view = machine.view(at(4));
    assert_eq!(view.metadata.unwrap().service_name, "Angelschein");
    assert_eq!(view.status, Some(&Status::ActionRequired));
    let states: Vec<_> = view.prompts.iter().map(|p| p.state.clone()).collect();
    assert_eq!(
        states,
        vec![PromptState::Open, PromptState::Answered(id(6))]
    );
    let waiting: Vec<_> = view
        .needs_citizen_action()
        .map(|p| p.record.event_id.clone())
        .collect();
    assert_eq!(waiting, vec![id(3)]);
    // The receipt confirmed one of two files.
    let receipt = &view.prompts[1].record.receipts[0];
    assert_eq!(receipt.missing, vec![hashes[1].clone()]);
}

#[test]
fn responses_are_checked() {
    let mut machine = RequestStateMachine::new();
    machine
        .apply(&ev(1, Role::Authority, 0, example("choice")))
        .unwrap();
    // Unknown prompt.
    assert_eq!(
        machine.apply(&select(2, 99, "mail", 1)),
        Err(StateError::UnknownPrompt(id(99)))
    );
    // Option not offered.
    assert!(matches!(
        machine.apply(&select(3, 1, "drone", 1)),
        Err(StateError::ResponseMismatch { .. })
    ));
    machine.apply(&select(4, 1, "mail", 1)).unwrap();
    assert_eq!(
        machine.apply(&select(5, 1, "pickup", 1)),
        Err(StateError::AlreadyAnswered(id(1)))
    );
    assert_eq!(
        machine.apply(&select(4, 1, "mail", 1)),
        Err(StateError::Duplicate(id(4)))
    );
    assert_eq!(
        machine.view(at(1)).prompts[0].state,
        PromptState::Answered(id(4))
    );
}

#[test]
fn expiry_and_supersession() {
    // The inquiry example expires at 2025-10-01T00:00:00+02:00 (= at(502)).
    let mut machine = RequestStateMachine::new();
    machine
        .apply(&ev(1, Role::Authority, 0, example("inquiry")))
        .unwrap();
    assert_eq!(machine.view(at(501)).prompts[0].state, PromptState::Open);
    assert_eq!(machine.view(at(503)).prompts[0].state, PromptState::Expired);
    let answer = InquiryAnswerEventContent::new(id(1), "Seit 2019.", vec![], Language::De);
    let late = ev(
        2,
        Role::Citizen,
        503,
        G2cEvent::Response(Response::InquiryAnswer(answer)),
    );
    assert_eq!(machine.apply(&late), Err(StateError::Expired(id(1))));

    // A corrected choice supersedes the first one.
    let mut machine = RequestStateMachine::new();
    machine
        .apply(&ev(1, Role::Authority, 0, example("choice")))
        .unwrap();
    let mut corrected = choice();
    corrected.meta.replaces = Some(id(1));
    machine
        .apply(&ev(
            2,
            Role::Authority,
            1,
            G2cEvent::Prompt(Prompt::Choice(corrected.clone())),
        ))
        .unwrap();
    let view = machine.view(at(2));
    assert_eq!(view.prompts[0].state, PromptState::Superseded(id(2)));
    assert_eq!(view.prompts[1].state, PromptState::Open);
    assert_eq!(
        machine.apply(&select(3, 1, "mail", 2)),
        Err(StateError::Superseded(id(1)))
    );
    machine.apply(&select(4, 2, "mail", 2)).unwrap();
    // Replacing a prompt of another kind, or an unknown one, is refused.
    let mut wrong = InquiryEventContent::new("?", Language::De);
    wrong.meta.replaces = Some(id(2));
    assert_eq!(
        machine.apply(&ev(
            5,
            Role::Authority,
            3,
            G2cEvent::Prompt(Prompt::Inquiry(wrong))
        )),
        Err(StateError::InvalidReplacement(id(2)))
    );
}

#[test]
fn closing_ends_open_prompts() {
    let mut machine = RequestStateMachine::new();
    machine.apply(&status(1, Status::InReview, None)).unwrap();
    machine
        .apply(&ev(2, Role::Authority, 0, example("choice")))
        .unwrap();
    machine
        .apply(&ev(3, Role::Authority, 0, example("notice")))
        .unwrap();
    assert_eq!(machine.view(at(1)).needs_citizen_action().count(), 2);
    machine.apply(&status(4, Status::Closed, None)).unwrap();
    let view = machine.view(at(1));
    assert_eq!(view.prompts[0].state, PromptState::Closed);
    assert_eq!(view.needs_citizen_action().count(), 0);
    assert_eq!(
        machine.apply(&select(5, 2, "mail", 1)),
        Err(StateError::RequestClosed)
    );
}

#[test]
fn informational_notice_needs_no_action() {
    let mut notice = match example("notice") {
        G2cEvent::Prompt(Prompt::Notice(n)) => n,
        _ => unreachable!(),
    };
    notice.requires_acknowledgement = false;
    let mut machine = RequestStateMachine::new();
    machine
        .apply(&ev(
            1,
            Role::Authority,
            0,
            G2cEvent::Prompt(Prompt::Notice(notice)),
        ))
        .unwrap();
    assert_eq!(
        machine.view(at(1)).prompts[0].state,
        PromptState::Informational
    );
    let ack = NoticeAcknowledgementEventContent::new(id(1), vec![], Language::De);
    assert!(matches!(
        machine.apply(&ev(
            2,
            Role::Citizen,
            1,
            G2cEvent::Response(Response::NoticeAcknowledgement(ack))
        )),
        Err(StateError::ResponseMismatch { .. })
    ));
}
