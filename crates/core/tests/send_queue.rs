//! Nothing lost: messages queued while the homeserver is down arrive once it
//! is back, also across a restart of the client. Run with
//! `scripts/with-keychain.sh`.

mod common;

use common::{fast_sync, pair, wait_for, wait_for_message};
use g2c_core::{CitizenClient, ConnectionState, CoreEvent, SendState};
use g2c_testkit::Synapse;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_queued_while_server_is_down_arrives_after_resume() {
    let mut synapse = Synapse::start().await.unwrap();
    let pair = pair(&synapse).await;
    let mut citizen_events = pair.citizen.client.subscribe();
    let mut authority_events = pair.authority.client.subscribe();

    synapse.stop().unwrap();
    wait_for(
        &mut citizen_events,
        "the citizen to notice the outage",
        |event| {
            matches!(
                event,
                CoreEvent::ConnectionChanged {
                    state: ConnectionState::Reconnecting { .. }
                }
            )
        },
    )
    .await;

    let body = "Anbei der Nachweis der Fischerprüfung.";
    let outgoing = pair
        .citizen
        .client
        .send_text(&pair.room_id, body)
        .await
        .unwrap();
    assert!(!outgoing.transaction_id().is_empty());
    let txn = outgoing.transaction_id().to_owned();
    wait_for(&mut citizen_events, "the send to fail while offline", |event| {
        matches!(
            event,
            CoreEvent::SendStateChanged { transaction_id, state: SendState::Failed { recoverable: true, .. }, .. }
                if *transaction_id == txn
        )
    })
    .await;

    synapse.resume().await.unwrap();
    wait_for(&mut citizen_events, "the message to be sent", |event| {
        matches!(
            event,
            CoreEvent::SendStateChanged { transaction_id, state: SendState::Sent { .. }, .. }
                if *transaction_id == txn
        )
    })
    .await;
    let received = wait_for_message(&mut authority_events, &pair.room_id, body).await;
    assert!(matches!(
        received,
        CoreEvent::MessageReceived {
            encrypted: true,
            ..
        }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_queued_offline_survives_a_restart() {
    let mut synapse = Synapse::start().await.unwrap();
    let pair = pair(&synapse).await;
    let mut authority_events = pair.authority.client.subscribe();
    let citizen_profile = pair.citizen.profile.clone();

    synapse.stop().unwrap();
    let body = "Bitte um Terminbestätigung.";
    pair.citizen
        .client
        .send_text(&pair.room_id, body)
        .await
        .unwrap();
    // The app quits with the message still queued.
    drop(pair.citizen.client);

    let citizen = CitizenClient::restore(citizen_profile)
        .await
        .unwrap()
        .expect("session to restore");
    let mut citizen_events = citizen.subscribe();
    citizen.start_sync(fast_sync());
    synapse.resume().await.unwrap();

    wait_for(
        &mut citizen_events,
        "the queued message to be sent",
        |event| {
            matches!(
                event,
                CoreEvent::SendStateChanged {
                    state: SendState::Sent { .. },
                    ..
                }
            )
        },
    )
    .await;
    let received = wait_for_message(&mut authority_events, &pair.room_id, body).await;
    assert!(matches!(
        received,
        CoreEvent::MessageReceived {
            encrypted: true,
            ..
        }
    ));
}

// ---------------------------------------------------------------------------
// A killed process: the client lives in a child process (this test binary,
// run again for one test with `G2C_KILLED_CHILD` set), which is killed with
// SIGKILL while its send is queued or in flight. A fresh client restored
// from the same store and keychain entries delivers it exactly once.
// ---------------------------------------------------------------------------

/// Set in the child process: which role it plays.
const CHILD_ROLE: &str = "G2C_KILLED_CHILD";
/// The child's profile name, data directory, room, text, prompt.
const CHILD_PROFILE: &str = "G2C_KILLED_CHILD_PROFILE";
const CHILD_DATA_DIR: &str = "G2C_KILLED_CHILD_DATA_DIR";
const CHILD_ROOM: &str = "G2C_KILLED_CHILD_ROOM";
const CHILD_TEXT: &str = "G2C_KILLED_CHILD_TEXT";
const CHILD_PROMPT: &str = "G2C_KILLED_CHILD_PROMPT";
/// The prefix of the line with which the child says its send is queued.
const QUEUED_LINE: &str = "G2C-KILLED-CHILD queued ";

/// What the child does before it is killed.
enum ChildRole {
    /// `send_text`, then wait for the (recoverable) failure: the server is
    /// down.
    SendTextOffline,
    /// `answer_inquiry` through the request page; the server is up.
    AnswerInquiry,
    /// `submit_documents` (the file at the "text" path), then wait for the
    /// recoverable failure of the upload: the server is down.
    SubmitDocumentsOffline,
}

fn child_role() -> Option<ChildRole> {
    match std::env::var(CHILD_ROLE).ok()?.as_str() {
        "send-text-offline" => Some(ChildRole::SendTextOffline),
        "answer-inquiry" => Some(ChildRole::AnswerInquiry),
        "submit-documents-offline" => Some(ChildRole::SubmitDocumentsOffline),
        other => panic!("unknown child role {other}"),
    }
}

/// The child's part: restore, queue, say so on stdout, wait to be killed.
async fn run_child(role: ChildRole) -> ! {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set"));
    let profile = g2c_core::Profile::new(var(CHILD_PROFILE), var(CHILD_DATA_DIR));
    let citizen = CitizenClient::restore(profile)
        .await
        .unwrap()
        .expect("the session to restore in the child");
    let mut events = citizen.subscribe();
    let room_id = var(CHILD_ROOM);
    let text = var(CHILD_TEXT);
    let transaction_id = match role {
        ChildRole::SendTextOffline => {
            let outgoing = citizen.send_text(&room_id, &text).await.unwrap();
            let txn = outgoing.transaction_id().to_owned();
            wait_for(&mut events, "the send to fail while offline", |event| {
                matches!(
                    event,
                    CoreEvent::SendStateChanged { transaction_id, state: SendState::Failed { recoverable: true, .. }, .. }
                        if *transaction_id == txn
                )
            })
            .await;
            txn
        }
        ChildRole::SubmitDocumentsOffline => {
            let outgoing = citizen
                .submit_documents(
                    &room_id,
                    &var(CHILD_PROMPT),
                    &[("site_plan".to_owned(), vec![text.into()])],
                )
                .await
                .unwrap();
            assert!(outgoing.is_pending_upload());
            let id = outgoing.transaction_id().to_owned();
            wait_for(&mut events, "the upload to fail while offline", |event| {
                matches!(
                    event,
                    CoreEvent::SendStateChanged { transaction_id, state: SendState::Failed { recoverable: true, .. }, .. }
                        if *transaction_id == id
                )
            })
            .await;
            id
        }
        ChildRole::AnswerInquiry => citizen
            .answer_inquiry(&room_id, &var(CHILD_PROMPT), &text)
            .await
            .unwrap()
            .transaction_id()
            .to_owned(),
    };
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "\n{QUEUED_LINE}{transaction_id}").unwrap();
        stdout.flush().unwrap();
    }
    // Keeps the client (and its send queue) alive until the SIGKILL.
    std::future::pending::<()>().await;
    unreachable!("the parent kills this process")
}

/// A child process running `test_name` of this binary in `role`.
struct ChildProcess {
    process: tokio::process::Child,
    stdout: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl ChildProcess {
    fn spawn(
        test_name: &str,
        role: &str,
        profile: &g2c_core::Profile,
        vars: &[(&str, &str)],
    ) -> Self {
        let mut process = tokio::process::Command::new(std::env::current_exe().unwrap())
            .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ROLE, role)
            .env(CHILD_PROFILE, profile.name())
            .env(CHILD_DATA_DIR, profile.data_dir())
            .envs(vars.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = process.stdout.take().unwrap();
        Self {
            process,
            stdout: tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout)),
        }
    }

    /// Waits (bounded) for the child to say its send is queued; the
    /// transaction id.
    async fn queued(&mut self) -> String {
        tokio::time::timeout(common::WAIT, async {
            loop {
                let line = self
                    .stdout
                    .next_line()
                    .await
                    .unwrap()
                    .expect("the child ended before its send was queued (see its output)");
                // libtest may have written "test NAME ... " on the line.
                if let Some((_, transaction_id)) = line.split_once(QUEUED_LINE) {
                    return transaction_id.trim().to_owned();
                }
            }
        })
        .await
        .expect("the child to queue its send")
    }

    /// SIGKILL, and waits until the process is gone.
    async fn kill(mut self) {
        self.process.start_kill().unwrap();
        let status = self.process.wait().await.unwrap();
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL: {status:?}");
    }
}

/// The events `sender` sent into `room_id` (not state), from a fresh
/// `/messages` request by `observer`: what the server has, not what a
/// sync loop happened to see.
async fn events_sent_by(
    observer: &matrix_sdk::Client,
    room_id: &str,
    sender: &str,
) -> Vec<matrix_sdk::deserialized_responses::TimelineEvent> {
    let room = observer
        .get_room(<&matrix_sdk::ruma::RoomId>::try_from(room_id).unwrap())
        .expect("the observer is in the room");
    let mut events = Vec::new();
    let mut from = None;
    loop {
        let mut options = matrix_sdk::room::MessagesOptions::backward().from(from.as_deref());
        options.limit = matrix_sdk::ruma::UInt::from(100u32);
        let page = room.messages(options).await.unwrap();
        let done = page.chunk.is_empty() || page.end.is_none();
        events.extend(page.chunk);
        if done {
            break;
        }
        from = page.end;
    }
    events
        .into_iter()
        .filter(|event| {
            event
                .raw()
                .get_field::<String>("sender")
                .unwrap()
                .as_deref()
                == Some(sender)
                && event
                    .raw()
                    .get_field::<serde_json::Value>("state_key")
                    .unwrap()
                    .is_none()
        })
        .collect()
}

/// Killed while its message waits for the server: the restored client sends
/// it once the server is back, exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_queued_in_a_killed_process_is_sent_once_after_restart() {
    if let Some(role) = child_role() {
        run_child(role).await;
    }
    let mut synapse = Synapse::start().await.unwrap();
    let pair = pair(&synapse).await;
    let mut authority_events = pair.authority.client.subscribe();
    let citizen_profile = pair.citizen.profile.clone();
    let citizen_id = pair.citizen.user.user_id.clone();
    // The app that queues the message is another process.
    drop(pair.citizen.client);

    synapse.stop().unwrap();
    let body = "Die Unterlagen reiche ich nach.";
    let mut child = ChildProcess::spawn(
        "message_queued_in_a_killed_process_is_sent_once_after_restart",
        "send-text-offline",
        &citizen_profile,
        &[(CHILD_ROOM, pair.room_id.as_str()), (CHILD_TEXT, body)],
    );
    let txn = child.queued().await;
    child.kill().await;

    let citizen = CitizenClient::restore(citizen_profile)
        .await
        .unwrap()
        .expect("session to restore");
    let mut citizen_events = citizen.subscribe();
    citizen.start_sync(fast_sync());
    synapse.resume().await.unwrap();
    wait_for(
        &mut citizen_events,
        "the queued message to be sent",
        |event| {
            matches!(
                event,
                CoreEvent::SendStateChanged { transaction_id, state: SendState::Sent { .. }, .. }
                    if *transaction_id == txn
            )
        },
    )
    .await;
    wait_for_message(&mut authority_events, &pair.room_id, body).await;

    let sent = events_sent_by(pair.authority.client.matrix(), &pair.room_id, &citizen_id).await;
    assert_eq!(
        sent.len(),
        1,
        "exactly one message from the citizen: {sent:?}"
    );
    assert_eq!(
        sent[0]
            .raw()
            .get_field::<serde_json::Value>("content")
            .unwrap()
            .and_then(|content| content.get("body").cloned()),
        Some(serde_json::Value::from(body))
    );
}

/// A loopback TCP proxy in front of the homeserver that lets the first
/// request whose bytes contain `needle` through to the server but never
/// lets the server's answer back: the server has committed the request,
/// the client does not know. `server_answered` fires when the server's
/// answer to it arrived (and was dropped).
struct AnswerSwallowingProxy {
    url: String,
    server_answered: tokio::sync::watch::Receiver<bool>,
    _accept: tokio::task::JoinHandle<()>,
}

impl AnswerSwallowingProxy {
    async fn start(upstream_port: u16, needle: &'static [u8]) -> Self {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (answered_tx, server_answered) = tokio::sync::watch::channel(false);
        let answered_tx = Arc::new(answered_tx);
        let triggered = Arc::new(AtomicBool::new(false));
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream_port)).await
                else {
                    continue;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                // Whether this connection carries the request whose answer
                // is swallowed.
                let swallow = Arc::new(AtomicBool::new(false));
                let (swallow_up, triggered) = (swallow.clone(), triggered.clone());
                tokio::spawn(async move {
                    let mut buffer = [0u8; 16 * 1024];
                    // The end of the previous read, for a needle split
                    // across two reads.
                    let mut window: Vec<u8> = Vec::new();
                    loop {
                        let read = match client_read.read(&mut buffer).await {
                            Ok(0) | Err(_) => break,
                            Ok(read) => read,
                        };
                        window.extend_from_slice(&buffer[..read]);
                        if window.windows(needle.len()).any(|w| w == needle)
                            && !triggered.swap(true, Ordering::SeqCst)
                        {
                            swallow_up.store(true, Ordering::SeqCst);
                        }
                        let keep = window.len().saturating_sub(needle.len());
                        window.drain(..keep);
                        if server_write.write_all(&buffer[..read]).await.is_err() {
                            break;
                        }
                    }
                    let _ = server_write.shutdown().await;
                });
                let answered_tx = answered_tx.clone();
                tokio::spawn(async move {
                    let mut buffer = [0u8; 16 * 1024];
                    loop {
                        let read = match server_read.read(&mut buffer).await {
                            Ok(0) | Err(_) => break,
                            Ok(read) => read,
                        };
                        if swallow.load(Ordering::SeqCst) {
                            // HTTP/1.1 without pipelining: everything the
                            // server says from now on answers that request.
                            answered_tx.send_replace(true);
                        } else if client_write.write_all(&buffer[..read]).await.is_err() {
                            break;
                        }
                    }
                    let _ = client_write.shutdown().await;
                });
            }
        });
        Self {
            url,
            server_answered,
            _accept: accept,
        }
    }

    /// Waits (bounded) until the server has answered the swallowed request.
    async fn server_answered(&mut self) {
        tokio::time::timeout(
            common::WAIT,
            self.server_answered.wait_for(|answered| *answered),
        )
        .await
        .expect("the server to answer the send")
        .unwrap();
    }
}

/// Killed while its answer (a G2C response through the request page) is in
/// flight: the server has stored the event, but the process dies before it
/// learns so. The restored client sends it again with the same transaction
/// id; the server recognises it and the authority has it exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_in_flight_in_a_killed_process_arrives_exactly_once() {
    use g2c_authority::Incoming;
    use g2c_core::request_page::{AnswerSendState, PromptStatus, TimelineContent};
    use g2c_protocol::Language;
    use g2c_protocol::datetime::Rfc3339;
    use g2c_protocol::prompt::{InquiryEventContent, Prompt};
    use g2c_protocol::request::RequestEventContent;
    use matrix_sdk::ruma::OwnedUserId;

    if let Some(role) = child_role() {
        run_child(role).await;
    }
    let synapse = Synapse::start().await.unwrap();
    // Only the send's PUT is caught, the key sharing before it passes.
    let mut proxy = AnswerSwallowingProxy::start(synapse.port(), b"/send/m.room.encrypted/").await;
    let user = synapse.register_user("citizen").await.unwrap();
    let (citizen_profile, _citizen_dir) = common::fresh_profile("citizen");
    let citizen = CitizenClient::login_with_password(
        citizen_profile.clone(),
        &proxy.url,
        &user.user_id,
        &g2c_core::SecretString::new(user.password.clone()),
    )
    .await
    .unwrap();
    citizen.start_sync(fast_sync());
    let authority = common::login_authority(&synapse, "standesamt").await;
    let mut answers = authority.client.answers();
    let room = authority
        .client
        .open_request_room(
            &OwnedUserId::try_from(user.user_id.as_str()).unwrap(),
            RequestEventContent {
                service_name: "Geburtsurkunde".into(),
                authority_name: "Standesamt Mitte".into(),
                reference_number: "SA-2026-7".into(),
                submitted_at: Rfc3339::new("2026-11-20T09:30:00+01:00"),
                description: None,
                language: None,
            },
        )
        .await
        .unwrap();
    let room_id = common::request_room(&citizen).await;
    assert_eq!(room_id, room.as_str());
    let inquiry_id = authority
        .client
        .send_prompt(
            &room,
            Prompt::Inquiry(InquiryEventContent::new(
                "Wie lautet der Geburtsname der Mutter?",
                Language::De,
            )),
            None,
        )
        .await
        .unwrap()
        .to_string();
    let mut citizen_events = citizen.subscribe();
    common::wait_until(&mut citizen_events, "the open inquiry", async || {
        citizen
            .request_detail(&room_id)
            .await
            .is_ok_and(|page| page.open_prompts == 1)
    })
    .await;
    // The app that answers is another process.
    drop(citizen_events);
    drop(citizen);

    let text = "Mustermann";
    let mut child = ChildProcess::spawn(
        "answer_in_flight_in_a_killed_process_arrives_exactly_once",
        "answer-inquiry",
        &citizen_profile,
        &[
            (CHILD_ROOM, room_id.as_str()),
            (CHILD_TEXT, text),
            (CHILD_PROMPT, inquiry_id.as_str()),
        ],
    );
    let txn = child.queued().await;
    proxy.server_answered().await;
    child.kill().await;

    let citizen = CitizenClient::restore(citizen_profile)
        .await
        .unwrap()
        .expect("session to restore");
    let mut citizen_events = citizen.subscribe();
    citizen.start_sync(fast_sync());
    common::wait_until(
        &mut citizen_events,
        "the answer shown as sent",
        async || {
            citizen.request_detail(&room_id).await.is_ok_and(|page| {
                page.timeline.iter().any(|item| match &item.content {
                    TimelineContent::Prompt(prompt) => {
                        prompt.state == PromptStatus::Answered
                            && prompt
                                .answer
                                .as_ref()
                                .is_some_and(|a| a.send_state == AnswerSendState::Sent)
                    }
                    _ => false,
                })
            })
        },
    )
    .await;
    let (echoes, _) = citizen
        .matrix()
        .get_room(<&matrix_sdk::ruma::RoomId>::try_from(room_id.as_str()).unwrap())
        .unwrap()
        .send_queue()
        .subscribe()
        .await
        .unwrap();
    assert!(echoes.is_empty(), "nothing left in the send queue: {txn}");

    let incoming = tokio::time::timeout(common::WAIT, answers.next())
        .await
        .expect("the authority to get the answer")
        .expect("answer stream");
    assert!(
        matches!(&incoming, Incoming::Answer(answer) if answer.prompt_event_id.as_str() == inquiry_id),
        "{incoming:?}"
    );
    let sent = events_sent_by(authority.client.matrix(), &room_id, &user.user_id).await;
    assert_eq!(
        sent.len(),
        1,
        "exactly one event from the citizen: {sent:?}"
    );
}

/// A citizen and an authority in a request room with an open document
/// request for one PDF (`site_plan`).
struct DocumentRequest {
    citizen: common::TestClient,
    authority: common::TestAuthority,
    room_id: String,
    prompt_id: String,
}

async fn document_request(synapse: &Synapse) -> DocumentRequest {
    use g2c_protocol::Language;
    use g2c_protocol::datetime::Rfc3339;
    use g2c_protocol::ids::LocalId;
    use g2c_protocol::media::MimeType;
    use g2c_protocol::prompt::{DocumentRequestEventContent, Prompt, RequestedDocument};
    use g2c_protocol::request::RequestEventContent;
    use matrix_sdk::ruma::OwnedUserId;

    let citizen = common::login(synapse, "citizen").await;
    citizen.client.start_sync(fast_sync());
    let authority = common::login_authority(synapse, "bauamt").await;
    let room = authority
        .client
        .open_request_room(
            &OwnedUserId::try_from(citizen.user.user_id.as_str()).unwrap(),
            RequestEventContent {
                service_name: "Baugenehmigung".into(),
                authority_name: "Bauamt Mitte".into(),
                reference_number: "BA-2026-3".into(),
                submitted_at: Rfc3339::new("2026-11-20T09:30:00+01:00"),
                description: None,
                language: None,
            },
        )
        .await
        .unwrap();
    let room_id = common::request_room(&citizen.client).await;
    assert_eq!(room_id, room.as_str());
    let prompt_id = authority
        .client
        .send_prompt(
            &room,
            Prompt::DocumentRequest(DocumentRequestEventContent::new(
                "Bitte reichen Sie den Lageplan ein.",
                vec![RequestedDocument {
                    id: LocalId::new("site_plan"),
                    title: "Lageplan".into(),
                    description: None,
                    accepted_mimetypes: vec![MimeType::new("application/pdf")],
                    max_size: 10 * 1024 * 1024,
                    required: true,
                }],
                Language::De,
            )),
            None,
        )
        .await
        .unwrap()
        .to_string();
    let mut citizen_events = citizen.client.subscribe();
    common::wait_until(
        &mut citizen_events,
        "the open document request",
        async || {
            citizen
                .client
                .request_detail(&room_id)
                .await
                .is_ok_and(|page| page.open_prompts == 1)
        },
    )
    .await;
    DocumentRequest {
        citizen,
        authority,
        room_id,
        prompt_id,
    }
}

/// A small well-formed PDF (passed through byte for byte), written to
/// `dir`; its path and bytes.
fn site_plan(dir: &std::path::Path) -> (std::path::PathBuf, Vec<u8>) {
    let path = dir.join("Lageplan.pdf");
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend((0..20_000u32).map(|i| b'a' + (i % 26) as u8));
    bytes.extend_from_slice(b"\n%%EOF");
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

/// Waits for the authority to accept the documents submission for
/// `prompt_id`, downloads and decrypts its one file; its bytes.
async fn received_document(authority: &g2c_authority::AuthorityClient, prompt_id: &str) -> Vec<u8> {
    use g2c_authority::Incoming;
    use g2c_authority::answer::AnswerContent as AuthorityAnswer;

    let mut answers = authority.answers();
    let incoming = tokio::time::timeout(common::WAIT, answers.next())
        .await
        .expect("the authority to get the documents")
        .expect("answer stream");
    let Incoming::Answer(answer) = incoming else {
        panic!("accepted: {incoming:?}");
    };
    assert_eq!(answer.prompt_event_id.as_str(), prompt_id);
    let AuthorityAnswer::DocumentsSubmission(submission) = &answer.content else {
        panic!("a documents submission: {:?}", answer.content);
    };
    let file = &submission.documents[0].files[0];
    assert!(matches!(
        file.source,
        matrix_sdk::ruma::events::room::MediaSource::Encrypted(_)
    ));
    authority
        .matrix()
        .media()
        .get_media_content(
            &matrix_sdk::media::MediaRequestParameters {
                source: file.source.clone(),
                format: matrix_sdk::media::MediaFormat::File,
            },
            false,
        )
        .await
        .unwrap()
}

/// Documents answered while the homeserver is down are kept (encrypted, in
/// the local store) across an app restart and delivered once it is back:
/// the authority downloads and decrypts exactly the bytes given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_answered_offline_arrive_after_restart() {
    use g2c_core::request_page::{AnswerSendState, TimelineContent};

    let mut synapse = Synapse::start().await.unwrap();
    let DocumentRequest {
        citizen,
        authority,
        room_id,
        prompt_id,
    } = document_request(&synapse).await;
    let mut citizen_events = citizen.client.subscribe();
    let files = tempfile::tempdir().unwrap();
    let (plan, plan_bytes) = site_plan(files.path());

    synapse.stop().unwrap();
    let outgoing = citizen
        .client
        .submit_documents(
            &room_id,
            &prompt_id,
            &[("site_plan".to_owned(), vec![plan.clone()])],
        )
        .await
        .expect("documents given offline are kept, not refused");
    assert!(outgoing.is_pending_upload());
    let outbox_id = outgoing.transaction_id().to_owned();
    wait_for(&mut citizen_events, "the upload to fail offline", |event| {
        matches!(
            event,
            CoreEvent::SendStateChanged { transaction_id, state: SendState::Failed { recoverable: true, .. }, .. }
                if *transaction_id == outbox_id
        )
    })
    .await;
    let page = citizen.client.request_detail(&room_id).await.unwrap();
    let answer = page
        .timeline
        .iter()
        .find_map(|item| match &item.content {
            TimelineContent::Prompt(prompt) => prompt.answer.clone(),
            _ => None,
        })
        .expect("the pending submission is shown as the answer");
    assert_eq!(answer.send_state, AnswerSendState::WaitingForNetwork);
    assert_eq!(answer.transaction_id.as_deref(), Some(outbox_id.as_str()));
    assert_eq!(page.open_prompts, 0);
    assert!(matches!(
        citizen
            .client
            .submit_documents(
                &room_id,
                &prompt_id,
                &[("site_plan".to_owned(), vec![plan])]
            )
            .await,
        Err(g2c_core::CoreError::PromptNotOpen { .. })
    ));

    // The app quits with the documents not uploaded, starts again, and
    // the server comes back.
    let citizen_profile = citizen.profile.clone();
    let citizen_id = citizen.user.user_id.clone();
    drop(citizen_events);
    drop(citizen.client);
    let restored = CitizenClient::restore(citizen_profile)
        .await
        .unwrap()
        .expect("session to restore");
    let page = restored.request_detail(&room_id).await.unwrap();
    assert_eq!(page.open_prompts, 0, "still pending after the restart");
    restored.start_sync(fast_sync());
    synapse.resume().await.unwrap();

    let downloaded = received_document(&authority.client, &prompt_id).await;
    assert_eq!(
        downloaded, plan_bytes,
        "the authority decrypts the bytes given"
    );

    let sent = events_sent_by(authority.client.matrix(), &room_id, &citizen_id).await;
    assert_eq!(sent.len(), 1, "exactly one submission: {sent:?}");
}

/// Killed with documents in the outbox (given while the server is down):
/// the restored client uploads them and the authority gets them once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_given_in_a_killed_process_arrive_once() {
    if let Some(role) = child_role() {
        run_child(role).await;
    }
    let mut synapse = Synapse::start().await.unwrap();
    let DocumentRequest {
        citizen,
        authority,
        room_id,
        prompt_id,
    } = document_request(&synapse).await;
    let files = tempfile::tempdir().unwrap();
    let (plan, plan_bytes) = site_plan(files.path());
    let citizen_profile = citizen.profile.clone();
    let citizen_id = citizen.user.user_id.clone();
    // The app that answers is another process.
    drop(citizen.client);

    synapse.stop().unwrap();
    let mut child = ChildProcess::spawn(
        "documents_given_in_a_killed_process_arrive_once",
        "submit-documents-offline",
        &citizen_profile,
        &[
            (CHILD_ROOM, room_id.as_str()),
            (CHILD_TEXT, plan.to_str().unwrap()),
            (CHILD_PROMPT, prompt_id.as_str()),
        ],
    );
    let outbox_id = child.queued().await;
    child.kill().await;

    let citizen = CitizenClient::restore(citizen_profile)
        .await
        .unwrap()
        .expect("session to restore");
    let page = citizen.request_detail(&room_id).await.unwrap();
    assert_eq!(page.open_prompts, 0, "the documents are still pending");
    citizen.start_sync(fast_sync());
    synapse.resume().await.unwrap();

    let downloaded = received_document(&authority.client, &prompt_id).await;
    assert_eq!(
        downloaded, plan_bytes,
        "the authority decrypts the bytes given"
    );
    let sent = events_sent_by(authority.client.matrix(), &room_id, &citizen_id).await;
    assert_eq!(
        sent.len(),
        1,
        "exactly one submission ({outbox_id}): {sent:?}"
    );
}
