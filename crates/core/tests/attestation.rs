//! Citizens proven by eID, against a real Synapse: the citizen's app
//! publishes the login service's attestation of its master key in each
//! request room, and the authority tool sends a notice only to an attested
//! citizen. No attestation, a forged one (another signing key) and one for
//! another master key are refused and nothing is sent. The attestations are
//! signed by a test ES256 key whose JWKS the authority's verifier is given,
//! as the login service signs them. Run with `scripts/with-keychain.sh`.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::{WAIT, fast_sync, login, login_authority, wait_until};
use g2c_authority::AuthorityClient;
use g2c_authority::trust::{
    ATTESTATION_AUDIENCE, ATTESTATION_EVENT, AttestationRefusal, AttestationVerifier,
};
use g2c_core::CitizenClient;
use g2c_core::rooms::Membership;
use g2c_protocol::datetime::Rfc3339;
use g2c_protocol::prompt::{NoticeEventContent, NoticeKind};
use g2c_protocol::request::RequestEventContent;
use matrix_sdk::deserialized_responses::{RawAnySyncOrStrippedState, TimelineEventKind};
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::{OwnedRoomId, RoomId, UserId};

const ISSUER: &str = "https://login.example/eid";

/// A login-service-like ES256 key: the encoding key and its JWKS.
struct ServiceKey {
    key: jsonwebtoken::EncodingKey,
    jwks: String,
}

impl ServiceKey {
    fn generate() -> Self {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        // The uncompressed SEC1 point: 0x04 ‖ x ‖ y.
        let point = pair.public_key_raw();
        assert_eq!(point.len(), 65);
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "k1",
            "x": b64(&point[1..33]), "y": b64(&point[33..65]),
        }]});
        Self {
            key: jsonwebtoken::EncodingKey::from_ec_der(&pair.serialize_der()),
            jwks: jwks.to_string(),
        }
    }

    /// An attestation of `user`'s `master_key`, as the login service issues it.
    fn attest(&self, user: &str, master_key: &str) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = serde_json::json!({
            "iss": ISSUER, "sub": user, "aud": ATTESTATION_AUDIENCE,
            "iat": now, "exp": now + 3600, "master_key": master_key,
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some("k1".into());
        jsonwebtoken::encode(&header, &claims, &self.key).unwrap()
    }
}

fn request(reference: &str) -> RequestEventContent {
    RequestEventContent {
        service_name: "Angelschein".into(),
        authority_name: "Fischereiamt Berlin".into(),
        reference_number: reference.into(),
        submitted_at: Rfc3339::new("2025-09-01T10:00:00+02:00"),
        description: None,
        language: None,
    }
}

fn notice() -> NoticeEventContent {
    let content = serde_json::json!({
        "notice_kind": "decision",
        "title": "Bescheid",
        "text": "Ihr Fischereischein ist erteilt.",
        "requires_acknowledgement": false,
    });
    let notice = g2c_authority::scenario::notice_from_json(&content).unwrap();
    assert_eq!(notice.notice_kind, NoticeKind::Decision);
    notice
}

/// Waits until the citizen's sync loop has joined `room_id`.
async fn joined(citizen: &CitizenClient, room_id: &RoomId) {
    let mut events = citizen.subscribe();
    wait_until(&mut events, "the request room joined", async || {
        citizen
            .rooms()
            .into_iter()
            .any(|room| room.room_id == room_id.as_str() && room.membership == Membership::Joined)
    })
    .await;
}

/// Syncs the authority until the room's attestation event of `citizen`
/// carries `jwt`.
async fn authority_sees(
    authority: &AuthorityClient,
    room_id: &RoomId,
    citizen: &UserId,
    jwt: &str,
) {
    let room = authority.matrix().get_room(room_id).unwrap();
    tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(Some(RawAnySyncOrStrippedState::Sync(raw))) = room
                .get_state_event(StateEventType::from(ATTESTATION_EVENT), citizen.as_str())
                .await
            {
                let event: serde_json::Value = serde_json::from_str(raw.json().get()).unwrap();
                if event["content"]["attestation"] == jwt {
                    return;
                }
            }
            authority.sync_once(Duration::from_secs(2)).await.unwrap();
        }
    })
    .await
    .expect("the authority sees the citizen's attestation");
}

/// How many messages (notices) the authority has sent into the room.
async fn notices_sent(authority: &AuthorityClient, room_id: &RoomId) -> usize {
    let room = authority.matrix().get_room(room_id).unwrap();
    let messages = room.messages(MessagesOptions::backward()).await.unwrap();
    messages
        .chunk
        .iter()
        .map(|event| match &event.kind {
            TimelineEventKind::Decrypted(decrypted) => decrypted.event.json().get(),
            TimelineEventKind::UnableToDecrypt { event, .. }
            | TimelineEventKind::PlainText { event } => event.json().get(),
        })
        .filter_map(|json| serde_json::from_str::<serde_json::Value>(json).ok())
        // Everything the authority sent but its state events (metadata,
        // status): its messages, decrypted or not.
        .filter(|event| {
            event.get("state_key").is_none() && event["sender"] == authority.user_id().as_str()
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_go_only_to_citizens_attested_by_the_login_service() {
    let synapse = g2c_testkit::Synapse::start().await.unwrap();
    let citizen = login(&synapse, "erika").await;
    let citizen_id = UserId::parse(citizen.user.user_id.as_str()).unwrap();
    let authority = login_authority(&synapse, "fischereiamt").await;
    let service = ServiceKey::generate();
    let verifier = AttestationVerifier::new(ISSUER, &service.jwks).unwrap();

    // The app's first login bootstrapped cross-signing: this device holds
    // the master key it asks the login service to attest.
    let master_key = citizen
        .client
        .master_key_to_attest()
        .await
        .unwrap()
        .expect("a master key after the first login");
    assert_eq!(
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&master_key)
            .unwrap()
            .len(),
        32
    );

    let room_id: OwnedRoomId = authority
        .client
        .open_request_room(&citizen_id, request("FA-1"))
        .await
        .unwrap();
    citizen.client.start_sync(fast_sync());
    joined(&citizen.client, &room_id).await;
    authority.client.sync_once(Duration::ZERO).await.unwrap();

    // No attestation: refused.
    let refused = authority
        .client
        .send_notice_to_attested(&room_id, notice(), &[], None, &verifier)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, AttestationRefusal::Missing(ref u) if *u == citizen_id),
        "{refused}"
    );

    // The room's power levels let the citizen publish their own attestation,
    // but nobody else's, and no other state.
    let citizen_room = citizen.client.matrix().get_room(&room_id).unwrap();
    let someone_else = format!("@someone-else:{}", synapse.server_name());
    assert!(
        citizen_room
            .send_state_event_raw(
                ATTESTATION_EVENT,
                &someone_else,
                serde_json::json!({ "attestation": "x" })
            )
            .await
            .is_err()
    );
    assert!(
        citizen_room
            .send_state_event_raw(
                g2c_protocol::event::STATUS,
                "",
                serde_json::json!({ "status": "closed" })
            )
            .await
            .is_err()
    );

    // Signed by a key the verifier does not trust: refused.
    let forged = ServiceKey::generate().attest(citizen_id.as_str(), &master_key);
    assert_eq!(
        citizen.client.set_eid_attestation(&forged).await.unwrap(),
        1
    );
    authority_sees(&authority.client, &room_id, &citizen_id, &forged).await;
    let refused = authority
        .client
        .send_notice_to_attested(&room_id, notice(), &[], None, &verifier)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, AttestationRefusal::Invalid { .. }),
        "{refused}"
    );

    // Genuinely signed, but for another master key (the identity the
    // citizen proved is not the one the homeserver now shows): refused.
    let other_key = base64::engine::general_purpose::STANDARD_NO_PAD.encode([7u8; 32]);
    let other = service.attest(citizen_id.as_str(), &other_key);
    citizen.client.set_eid_attestation(&other).await.unwrap();
    authority_sees(&authority.client, &room_id, &citizen_id, &other).await;
    let refused = authority
        .client
        .send_notice_to_attested(&room_id, notice(), &[], None, &verifier)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, AttestationRefusal::KeyMismatch(_)),
        "{refused}"
    );
    assert_eq!(notices_sent(&authority.client, &room_id).await, 0);

    // The login service's attestation of the citizen's own key: sent.
    let genuine = service.attest(citizen_id.as_str(), &master_key);
    citizen.client.set_eid_attestation(&genuine).await.unwrap();
    assert_eq!(
        citizen.client.eid_attestation().await.unwrap().as_deref(),
        Some(genuine.as_str())
    );
    authority_sees(&authority.client, &room_id, &citizen_id, &genuine).await;
    authority
        .client
        .send_notice_to_attested(&room_id, notice(), &[], None, &verifier)
        .await
        .unwrap();
    assert_eq!(notices_sent(&authority.client, &room_id).await, 1);

    // A request room opened later gets the stored attestation by itself
    // once the citizen's app has joined it.
    let second: OwnedRoomId = authority
        .client
        .open_request_room(&citizen_id, request("FA-2"))
        .await
        .unwrap();
    joined(&citizen.client, &second).await;
    authority_sees(&authority.client, &second, &citizen_id, &genuine).await;
    authority
        .client
        .send_notice_to_attested(&second, notice(), &[], None, &verifier)
        .await
        .unwrap();
}
