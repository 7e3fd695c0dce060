//! The overview follows the authority without a later, unrelated event: a
//! reader that re-reads `requests()` after every core event (as the app
//! does) sees each new prompt. The last event about a room comes after the
//! event cache has stored the room's new events (`cache_updates`); before,
//! the sync's `RoomsChanged` could arrive while the event cache still
//! lacked the event, the stored summary was then rightly taken as current,
//! and the overview showed one prompt too few until something else
//! happened in any room.

mod common;

use common::{fast_sync, login, login_authority, wait_until};
use g2c_core::requests::RequestStatus;
use g2c_protocol::Language;
use g2c_protocol::datetime::Rfc3339;
use g2c_protocol::prompt::{InquiryEventContent, Prompt};
use g2c_protocol::request::{RequestEventContent, StatusEventContent};
use g2c_testkit::Synapse;
use matrix_sdk::ruma::UserId;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_new_prompt_shows_after_the_last_event_about_it() {
    let synapse = Synapse::start().await.unwrap();
    let citizen = login(&synapse, "citizen").await;
    let authority = login_authority(&synapse, "amt").await;
    let client = &citizen.client;
    let mut events = client.subscribe();
    client.start_sync(fast_sync());

    let room_id = authority
        .client
        .open_request_room(
            &UserId::parse(citizen.user.user_id.as_str()).unwrap(),
            RequestEventContent {
                service_name: "Fischereischein".into(),
                authority_name: "Fischereiamt Berlin".into(),
                reference_number: "FA-2026-0043".into(),
                submitted_at: Rfc3339::new("2026-11-20T09:30:00+01:00"),
                description: None,
                language: None,
            },
        )
        .await
        .unwrap();
    let joined = common::request_room(client).await;
    assert_eq!(joined, room_id.as_str());
    authority
        .client
        .sync_once(std::time::Duration::ZERO)
        .await
        .unwrap();
    authority
        .client
        .set_status(
            &room_id,
            StatusEventContent::new(RequestStatus::ActionRequired),
        )
        .await
        .unwrap();

    let open_prompts = async || {
        client
            .requests()
            .await
            .ok()
            .and_then(|list| list.into_iter().find(|r| r.room_id == room_id.as_str()))
            .filter(|r| r.status == Some(RequestStatus::ActionRequired))
            .map(|r| r.open_prompts)
    };
    wait_until(&mut events, "the request in the overview", async || {
        open_prompts().await == Some(0)
    })
    .await;

    // One prompt at a time, each read after every event until it shows:
    // a read that came too early must be followed by another event.
    for expected in 1..=4 {
        authority
            .client
            .send_prompt(
                &room_id,
                Prompt::Inquiry(InquiryEventContent::new(
                    format!("Frage {expected}: Seit wann angeln Sie?"),
                    Language::De,
                )),
                Some("inquiry"),
            )
            .await
            .unwrap();
        wait_until(
            &mut events,
            &format!("{expected} open prompts in the overview"),
            async || open_prompts().await == Some(expected),
        )
        .await;
    }
}
