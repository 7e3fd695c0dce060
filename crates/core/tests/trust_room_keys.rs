//! Verified by default, against a real Synapse: the authority publishes its
//! certificate with the authority tool, the citizen's app verifies it, and a
//! device added to the authority's account without the cross-signing keys
//! (a second login, as a compromised server could add) gets no room key.
//! An identity reset without a certificate is reported as a changed
//! identity. Run with `scripts/with-keychain.sh`.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{TestAuthority, WAIT, citizen_trusting, fast_sync, login_authority, wait_until};
use g2c_authority::certificate::MasterKeyCertificate;
use g2c_core::CitizenClient;
use g2c_core::trust::{AuthorityTrust, UntrustedReason};
use g2c_protocol::datetime::Rfc3339;
use g2c_protocol::request::RequestEventContent;
use g2c_testkit::{RegisteredUser, Synapse, TestCa};
use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::TimelineEventKind;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::api::client::uiaa;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, RoomId, UserId};

const NAME: &str = "Fischereiamt Berlin";

/// The authority tool's signer for a chain (leaf first) and key.
fn signer(chain: &[&str], key_pem: &str) -> MasterKeyCertificate {
    MasterKeyCertificate::from_pem(&chain.concat(), key_pem).expect("signer")
}

fn request() -> RequestEventContent {
    RequestEventContent {
        service_name: "Angelschein".into(),
        authority_name: NAME.into(),
        reference_number: "FA-2025-0042".into(),
        submitted_at: Rfc3339::new("2025-09-01T10:00:00+02:00"),
        description: None,
        language: None,
    }
}

/// The authority's first device, logged in with the authority tool (which
/// bootstraps cross-signing), with a request room for `citizen` in which it
/// published its certificate.
async fn authority_with_certificate(
    synapse: &Synapse,
    pki: &TestCa,
    citizen: &UserId,
) -> (TestAuthority, OwnedRoomId) {
    let authority = login_authority(synapse, "fischereiamt").await;
    let room_id = authority
        .client
        .open_request_room(citizen, request())
        .await
        .unwrap();
    let (leaf, key) = pki.leaf(NAME, &authority.user.user_id, 1001, (2025, 2035));
    let key_id = authority
        .client
        .publish_certificate(&room_id, &signer(&[&leaf, &pki.pem], &key))
        .await
        .unwrap();
    assert!(key_id.starts_with("io.element.x509:"));
    (authority, room_id)
}

/// Joins the first room the citizen is invited to and waits until its
/// request metadata is there.
async fn join_request_room(client: &CitizenClient) -> String {
    let mut events = client.subscribe();
    let room_id = common::request_room(client).await;
    // The request metadata and the authority's certificate are separate
    // state events; the sync loop may have joined the room before the
    // certificate arrived.
    wait_until(
        &mut events,
        "the request metadata and certificate",
        async || {
            !matches!(
                client.authority_trust(&room_id).await.unwrap().reason(),
                Some(UntrustedReason::NotARequestRoom | UntrustedReason::NoCertificate)
            )
        },
    )
    .await;
    room_id
}

/// A plain matrix-sdk device of `user`: no cross-signing keys, so its
/// device is not signed by the account's identity.
async fn unsigned_second_device(
    synapse: &Synapse,
    user: &RegisteredUser,
    dir: &Path,
) -> matrix_sdk::Client {
    let client = matrix_sdk::Client::builder()
        .homeserver_url(synapse.base_url())
        .sqlite_store(dir, None)
        .build()
        .await
        .unwrap();
    client
        .matrix_auth()
        .login_username(&user.localpart, &user.password)
        .initial_device_display_name("added by the server")
        .send()
        .await
        .unwrap();
    // Uploads the device keys.
    client
        .sync_once(SyncSettings::default().timeout(Duration::from_secs(1)))
        .await
        .unwrap();
    client
}

/// One sync of `client`, then the room's recent history.
async fn synced_history(
    client: &matrix_sdk::Client,
    room_id: &RoomId,
) -> Vec<matrix_sdk::deserialized_responses::TimelineEvent> {
    client
        .sync_once(SyncSettings::default().timeout(Duration::from_secs(2)))
        .await
        .unwrap();
    match client.get_room(room_id) {
        Some(room) => {
            room.messages(MessagesOptions::backward())
                .await
                .unwrap()
                .chunk
        }
        None => Vec::new(),
    }
}

/// Syncs `client` until it has decrypted a message with `body`; its id.
async fn wait_decrypted(client: &matrix_sdk::Client, room_id: &RoomId, body: &str) -> OwnedEventId {
    tokio::time::timeout(WAIT, async {
        loop {
            for event in synced_history(client, room_id).await {
                let json: serde_json::Value = event.raw().deserialize_as_unchecked().unwrap();
                if matches!(event.kind, TimelineEventKind::Decrypted(_))
                    && json["content"]["body"] == body
                {
                    return event.event_id().unwrap();
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting to decrypt `{body}`"))
}

/// Syncs `client` until event `event_id` is in its history; whether it
/// decrypted.
async fn decrypted_once_seen(
    client: &matrix_sdk::Client,
    room_id: &RoomId,
    event_id: &OwnedEventId,
) -> bool {
    tokio::time::timeout(WAIT, async {
        loop {
            for event in synced_history(client, room_id).await {
                if event.event_id().as_ref() == Some(event_id) {
                    return matches!(event.kind, TimelineEventKind::Decrypted(_));
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {event_id}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_authority_and_no_room_key_for_a_device_added_without_the_certificate() {
    let synapse = Synapse::start().await.unwrap();
    let root = TestCa::root("Test-Wurzel Verwaltungs-PKI");
    let citizen = citizen_trusting(&synapse, &root).await;
    citizen.client.start_sync(fast_sync());

    let citizen_id = OwnedUserId::try_from(citizen.user.user_id.as_str()).unwrap();
    let (authority, room_id) = authority_with_certificate(&synapse, &root, &citizen_id).await;
    let joined = join_request_room(&citizen.client).await;
    assert_eq!(joined, room_id.as_str());

    // The server side adds a device to the authority's account.
    let second_dir = tempfile::tempdir().unwrap();
    let second = unsigned_second_device(&synapse, &authority.user, second_dir.path()).await;
    let second_device = second.device_id().unwrap().to_owned();

    // The citizen's app verifies the authority by its certificate, and now
    // knows the added device, which the authority's identity did not sign.
    assert_eq!(
        citizen
            .client
            .authority_trust(room_id.as_str())
            .await
            .unwrap(),
        AuthorityTrust::Verified {
            authority_name: NAME.to_owned()
        }
    );
    let authority_id = UserId::parse(&authority.user.user_id).unwrap();
    let device = citizen
        .client
        .matrix()
        .encryption()
        .get_device(&authority_id, &second_device)
        .await
        .unwrap()
        .expect("the citizen knows the added device");
    assert!(!device.is_cross_signed_by_owner());

    // The citizen answers; the certified device reads it, the added one
    // cannot.
    citizen
        .client
        .send_text(room_id.as_str(), "Antwort für das Amt")
        .await
        .unwrap();
    // The certified device decrypts it.
    let event_id = wait_decrypted(authority.client.matrix(), &room_id, "Antwort für das Amt").await;
    // The added device sees the event but never got its key: not when the
    // event arrived (the key is sent before the event) and not after one
    // more sync.
    assert!(!decrypted_once_seen(&second, &room_id, &event_id).await);
    assert!(!decrypted_once_seen(&second, &room_id, &event_id).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identity_reset_without_certificate_is_reported_as_changed() {
    let synapse = Synapse::start().await.unwrap();
    let root = TestCa::root("Test-Wurzel Verwaltungs-PKI");
    let citizen = citizen_trusting(&synapse, &root).await;
    citizen.client.start_sync(fast_sync());
    let citizen_id = OwnedUserId::try_from(citizen.user.user_id.as_str()).unwrap();
    let (authority, room_id) = authority_with_certificate(&synapse, &root, &citizen_id).await;
    join_request_room(&citizen.client).await;
    assert!(
        citizen
            .client
            .authority_trust(room_id.as_str())
            .await
            .unwrap()
            .is_verified()
    );

    // The account's identity is replaced (as a server admin resetting the
    // password and cross-signing could): the published certificate signed
    // the old master key, not the new one.
    // A fresh device of the account (it has no cross-signing private keys)
    // creates and uploads a new identity, answering the password prompt.
    let reset_dir = tempfile::tempdir().unwrap();
    let resetter = unsigned_second_device(&synapse, &authority.user, reset_dir.path()).await;
    let encryption = resetter.encryption();
    match encryption.bootstrap_cross_signing(None).await {
        Ok(()) => {}
        Err(error) => {
            let uiaa = error.as_uiaa_response().expect("reset needs auth").clone();
            let mut auth = uiaa::Password::new(
                uiaa::UserIdentifier::Matrix(uiaa::MatrixUserIdentifier::new(
                    authority.user.user_id.clone(),
                )),
                authority.user.password.clone(),
            );
            auth.session = uiaa.session;
            encryption
                .bootstrap_cross_signing(Some(uiaa::AuthData::Password(auth)))
                .await
                .unwrap();
        }
    }

    assert_eq!(
        citizen
            .client
            .authority_trust(room_id.as_str())
            .await
            .unwrap(),
        AuthorityTrust::Unverified {
            reason: UntrustedReason::KeyMismatch,
            identity_changed: true,
        }
    );
}
