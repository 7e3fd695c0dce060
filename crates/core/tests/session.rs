//! Login, offline restore and logout against a real homeserver and a real
//! Secret Service (run with `scripts/with-keychain.sh`).

mod common;

use common::{fast_sync, fresh_profile, login, wait_for};
use g2c_core::keychain::SecretKind;
use g2c_core::{CitizenClient, CoreEvent, Keychain, SecretString};
use g2c_testkit::{Synapse, SynapseOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_restore_offline_and_logout() {
    let mut synapse = Synapse::start().await.unwrap();
    let citizen = login(&synapse, "citizen").await;
    let profile = citizen.profile.clone();
    let client = citizen.client;

    let keychain = Keychain::open(profile.name()).unwrap();
    let stored = keychain
        .session()
        .unwrap()
        .expect("session in the keychain");
    assert_eq!(stored.user_id, citizen.user.user_id);
    assert_eq!(stored.device_id, client.device_id());
    assert!(keychain.store_key().unwrap().is_some());
    assert!(profile.store_dir().exists());

    let mut events = client.subscribe();
    let room_id = client
        .create_request_room("Angelschein 2025", &[])
        .await
        .unwrap();
    client.start_sync(fast_sync());
    wait_for(&mut events, "the room in a sync", |event| {
        matches!(event, CoreEvent::RoomsChanged { room_ids } if room_ids.contains(&room_id))
    })
    .await;
    drop(client);

    // Offline start: the homeserver is down, the session and rooms come
    // from the keychain and the store.
    synapse.stop().unwrap();
    let restored = CitizenClient::restore(profile.clone())
        .await
        .unwrap()
        .expect("a session to restore");
    assert_eq!(restored.user_id(), citizen.user.user_id);
    assert_eq!(restored.device_id(), stored.device_id);
    let rooms = restored.rooms();
    let room = rooms
        .iter()
        .find(|room| room.room_id == room_id)
        .expect("cached room");
    assert_eq!(room.name.as_deref(), Some("Angelschein 2025"));
    assert!(room.encrypted);

    // Logout revokes the device, wipes the store and the keychain.
    synapse.resume().await.unwrap();
    let report = restored.logout().await.unwrap();
    assert!(report.server_revoked);
    assert!(!profile.store_dir().exists());
    for kind in SecretKind::ALL {
        assert!(
            !keychain.contains(kind).unwrap(),
            "{kind:?} left in the keychain"
        );
    }
    let whoami = reqwest::Client::new()
        .get(format!(
            "{}/_matrix/client/v3/account/whoami",
            synapse.base_url()
        ))
        .bearer_auth(stored.access_token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(whoami.status(), reqwest::StatusCode::UNAUTHORIZED);
    assert!(CitizenClient::restore(profile).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_while_server_is_down_still_wipes_local_data() {
    let mut synapse = Synapse::start().await.unwrap();
    let citizen = login(&synapse, "citizen").await;
    let keychain = Keychain::open(citizen.profile.name()).unwrap();
    synapse.stop().unwrap();
    let report = citizen.client.logout().await.unwrap();
    assert!(!report.server_revoked);
    assert!(!citizen.profile.store_dir().exists());
    for kind in SecretKind::ALL {
        assert!(
            !keychain.contains(kind).unwrap(),
            "{kind:?} left in the keychain"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_without_a_session_is_none() {
    let (profile, _dir) = fresh_profile("nobody");
    assert!(CitizenClient::restore(profile).await.unwrap().is_none());
}

/// The SSO path: the eID login ends in an `m.login.token`. Here the token
/// comes from Synapse's "login via existing session" endpoint, which issues
/// the same kind of token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_a_login_token() {
    let synapse = Synapse::start_with(SynapseOptions {
        extra_config: "login_via_existing_session:\n  enabled: true\n  require_ui_auth: false\n"
            .to_owned(),
        ..SynapseOptions::default()
    })
    .await
    .unwrap();
    let user = synapse.register_user("citizen").await.unwrap();
    let response: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{}/_matrix/client/v1/login/get_token",
            synapse.base_url()
        ))
        .bearer_auth(&user.access_token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = SecretString::new(response["login_token"].as_str().unwrap());

    let (profile, _dir) = fresh_profile("sso");
    let client = CitizenClient::login_with_token(profile.clone(), synapse.base_url(), &token)
        .await
        .unwrap();
    assert_eq!(client.user_id(), user.user_id);
    assert_ne!(client.device_id(), user.device_id);
    let keychain = Keychain::open(profile.name()).unwrap();
    assert!(keychain.session().unwrap().is_some());
    client.logout().await.unwrap();
}
