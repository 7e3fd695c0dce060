//! End-to-end encryption by default: recovery at first login, refusing
//! unencrypted rooms, and a second device reading history through the key
//! backup. Run with `scripts/with-keychain.sh`.

mod common;

use common::{WAIT, fresh_profile, login, login_device, pair, wait_for_message};
use g2c_core::{CoreError, Keychain, RecoveryStatus};
use g2c_testkit::Synapse;
use matrix_sdk::deserialized_responses::TimelineEventKind;
use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoomRequest;
use matrix_sdk::ruma::{EventId, RoomId};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_login_sets_up_cross_signing_and_recovery() {
    let synapse = Synapse::start().await.unwrap();
    let citizen = login(&synapse, "citizen").await;
    assert!(citizen.client.cross_signing_complete().await);
    assert_eq!(citizen.client.recovery_status(), RecoveryStatus::Enabled);
    let keychain = Keychain::open(citizen.profile.name()).unwrap();
    let key = keychain.recovery_key().unwrap().expect("recovery key kept");
    assert_eq!(
        citizen
            .client
            .recovery_key()
            .await
            .unwrap()
            .unwrap()
            .expose(),
        key.expose()
    );
    citizen.client.logout().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_to_send_into_an_unencrypted_room() {
    let synapse = Synapse::start().await.unwrap();
    let citizen = login(&synapse, "citizen").await;
    let room = citizen
        .client
        .matrix()
        .create_room(CreateRoomRequest::new())
        .await
        .unwrap();
    let error = citizen
        .client
        .send_text(room.room_id().as_str(), "Mein Antrag")
        .await
        .unwrap_err();
    assert!(
        matches!(error, CoreError::NotEncrypted { .. }),
        "unexpected error: {error}"
    );

    // The helper's rooms are encrypted, and sending there works.
    let encrypted = citizen
        .client
        .create_request_room("Angelschein", &[])
        .await
        .unwrap();
    citizen
        .client
        .send_text(&encrypted, "Mein Antrag")
        .await
        .unwrap();
    citizen.client.logout().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_device_recovers_history_with_the_recovery_key() {
    let synapse = Synapse::start().await.unwrap();
    let pair = pair(&synapse).await;
    let mut citizen_events = pair.citizen.client.subscribe();

    let body = "Ihr Angelschein liegt zur Abholung bereit.";
    pair.authority
        .client
        .send_text(&pair.room_id, body)
        .await
        .unwrap();
    let received = wait_for_message(&mut citizen_events, &pair.room_id, body).await;
    let g2c_core::CoreEvent::MessageReceived {
        event_id,
        encrypted,
        ..
    } = received
    else {
        unreachable!()
    };
    assert!(encrypted, "the message must have arrived encrypted");
    tokio::time::timeout(WAIT, pair.citizen.client.wait_for_backup_upload())
        .await
        .expect("backup upload in time")
        .unwrap();
    let recovery_key = pair.citizen.client.recovery_key().await.unwrap().unwrap();

    // A second device of the citizen: no room keys of its own.
    let (profile, _dir) = fresh_profile("citizen-device-2");
    let device2 = login_device(&synapse, &pair.citizen.user, &profile).await;
    assert_ne!(device2.device_id(), pair.citizen.client.device_id());
    assert_eq!(device2.recovery_status(), RecoveryStatus::NeedsRecoveryKey);
    assert!(
        Keychain::open(profile.name())
            .unwrap()
            .recovery_key()
            .unwrap()
            .is_none(),
        "a second device must not create its own recovery"
    );

    device2.recover(&recovery_key).await.unwrap();
    assert_eq!(device2.recovery_status(), RecoveryStatus::Enabled);
    assert!(device2.cross_signing_complete().await);

    let room_id = <&RoomId>::try_from(pair.room_id.as_str()).unwrap();
    let event_id = <&EventId>::try_from(event_id.as_str()).unwrap();
    // The room is not in device 2's store before its first sync.
    let room = match device2.matrix().get_room(room_id) {
        Some(room) => room,
        None => device2.matrix().join_room_by_id(room_id).await.unwrap(),
    };
    device2
        .matrix()
        .encryption()
        .backups()
        .download_room_keys_for_room(room_id)
        .await
        .unwrap();
    let event = room.event(event_id, None).await.unwrap();
    let TimelineEventKind::Decrypted(decrypted) = &event.kind else {
        panic!(
            "device 2 could not decrypt the old message: {:?}",
            event.kind
        );
    };
    let json: serde_json::Value = decrypted.event.deserialize_as_unchecked().unwrap();
    assert_eq!(json["content"]["body"], body);
}
