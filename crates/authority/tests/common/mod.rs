//! The citizen's side for the end-to-end tests, written with matrix-sdk
//! directly (not the core crate): its own store, E2EE, joins on invite and
//! answers every G2C prompt with the protocol's response types.

#![allow(dead_code, missing_docs)]

use std::collections::BTreeSet;
use std::io::Cursor;
use std::time::Duration;

use g2c_protocol::ids::{LocalId, Sha256Hex};
use g2c_protocol::media::{FileRef, MimeType};
use g2c_protocol::prompt::Prompt;
use g2c_protocol::request::Status;
use g2c_protocol::response::{
    AppointmentSelectionEventContent, ChoiceSelectionEventContent, DocumentsSubmissionEventContent,
    InquiryAnswerEventContent, NoticeAcknowledgementEventContent, SubmittedDocument,
};
use g2c_protocol::{G2cEvent, Language, parse_event};
use g2c_testkit::RegisteredUser;
use matrix_sdk::Client;
use matrix_sdk::Room;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::{TimelineEvent, TimelineEventKind};
use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
use matrix_sdk::ruma::api::client::filter::FilterDefinition;
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::events::room::MediaSource;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, UInt};
use serde_json::value::RawValue;
use sha2::{Digest as _, Sha256};
use tempfile::TempDir;

/// A tiny PNG standing in for a scanned ID card (the authority checks the
/// hash, not the picture).
pub const ID_CARD_PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// How the test citizen behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers every prompt correctly.
    Honest,
    /// Sends hostile responses first, then the correct ones.
    HostileFirst,
}

/// What the citizen saw and did.
#[derive(Debug, Default)]
pub struct CitizenReport {
    pub rooms: BTreeSet<OwnedRoomId>,
    /// Prompt types answered, in order.
    pub answered: Vec<String>,
    /// SHA-256 of the uploaded ID card copy.
    pub uploaded_sha256: Option<String>,
    /// Hashes listed by the authority's documents receipt.
    pub receipt_hashes: Vec<String>,
    /// SHA-256 of the notice attachments as downloaded.
    pub notice_attachment_hashes: Vec<String>,
    /// Whether every notice attachment was a PDF.
    pub notice_pdf: bool,
    /// Statuses seen, in order.
    pub statuses: Vec<String>,
    /// G2C events that arrived in plaintext (should be state events only).
    pub plaintext_g2c_messages: Vec<String>,
    /// G2C message events that arrived encrypted.
    pub encrypted_g2c_messages: usize,
    /// The homeserver's answer when a response went into another room
    /// than its prompt's (Synapse refuses cross-room relations itself).
    pub cross_room_refused_by_server: Option<String>,
    /// The citizen's last accepted-looking response event.
    pub last_sent: Option<OwnedEventId>,
}

pub struct Citizen {
    pub client: Client,
    pub user_id: OwnedUserId,
    _store: TempDir,
}

impl Citizen {
    /// Logs in with its own store and uploads its device keys.
    pub async fn login(homeserver: &str, user: &RegisteredUser) -> Self {
        let store = tempfile::tempdir().unwrap();
        let client = Client::builder()
            .homeserver_url(homeserver)
            .sqlite_store(store.path(), None)
            .build()
            .await
            .unwrap();
        client
            .matrix_auth()
            .login_username(&user.localpart, &user.password)
            .initial_device_display_name("citizen test device")
            .send()
            .await
            .unwrap();
        client
            .sync_once(SyncSettings::default().timeout(Duration::ZERO))
            .await
            .unwrap();
        let user_id = client.user_id().unwrap().to_owned();
        Self {
            client,
            user_id,
            _store: store,
        }
    }
}

fn sync_settings() -> SyncSettings {
    let mut filter = FilterDefinition::default();
    filter.room.timeline.limit = Some(UInt::from(100u32));
    SyncSettings::default()
        .timeout(Duration::from_secs(1))
        .filter(Filter::FilterDefinition(filter))
}

#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    event_type: String,
    event_id: OwnedEventId,
    sender: OwnedUserId,
    #[serde(borrow)]
    content: &'a RawValue,
    #[serde(default)]
    state_key: Option<String>,
}

/// Runs the citizen until `done(report)` holds; joins invites from
/// `authority`, answers prompts. Bounded by the caller's timeout.
pub async fn run_citizen(
    citizen: &Citizen,
    authority: &OwnedUserId,
    behaviour: Behaviour,
    done: impl Fn(&CitizenReport) -> bool,
) -> CitizenReport {
    let client = &citizen.client;
    let mut report = CitizenReport::default();
    let mut seen: BTreeSet<OwnedEventId> = BTreeSet::new();
    let mut undecrypted: Vec<(OwnedRoomId, OwnedEventId)> = Vec::new();
    while !done(&report) {
        let response = client
            .sync_once(sync_settings())
            .await
            .expect("citizen sync");
        for room in client.invited_rooms() {
            let inviter = room.invite_details().await.ok().and_then(|d| d.inviter);
            if inviter.as_ref().map(|m| m.user_id()) == Some(authority.as_ref()) {
                room.join().await.expect("join");
                report.rooms.insert(room.room_id().to_owned());
            }
        }
        let mut events: Vec<(OwnedRoomId, TimelineEvent)> = Vec::new();
        for (room_id, update) in &response.rooms.joined {
            for event in &update.timeline.events {
                events.push((room_id.clone(), event.clone()));
            }
        }
        let retry = std::mem::take(&mut undecrypted);
        for (room_id, event_id) in retry {
            let room = client.get_room(&room_id).unwrap();
            if let Ok(event) = room.event(&event_id, None).await {
                events.push((room_id, event));
            }
        }
        for (room_id, event) in events {
            if let TimelineEventKind::UnableToDecrypt { .. } = event.kind {
                if let Some(id) = event.event_id() {
                    undecrypted.push((room_id, id));
                }
                continue;
            }
            let encrypted = matches!(event.kind, TimelineEventKind::Decrypted(_));
            let Ok(env) = serde_json::from_str::<Envelope<'_>>(event.raw().json().get()) else {
                continue;
            };
            if !env.event_type.starts_with("de.amtsbote.g2c.") || !seen.insert(env.event_id.clone())
            {
                continue;
            }
            if env.state_key.is_none() {
                if encrypted {
                    report.encrypted_g2c_messages += 1;
                } else {
                    report.plaintext_g2c_messages.push(env.event_type.clone());
                }
            }
            if &env.sender != authority {
                continue;
            }
            let room = client.get_room(&room_id).unwrap();
            let Ok(content) = parse_event(&env.event_type, env.content.get()) else {
                panic!("the authority sent an invalid {}", env.event_type);
            };
            match content {
                G2cEvent::Status(s) => report.statuses.push(s.status.as_str().to_owned()),
                G2cEvent::DocumentsReceived(r) => report
                    .receipt_hashes
                    .extend(r.received_sha256.iter().map(|h| h.as_str().to_owned())),
                G2cEvent::Prompt(prompt) => {
                    answer(client, &room, env.event_id, prompt, behaviour, &mut report).await;
                }
                _ => {}
            }
        }
    }
    report
}

async fn answer(
    client: &Client,
    room: &Room,
    prompt_id: OwnedEventId,
    prompt: Prompt,
    behaviour: Behaviour,
    report: &mut CitizenReport,
) {
    let lang = Language::De;
    match prompt {
        Prompt::AppointmentOffer(offer) => {
            if behaviour == Behaviour::HostileFirst {
                // A slot id that the offer does not contain.
                let bogus = AppointmentSelectionEventContent::new(
                    prompt_id.clone(),
                    &offer,
                    Some(LocalId::new("slot-that-does-not-exist")),
                    lang,
                );
                room.send(bogus).await.unwrap();
                // Malformed: both a slot and "none of the above".
                let raw = serde_json::json!({
                    "body": "Termin",
                    "m.relates_to": { "rel_type": "m.reference", "event_id": prompt_id },
                    "slot_id": offer.slots[0].id,
                    "none_of_the_above": true,
                });
                room.send_raw("de.amtsbote.g2c.v1.appointment_selection", raw)
                    .await
                    .unwrap();
            }
            let slot = offer.slots.get(1).unwrap_or(&offer.slots[0]).id.clone();
            let content =
                AppointmentSelectionEventContent::new(prompt_id, &offer, Some(slot), lang);
            let sent = room.send(content).await.unwrap();
            report.last_sent = Some(sent.response.event_id);
            report.answered.push("appointment_offer".into());
        }
        Prompt::Inquiry(_) => {
            if behaviour == Behaviour::HostileFirst {
                // The same answer, sent into another request room.
                let other = client
                    .joined_rooms()
                    .into_iter()
                    .find(|r| r.room_id() != room.room_id());
                if let Some(other) = other {
                    let misplaced = InquiryAnswerEventContent::new(
                        prompt_id.clone(),
                        "Antwort im falschen Verfahren",
                        vec![],
                        lang,
                    );
                    // matrix-sdk copies m.relates_to to the encrypted
                    // envelope, where Synapse checks it.
                    if let Err(e) = other.send(misplaced).await {
                        report.cross_room_refused_by_server = Some(e.to_string());
                    }
                }
                // A reference to an event that is no prompt (our own answer).
                if let Some(not_a_prompt) = report.last_sent.clone() {
                    let content = InquiryAnswerEventContent::new(
                        not_a_prompt,
                        "Antwort auf etwas, das keine Frage war",
                        vec![],
                        lang,
                    );
                    room.send(content).await.unwrap();
                }
            }
            let content = InquiryAnswerEventContent::new(
                prompt_id,
                "Die Fischereiprüfung habe ich 2019 in Potsdam (Brandenburg) abgelegt.",
                vec![],
                lang,
            );
            room.send(content).await.unwrap();
            report.answered.push("inquiry".into());
        }
        Prompt::DocumentRequest(request) => {
            let document = &request.documents[0];
            let mut reader = Cursor::new(ID_CARD_PNG);
            let file = client.upload_encrypted_file(&mut reader).await.unwrap();
            let sha = sha256_hex(ID_CARD_PNG);
            let file_ref = FileRef {
                source: MediaSource::Encrypted(Box::new(file)),
                name: "Personalausweis.png".into(),
                mimetype: MimeType::new("image/png"),
                size: ID_CARD_PNG.len() as u64,
                sha256: Sha256Hex::new(sha.clone()),
            };
            let content = DocumentsSubmissionEventContent::new(
                prompt_id,
                vec![SubmittedDocument {
                    document_id: document.id.clone(),
                    files: vec![file_ref],
                }],
                lang,
            );
            room.send(content).await.unwrap();
            report.uploaded_sha256 = Some(sha);
            report.answered.push("document_request".into());
        }
        Prompt::Choice(choice) => {
            let content = ChoiceSelectionEventContent::new(
                prompt_id,
                &choice,
                vec![LocalId::new("pickup")],
                lang,
            );
            room.send(content).await.unwrap();
            report.answered.push("choice".into());
        }
        Prompt::Notice(notice) => {
            let mut hashes = Vec::new();
            report.notice_pdf = !notice.attachments.is_empty();
            for file in &notice.attachments {
                let request = MediaRequestParameters {
                    source: file.source.clone(),
                    format: MediaFormat::File,
                };
                let bytes = client
                    .media()
                    .get_media_content(&request, false)
                    .await
                    .unwrap();
                report.notice_pdf &=
                    bytes.starts_with(b"%PDF-") && file.mimetype.as_str() == "application/pdf";
                let sha = sha256_hex(&bytes);
                report.notice_attachment_hashes.push(sha.clone());
                hashes.push(Sha256Hex::new(sha));
            }
            if notice.requires_acknowledgement {
                let content = NoticeAcknowledgementEventContent::new(prompt_id, hashes, lang);
                room.send(content).await.unwrap();
                report.answered.push("notice".into());
            }
        }
    }
}

/// The citizen's view of the room's current status (from its store).
pub fn last_status(report: &CitizenReport) -> Option<Status> {
    report.statuses.last().map(|s| Status::from_wire(s))
}
