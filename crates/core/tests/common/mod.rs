//! Helpers shared by the integration tests: fresh profiles, logins on the
//! test homeserver (citizens' and the authority tool's) and bounded waits
//! on the event stream.

#![allow(dead_code)]

use std::time::Duration;

use g2c_authority::AuthorityClient;
use g2c_core::trust::TrustAnchors;
use g2c_core::{CitizenClient, CoreEvent, Profile, SecretString, SyncOptions};
use g2c_testkit::{RegisteredUser, Synapse, TestCa};
use tempfile::TempDir;
use tokio::sync::broadcast;

/// The longest any single condition may take on a loaded 2-core machine.
pub const WAIT: Duration = Duration::from_secs(120);

/// A profile with a unique keychain name and its own data directory.
pub fn fresh_profile(name: &str) -> (Profile, TempDir) {
    let dir = tempfile::Builder::new()
        .prefix("g2c-core-test-")
        .tempdir()
        .unwrap();
    let unique = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    (Profile::new(format!("{name}-{unique}"), dir.path()), dir)
}

/// Sync tuned for tests: short long-poll, quick reconnects.
pub fn fast_sync() -> SyncOptions {
    SyncOptions {
        long_poll: Duration::from_secs(5),
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(500),
    }
}

/// A logged-in client for a fresh user, with its profile directory.
pub struct TestClient {
    pub client: CitizenClient,
    pub user: RegisteredUser,
    pub profile: Profile,
    pub dir: TempDir,
}

/// A fresh citizen (as [`login`]) who trusts `root` as the government root
/// authorities are verified against; not yet syncing.
pub async fn citizen_trusting(synapse: &Synapse, root: &TestCa) -> TestClient {
    let citizen = login(synapse, "citizen").await;
    citizen
        .client
        .set_trust_anchors(TrustAnchors::from_roots_pem(&root.pem).unwrap());
    citizen
}

/// Registers a fresh user and logs in a fresh device with a password.
pub async fn login(synapse: &Synapse, prefix: &str) -> TestClient {
    let user = synapse.register_user(prefix).await.unwrap();
    let (profile, dir) = fresh_profile(prefix);
    let client = login_device(synapse, &user, &profile).await;
    TestClient {
        client,
        user,
        profile,
        dir,
    }
}

/// Logs in another device of `user` into `profile`.
pub async fn login_device(
    synapse: &Synapse,
    user: &RegisteredUser,
    profile: &Profile,
) -> CitizenClient {
    CitizenClient::login_with_password(
        profile.clone(),
        synapse.base_url(),
        &user.user_id,
        &SecretString::new(user.password.clone()),
    )
    .await
    .unwrap()
}

/// The authority tool (g2c-authority) logged in as a fresh user, with its
/// data directory (removed when this is dropped).
pub struct TestAuthority {
    pub client: AuthorityClient,
    pub user: RegisteredUser,
    pub dir: TempDir,
}

/// Registers a fresh user and logs the authority tool in as that user, in
/// a fresh data directory (the login bootstraps cross-signing).
pub async fn login_authority(synapse: &Synapse, prefix: &str) -> TestAuthority {
    let user = synapse.register_user(prefix).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = AuthorityClient::login(
        synapse.base_url(),
        dir.path(),
        &user.localpart,
        &user.password,
    )
    .await
    .unwrap();
    TestAuthority { client, user, dir }
}

/// Waits (bounded) for the first event matching `predicate`.
pub async fn wait_for(
    events: &mut broadcast::Receiver<CoreEvent>,
    what: &str,
    mut predicate: impl FnMut(&CoreEvent) -> bool,
) -> CoreEvent {
    tokio::time::timeout(WAIT, async {
        loop {
            match events.recv().await {
                Ok(event) if predicate(&event) => return event,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("event stream closed"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Waits (bounded) until `condition` holds, re-checking after every event.
pub async fn wait_until(
    events: &mut broadcast::Receiver<CoreEvent>,
    what: &str,
    mut condition: impl AsyncFnMut() -> bool,
) {
    tokio::time::timeout(WAIT, async {
        loop {
            if condition().await {
                return;
            }
            match events.recv().await {
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("event stream closed"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting until {what}"))
}

/// The first request room the citizen was invited to, joined. The sync
/// loop accepts encrypted invites by itself, so the room may already be
/// joined when this looks; joining again is harmless.
pub async fn request_room(client: &CitizenClient) -> String {
    let mut events = client.subscribe();
    wait_until(&mut events, "a request room", async || {
        !client.matrix().invited_rooms().is_empty() || !client.matrix().joined_rooms().is_empty()
    })
    .await;
    let matrix = client.matrix();
    let room = matrix
        .joined_rooms()
        .into_iter()
        .chain(matrix.invited_rooms())
        .next()
        .expect("a room");
    let room_id = room.room_id().to_string();
    client.join_room(&room_id).await.unwrap();
    room_id
}

/// An authority and a citizen, both syncing, in one encrypted request room
/// that both have joined and whose membership both have seen.
pub struct Pair {
    pub authority: TestClient,
    pub citizen: TestClient,
    pub room_id: String,
}

pub async fn pair(synapse: &Synapse) -> Pair {
    let authority = login(synapse, "authority").await;
    let citizen = login(synapse, "citizen").await;
    let mut authority_events = authority.client.subscribe();
    let mut citizen_events = citizen.client.subscribe();
    authority.client.start_sync(fast_sync());
    citizen.client.start_sync(fast_sync());

    let room_id = authority
        .client
        .create_request_room("Angelschein 2025", &[&citizen.user.user_id])
        .await
        .unwrap();
    citizen.client.join_room(&room_id).await.unwrap();

    let citizen_id = citizen.user.user_id.clone();
    let authority_id = authority.user.user_id.clone();
    let both_joined = async |client: &CitizenClient| {
        let Some(room) = client
            .matrix()
            .get_room(<&matrix_sdk::ruma::RoomId>::try_from(room_id.as_str()).unwrap())
        else {
            return false;
        };
        let mut joined = 0;
        for user in [&citizen_id, &authority_id] {
            let user = <&matrix_sdk::ruma::UserId>::try_from(user.as_str()).unwrap();
            if let Ok(Some(member)) = room.get_member_no_sync(user).await
                && *member.membership()
                    == matrix_sdk::ruma::events::room::member::MembershipState::Join
            {
                joined += 1;
            }
        }
        joined == 2
    };
    wait_until(
        &mut authority_events,
        "the authority sees both members",
        async || both_joined(&authority.client).await,
    )
    .await;
    wait_until(
        &mut citizen_events,
        "the citizen sees both members",
        async || both_joined(&citizen.client).await,
    )
    .await;
    Pair {
        authority,
        citizen,
        room_id,
    }
}

/// Waits until `client` receives a message with `body` in `room_id`.
pub async fn wait_for_message(
    events: &mut broadcast::Receiver<CoreEvent>,
    room_id: &str,
    body: &str,
) -> CoreEvent {
    wait_for(events, &format!("message `{body}`"), |event| {
        matches!(event, CoreEvent::MessageReceived { room_id: r, body: Some(b), .. } if r == room_id && b == body)
    })
    .await
}
