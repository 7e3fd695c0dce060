//! The request page against a real Synapse and the real authority library:
//! the fishing-permit scenario answered entirely through the citizen's
//! request API; hostile events shown as "cannot display"; an answer given
//! while the homeserver is down delivered after it returns; bad documents
//! refused before any upload.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{TestAuthority, WAIT, fast_sync, login, login_authority, wait_until};
use g2c_authority::Incoming;
use g2c_authority::answer::AnswerContent as AuthorityAnswer;
use g2c_authority::scenario::{RunOptions, Scenario, run_scenario};
use g2c_core::documents::DocumentError;
use g2c_core::request_page::{
    AnswerContent, AnswerSendState, CannotDisplayReason, DocumentRefusal, PromptContent,
    PromptItem, PromptStatus, RequestDetail, TimelineContent,
};
use g2c_core::{CitizenClient, CoreError, CoreEvent, SendState};
use g2c_protocol::Language;
use g2c_protocol::datetime::Rfc3339;
use g2c_protocol::prompt::{InquiryEventContent, Prompt};
use g2c_protocol::request::RequestEventContent;
use matrix_sdk::ruma::{OwnedUserId, RoomId};
use sha2::{Digest, Sha256};

fn scenario_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/fishing-permit.toml")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A minimal well-formed PDF of about `size` bytes.
fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.resize(size.saturating_sub(6), b' ');
    bytes.extend_from_slice(b"\n%%EOF");
    bytes
}

/// Joins the first room the citizen is invited to; its id.
async fn join_invite(client: &CitizenClient) -> String {
    common::request_room(client).await
}

/// Waits (bounded, re-checking after every core event) until the page
/// satisfies `condition`; returns that page.
async fn page_when(
    client: &CitizenClient,
    room_id: &str,
    what: &str,
    condition: impl Fn(&RequestDetail) -> bool,
) -> RequestDetail {
    let mut events = client.subscribe();
    let mut last = None;
    wait_until(&mut events, what, async || {
        match client.request_detail(room_id).await {
            Ok(detail) if condition(&detail) => {
                last = Some(detail);
                true
            }
            _ => false,
        }
    })
    .await;
    last.unwrap()
}

fn prompts(detail: &RequestDetail) -> Vec<&PromptItem> {
    detail
        .timeline
        .iter()
        .filter_map(|item| match &item.content {
            TimelineContent::Prompt(prompt) => Some(prompt.as_ref()),
            _ => None,
        })
        .collect()
}

fn prompt_where(detail: &RequestDetail, matches: impl Fn(&PromptContent) -> bool) -> &PromptItem {
    prompts(detail)
        .into_iter()
        .find(|p| matches(&p.content))
        .expect("prompt on the page")
}

fn sent(prompt: &PromptItem) -> bool {
    prompt.state == PromptStatus::Answered
        && prompt
            .answer
            .as_ref()
            .is_some_and(|a| a.send_state == AnswerSendState::Sent)
}

/// The whole fishing-permit case, played by `g2c_authority::run_scenario`,
/// answered only through the request page's API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fishing_permit_case_answered_through_the_request_page() {
    let synapse = g2c_testkit::Synapse::start().await.unwrap();
    let citizen = login(&synapse, "erika").await;
    citizen.client.start_sync(fast_sync());
    // The client moves into the scenario's task; its data directory stays
    // until the end of the test.
    let TestAuthority {
        client: authority,
        dir: _authority_dir,
        ..
    } = login_authority(&synapse, "fischereiamt").await;
    let scenario = Scenario::from_path(&scenario_path()).unwrap();
    let options = RunOptions {
        citizen: Some(OwnedUserId::try_from(citizen.user.user_id.as_str()).unwrap()),
        answer_timeout: Some(WAIT),
        ..RunOptions::default()
    };
    let runner = tokio::spawn(async move {
        run_scenario(&authority, &scenario, options, |_| {})
            .await
            .unwrap()
    });
    let client = &citizen.client;
    let room_id = join_invite(client).await;

    let page = page_when(client, &room_id, "four open prompts", |d| {
        d.open_prompts == 4
    })
    .await;
    assert_eq!(page.metadata.service, "Angelschein");
    assert_eq!(page.metadata.reference, "FA-B-2025-004711");
    // The scenario's request names no language: German, the default.
    assert_eq!(page.metadata.language, "de");
    assert!(page.needs_action);
    let statuses: Vec<&str> = page
        .status_history
        .iter()
        .map(|s| s.status.as_str())
        .collect();
    assert_eq!(statuses, ["submitted", "in_review", "action_required"]);
    let offer = prompt_where(&page, |c| {
        matches!(c, PromptContent::AppointmentOffer { .. })
    });
    let PromptContent::AppointmentOffer {
        slots,
        none_of_the_above_allowed,
        ..
    } = &offer.content
    else {
        unreachable!()
    };
    assert!(none_of_the_above_allowed);
    let first = &slots[0];
    assert_eq!(
        (
            first.local_date.as_str(),
            first.local_start.as_str(),
            first.local_end.as_str()
        ),
        ("2025-09-19", "09:00", "09:30")
    );
    assert_eq!(first.time_zone, "Europe/Berlin");
    let inquiry = prompt_where(&page, |c| matches!(c, PromptContent::Inquiry { .. }));
    let documents = prompt_where(&page, |c| {
        matches!(c, PromptContent::DocumentRequest { .. })
    });
    let choice = prompt_where(&page, |c| matches!(c, PromptContent::Choice { .. }));
    let (offer_id, inquiry_id, documents_id, choice_id) = (
        offer.event_id.clone(),
        inquiry.event_id.clone(),
        documents.event_id.clone(),
        choice.event_id.clone(),
    );

    // Refused before anything is queued or uploaded.
    let files = tempfile::tempdir().unwrap();
    let too_big = files.path().join("Ausweis-gross.pdf");
    std::fs::write(&too_big, pdf(10 * 1024 * 1024 + 1)).unwrap();
    let gif = files.path().join("Ausweis.gif");
    std::fs::write(&gif, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").unwrap();
    let good = files.path().join("Ausweis.pdf");
    let good_bytes = pdf(4096);
    std::fs::write(&good, &good_bytes).unwrap();
    let checks = client
        .prepare_documents(
            &room_id,
            &documents_id,
            "id_card_copy",
            &[too_big.clone(), gif.clone(), good.clone()],
        )
        .await
        .unwrap();
    assert!(matches!(
        checks[0].outcome,
        Err(DocumentRefusal::TooLarge {
            max_size: 10_485_760,
            ..
        })
    ));
    assert!(matches!(
        &checks[1].outcome,
        Err(DocumentRefusal::Document(DocumentError::Unsupported(kind))) if kind == "GIF"
    ));
    let ready = checks[2].outcome.as_ref().unwrap();
    assert_eq!(
        (ready.mime, ready.sha256.as_str()),
        ("application/pdf", sha256_hex(&good_bytes).as_str())
    );
    let refused = client
        .submit_documents(
            &room_id,
            &documents_id,
            &[(
                "id_card_copy".to_owned(),
                vec![good.clone(), too_big.clone()],
            )],
        )
        .await;
    assert!(
        matches!(refused, Err(CoreError::DocumentRefused { ref path, .. }) if path == &too_big),
        "{refused:?}"
    );
    let too_long = "x".repeat(2001);
    assert!(matches!(
        client
            .answer_inquiry(&room_id, &inquiry_id, &too_long)
            .await,
        Err(CoreError::InvalidAnswer(_))
    ));
    assert!(matches!(
        client
            .select_choice(
                &room_id,
                &choice_id,
                &["pickup".to_owned(), "mail".to_owned()]
            )
            .await,
        Err(CoreError::InvalidAnswer(_))
    ));
    let page = client.request_detail(&room_id).await.unwrap();
    assert_eq!(page.open_prompts, 4, "refused answers queue nothing");

    // Answer everything.
    client
        .select_appointment(&room_id, &offer_id, Some("2025-09-21-1200"))
        .await
        .unwrap();
    assert!(matches!(
        client
            .select_appointment(&room_id, &offer_id, Some("2025-09-19-0900"))
            .await,
        Err(CoreError::PromptNotOpen { .. })
    ));
    client
        .answer_inquiry(&room_id, &inquiry_id, "Berlin, 2019")
        .await
        .unwrap();
    client
        .submit_documents(
            &room_id,
            &documents_id,
            &[("id_card_copy".to_owned(), vec![good.clone()])],
        )
        .await
        .unwrap();
    client
        .select_choice(&room_id, &choice_id, &["pickup".to_owned()])
        .await
        .unwrap();

    // Each answer arrives, the documents are confirmed, the notice comes.
    let page = page_when(client, &room_id, "the permit notice", |d| {
        prompts(d)
            .iter()
            .any(|p| matches!(p.content, PromptContent::Notice { .. }))
            && d.timeline
                .iter()
                .any(|i| matches!(i.content, TimelineContent::DocumentsReceived { .. }))
    })
    .await;
    let answered = |id: &str| {
        let prompt = prompts(&page)
            .into_iter()
            .find(|p| p.event_id == id)
            .unwrap();
        assert!(sent(prompt), "{id} answered and sent: {prompt:?}");
        prompt.answer.clone().unwrap().content
    };
    assert_eq!(
        answered(&offer_id),
        AnswerContent::AppointmentSelection {
            slot_id: Some("2025-09-21-1200".into())
        }
    );
    assert!(
        matches!(answered(&inquiry_id), AnswerContent::InquiryAnswer { text, .. } if text == "Berlin, 2019")
    );
    let AnswerContent::DocumentsSubmission { documents } = answered(&documents_id) else {
        panic!("documents answer")
    };
    let (file, confirmed) = &documents[0].files[0];
    assert_eq!(file.sha256, sha256_hex(&good_bytes));
    assert!(confirmed, "the authority's receipt confirms the file");
    assert_eq!(
        answered(&choice_id),
        AnswerContent::ChoiceSelection {
            option_ids: vec!["pickup".into()]
        }
    );

    // The notice: open the PDF (decrypted and checked), acknowledge it.
    let notice = prompt_where(&page, |c| matches!(c, PromptContent::Notice { .. }));
    let PromptContent::Notice {
        attachments,
        requires_acknowledgement,
        ..
    } = &notice.content
    else {
        unreachable!()
    };
    assert!(requires_acknowledgement);
    let permit = std::fs::read(scenario_path().with_file_name("fishing-permit.pdf")).unwrap();
    assert_eq!(attachments[0].sha256, sha256_hex(&permit));
    let opened = client
        .save_attachment_for_viewing(&room_id, &notice.event_id, 0)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&opened).unwrap(), permit);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&opened).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the user may read the decrypted file");
    }
    std::fs::remove_dir_all(opened.parent().unwrap()).unwrap();
    client
        .acknowledge_notice(&room_id, &notice.event_id)
        .await
        .unwrap();

    // The authority's side has every answer, as given.
    let outcome = tokio::time::timeout(WAIT, runner)
        .await
        .expect("the scenario finished")
        .unwrap();
    assert_eq!(outcome.answers.len(), 5);
    assert!(outcome.answers.iter().all(|a| a.encrypted));
    assert!(outcome.rejections.is_empty(), "{:?}", outcome.rejections);
    let ack = outcome
        .answers
        .iter()
        .find_map(|a| match &a.content {
            AuthorityAnswer::NoticeAcknowledgement(c) => Some(c),
            _ => None,
        })
        .unwrap();
    assert_eq!(ack.attachment_sha256[0].as_str(), sha256_hex(&permit));
    let submission = outcome
        .answers
        .iter()
        .find_map(|a| match &a.content {
            AuthorityAnswer::DocumentsSubmission(c) => Some(c),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        submission.documents[0].files[0].sha256.as_str(),
        sha256_hex(&good_bytes)
    );
    let page = page_when(client, &room_id, "the acknowledgement sent", |d| {
        prompts(d).iter().all(|p| p.state == PromptStatus::Answered)
    })
    .await;
    assert_eq!(page.open_prompts, 0);
    assert_eq!(page.status.as_ref().map(|s| s.as_str()), Some("decided"));
}

/// Hostile authority events are shown as "cannot display", never dropped;
/// an answer given while the homeserver is down is delivered after it
/// returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_events_shown_and_offline_answer_delivered() {
    let mut synapse = g2c_testkit::Synapse::start().await.unwrap();
    let citizen = login(&synapse, "max").await;
    citizen.client.start_sync(fast_sync());
    let authority = login_authority(&synapse, "fischereiamt").await;
    let mut answers = authority.client.answers();
    let room = authority
        .client
        .open_request_room(
            &OwnedUserId::try_from(citizen.user.user_id.as_str()).unwrap(),
            RequestEventContent {
                service_name: "Meldebescheinigung".into(),
                authority_name: "Bürgeramt Mitte".into(),
                reference_number: "BA-2026-1".into(),
                submitted_at: Rfc3339::new("2026-11-20T09:30:00+01:00"),
                description: None,
                language: Some("en".into()),
            },
        )
        .await
        .unwrap();
    let client = &citizen.client;
    let room_id = join_invite(client).await;
    assert_eq!(room_id, room.as_str());
    authority.client.sync_once(Duration::ZERO).await.unwrap();
    let inquiry_id = authority
        .client
        .send_prompt(
            &room,
            Prompt::Inquiry(InquiryEventContent::new(
                "Seit wann wohnen Sie in Berlin?",
                Language::De,
            )),
            None,
        )
        .await
        .unwrap();
    let matrix_room = authority
        .client
        .matrix()
        .get_room(<&RoomId>::try_from(room_id.as_str()).unwrap())
        .unwrap();
    // A choice with a duplicate option id and markup in its text.
    matrix_room
        .send_raw(
            "de.amtsbote.g2c.v1.choice",
            serde_json::json!({
                "body": "Bitte wählen <script>alert(1)</script>",
                "question": "Welche?",
                "mode": "single",
                "options": [{ "id": "a", "label": "A" }, { "id": "a", "label": "B" }],
            }),
        )
        .await
        .unwrap();
    matrix_room
        .send_raw(
            "de.amtsbote.g2c.v2.inquiry",
            serde_json::json!({ "body": "Eine Frage aus der Zukunft", "question": "?" }),
        )
        .await
        .unwrap();

    let page = page_when(client, &room_id, "the hostile events", |d| {
        d.timeline
            .iter()
            .filter(|i| matches!(i.content, TimelineContent::CannotDisplay { .. }))
            .count()
            == 2
    })
    .await;
    let cannot: Vec<_> = page
        .timeline
        .iter()
        .filter_map(|i| match &i.content {
            TimelineContent::CannotDisplay {
                reason,
                event_type,
                fallback,
            } => Some((*reason, event_type.as_str(), fallback.as_deref())),
            _ => None,
        })
        .collect();
    assert_eq!(
        cannot,
        [
            (
                CannotDisplayReason::Malformed,
                "de.amtsbote.g2c.v1.choice",
                Some("Bitte wählen <script>alert(1)</script>")
            ),
            (
                CannotDisplayReason::UnsupportedVersion,
                "de.amtsbote.g2c.v2.inquiry",
                Some("Eine Frage aus der Zukunft")
            ),
        ]
    );
    assert_eq!(page.open_prompts, 1);
    // The language the request event names passes through as written.
    assert_eq!(page.metadata.language, "en");

    // Offline: a first answer is queued, fails to send (recoverable), is
    // shown waiting for the network and withdrawn; the second is queued
    // and arrives once the homeserver is back.
    synapse.stop().unwrap();
    let mut events = client.subscribe();
    let withdrawn = client
        .answer_inquiry(&room_id, inquiry_id.as_str(), "Seit 2018.")
        .await
        .unwrap();
    common::wait_for(&mut events, "the send to fail", |event| {
        matches!(
            event,
            CoreEvent::SendStateChanged { transaction_id, state: SendState::Failed { recoverable: true, .. }, .. }
                if transaction_id == withdrawn.transaction_id()
        )
    })
    .await;
    let page = client.request_detail(&room_id).await.unwrap();
    let prompt = prompt_where(&page, |c| matches!(c, PromptContent::Inquiry { .. }));
    let answer = prompt.answer.as_ref().expect("the queued answer is shown");
    assert_eq!(answer.send_state, AnswerSendState::WaitingForNetwork);
    assert_eq!(
        answer.transaction_id.as_deref(),
        Some(withdrawn.transaction_id())
    );
    assert!(matches!(
        client
            .answer_inquiry(&room_id, inquiry_id.as_str(), "Doppelt")
            .await,
        Err(CoreError::PromptNotOpen { .. })
    ));
    assert!(
        client
            .cancel_send(&room_id, withdrawn.transaction_id())
            .await
            .unwrap()
    );
    let page = client.request_detail(&room_id).await.unwrap();
    let prompt = prompt_where(&page, |c| matches!(c, PromptContent::Inquiry { .. }));
    assert!(prompt.answer.is_none(), "the withdrawn answer is gone");
    assert_eq!(page.open_prompts, 1);

    let queued = client
        .answer_inquiry(&room_id, inquiry_id.as_str(), "Seit 2019.")
        .await
        .unwrap();
    let page = client.request_detail(&room_id).await.unwrap();
    let prompt = prompt_where(&page, |c| matches!(c, PromptContent::Inquiry { .. }));
    let answer = prompt.answer.as_ref().expect("the queued answer is shown");
    assert_ne!(answer.send_state, AnswerSendState::Sent);
    assert_eq!(
        answer.transaction_id.as_deref(),
        Some(queued.transaction_id())
    );
    assert_eq!(page.open_prompts, 0, "an answered prompt needs no action");
    synapse.resume().await.unwrap();

    let incoming = tokio::time::timeout(WAIT, async {
        loop {
            match answers.next().await.expect("answer stream") {
                Incoming::Answer(answer) => break answer,
                Incoming::Rejected(_) => {}
            }
        }
    })
    .await
    .expect("the answer arrived after the homeserver came back");
    assert_eq!(incoming.prompt_event_id, inquiry_id);
    assert!(matches!(
        &incoming.content,
        AuthorityAnswer::InquiryAnswer(c) if c.text == "Seit 2019."
    ));
    page_when(client, &room_id, "the answer shown as sent", |d| {
        sent(prompt_where(d, |c| {
            matches!(c, PromptContent::Inquiry { .. })
        }))
    })
    .await;
}
