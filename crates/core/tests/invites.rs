//! Request rooms arrive as invites: the citizen's sync loop accepts an
//! invite to an end-to-end encrypted room by itself and leaves an invite
//! to an unencrypted room alone (the app would not send into it anyway).

mod common;

use common::{fast_sync, login, wait_until};
use g2c_core::rooms::Membership;
use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoom;
use matrix_sdk::ruma::{OwnedUserId, RoomId};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_invites_are_joined_and_unencrypted_ones_are_not() {
    let synapse = g2c_testkit::Synapse::start().await.unwrap();
    let citizen = login(&synapse, "erika").await;
    let authority = login(&synapse, "fischereiamt").await;
    let citizen_id = OwnedUserId::try_from(citizen.user.user_id.as_str()).unwrap();

    // First an unencrypted room, then an encrypted request room: by the
    // time the second is joined, the first has been seen by a sync too.
    let mut plain = CreateRoom::new();
    plain.invite = vec![citizen_id.clone()];
    let plain = authority.client.matrix().create_room(plain).await.unwrap();
    let request = authority
        .client
        .create_request_room("Angelschein", &[&citizen.user.user_id])
        .await
        .unwrap();

    let mut events = citizen.client.subscribe();
    citizen.client.start_sync(fast_sync());
    let membership = |room_id: &RoomId| {
        citizen
            .client
            .rooms()
            .into_iter()
            .find(|room| room.room_id == room_id.as_str())
            .map(|room| room.membership)
    };
    let request_id = <&RoomId>::try_from(request.as_str()).unwrap();
    wait_until(&mut events, "the request room joined", async || {
        membership(request_id) == Some(Membership::Joined)
    })
    .await;
    assert_eq!(membership(plain.room_id()), Some(Membership::Invited));
}
