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
