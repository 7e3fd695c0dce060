//! Hostile and malformed responses are rejected with a reason and do not
//! stop the scenario runner: a slot id the offer does not contain, a
//! selection with both a slot and "none of the above", an answer that
//! references an event that is no prompt, and an answer sent into another
//! request room than its prompt's (Synapse itself refuses that relation;
//! if a server let it through, the authority rejects it: unit-tested in
//! `tracker.rs`).

mod common;

use std::time::Duration;

use common::{Behaviour, Citizen, run_citizen};
use g2c_authority::scenario::{RunOptions, Scenario, run_scenario};
use g2c_authority::{AnswerContent, AuthorityClient, Incoming, RejectionCode};
use g2c_protocol::request::RequestEventContent;
use g2c_testkit::Synapse;
use matrix_sdk::ruma::OwnedUserId;

const CASE_TIMEOUT: Duration = Duration::from_secs(240);

const SCENARIO: &str = r#"
name = "hostile"
answer_timeout_secs = 180

[request]
service_name = "Angelschein"
authority_name = "Fischereiamt Berlin"
reference_number = "FA-B-2025-000001"
submitted_at = "2025-09-01T10:15:00+02:00"

[[steps]]
action = "send_prompt"
id = "appointment"
type = "appointment_offer"
[steps.content]
text = "Bitte wählen Sie einen Termin."
none_of_the_above_allowed = true
slots = [
  { id = "a", start = "2025-09-19T09:00:00+02:00", end = "2025-09-19T09:30:00+02:00", time_zone = "Europe/Berlin", place = "Fischereiamt Berlin" },
  { id = "b", start = "2025-09-21T12:00:00+02:00", end = "2025-09-21T12:30:00+02:00", time_zone = "Europe/Berlin", place = "Fischereiamt Berlin" },
]

[[steps]]
action = "wait_for_answer"
prompt = "appointment"

[[steps]]
action = "send_prompt"
id = "inquiry"
type = "inquiry"
content = { question = "Wo haben Sie die Prüfung abgelegt?" }

[[steps]]
action = "wait_for_answer"
prompt = "inquiry"

[[steps]]
action = "send_prompt"
id = "delivery"
type = "choice"
content = { question = "Abholung oder Post?", mode = "single", options = [{ id = "pickup", label = "Abholung" }, { id = "mail", label = "Post" }] }

[[steps]]
action = "wait_for_answer"
prompt = "delivery"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_responses_are_rejected_and_the_runner_goes_on() {
    let synapse = Synapse::start().await.expect("synapse");
    let authority_user = synapse.register_user("amt").await.unwrap();
    let citizen_user = synapse.register_user("mallory").await.unwrap();
    let data_dir = tempfile::tempdir().unwrap();

    let authority = AuthorityClient::login(
        synapse.base_url(),
        data_dir.path(),
        &authority_user.localpart,
        &authority_user.password,
    )
    .await
    .unwrap();
    assert!(authority.has_cross_signing().await);
    let citizen = Citizen::login(synapse.base_url(), &citizen_user).await;
    let citizen_id = OwnedUserId::try_from(citizen_user.user_id.as_str()).unwrap();

    // A second application of the same citizen: the misplaced answer goes here.
    let other_room = authority
        .open_request_room(
            &citizen_id,
            RequestEventContent {
                service_name: "Fischereiabgabe".into(),
                authority_name: "Fischereiamt Berlin".into(),
                reference_number: "FA-B-2025-000002".into(),
                submitted_at: g2c_protocol::datetime::Rfc3339::new("2025-09-02T08:00:00+02:00"),
                description: None,
                language: None,
            },
        )
        .await
        .unwrap();

    let scenario = Scenario::from_toml_str(SCENARIO, ".").unwrap();
    let mut lines = Vec::new();
    let options = RunOptions {
        citizen: Some(citizen_id.clone()),
        ..RunOptions::default()
    };
    let authority_id = authority.user_id();
    let runner = run_scenario(&authority, &scenario, options, |item| {
        lines.push(item.to_json_line())
    });
    let citizen_run = run_citizen(&citizen, &authority_id, Behaviour::HostileFirst, |r| {
        r.answered.len() == 3
    });
    let (outcome, report) =
        tokio::time::timeout(CASE_TIMEOUT, async { tokio::join!(runner, citizen_run) })
            .await
            .expect("the case did not finish in time");
    let outcome = outcome.expect("the runner must not fail on hostile input");
    assert_eq!(report.answered, ["appointment_offer", "inquiry", "choice"]);

    // Three accepted answers, the right ones.
    assert_eq!(outcome.answers.len(), 3, "{lines:#?}");
    let AnswerContent::AppointmentSelection(selection) = &outcome.answers[0].content else {
        panic!("first answer is not the appointment: {lines:#?}");
    };
    assert_eq!(selection.slot_id.as_ref().unwrap().as_str(), "b");

    // Three rejections, each with its reason.
    let rejection = |code: RejectionCode| {
        outcome
            .rejections
            .iter()
            .find(|r| r.code == code)
            .unwrap_or_else(|| panic!("no {code:?} rejection in {lines:#?}"))
    };
    let unknown_slot = rejection(RejectionCode::DoesNotFit);
    assert!(
        unknown_slot.reason.contains("slot_id"),
        "{}",
        unknown_slot.reason
    );
    assert_eq!(
        unknown_slot.prompt_event_id.as_ref(),
        Some(&outcome.prompts["appointment"])
    );
    let malformed = rejection(RejectionCode::Invalid);
    assert!(malformed.reason.contains("slot_id"), "{}", malformed.reason);
    let not_a_prompt = rejection(RejectionCode::UnknownPrompt);
    assert_eq!(
        not_a_prompt.prompt_event_id.as_ref(),
        Some(&outcome.answers[0].event_id),
        "the reference pointed at the citizen's own answer"
    );
    // The answer sent into the other room: refused by the homeserver, or
    // rejected here; never accepted.
    let cross_room = outcome
        .rejections
        .iter()
        .find(|r| r.code == RejectionCode::PromptInOtherRoom);
    match (&report.cross_room_refused_by_server, cross_room) {
        (Some(error), None) => assert!(error.contains("same room"), "{error}"),
        (None, Some(misplaced)) => {
            assert_eq!(misplaced.room_id, other_room);
            assert_eq!(
                misplaced.prompt_event_id.as_ref(),
                Some(&outcome.prompts["inquiry"])
            );
        }
        other => panic!("cross-room answer neither refused nor rejected: {other:?}"),
    }
    assert!(outcome.answers.iter().all(|a| a.room_id != other_room));
    let expected = 3 + usize::from(cross_room.is_some());
    assert_eq!(outcome.rejections.len(), expected, "{lines:#?}");

    // The runner printed every item as a JSON line, rejections included,
    // and the appointment's rejections before its accepted answer.
    assert_eq!(lines.len(), 3 + expected);
    let parsed: Vec<Incoming> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first_answer = parsed
        .iter()
        .position(|i| matches!(i, Incoming::Answer(_)))
        .unwrap();
    assert_eq!(first_answer, 2, "{lines:#?}");
    assert!(lines[0].contains(r#""outcome":"rejected""#));
    assert!(lines[0].contains(r#""code":"does_not_fit""#));
}
