//! The overview's authority check over many rooms at once
//! (`CitizenClient::stored_authority_trusts`), against a real Synapse: one
//! authority, several request rooms that differ in what the verdict depends
//! on. Checking each distinct input once must not give one room's verdict
//! to another: a room claiming another authority's name and a room without
//! a published certificate keep their own reasons next to verified rooms of
//! the same account. The list takes each room's claim and certificate from
//! its request summary, so a certificate published, or a claim changed,
//! after a list must show on the next list once sync brought it. Run with
//! `scripts/with-keychain.sh`.

mod common;

use common::{TestAuthority, TestClient, citizen_trusting, fast_sync, login_authority, wait_until};
use g2c_authority::certificate::MasterKeyCertificate;
use g2c_core::requests::RequestSummary;
use g2c_core::trust::master_key_signature::CERTIFICATE_STATE_EVENT;
use g2c_core::trust::{AuthorityTrust, TrustAnchors, UntrustedReason};
use g2c_core::{CitizenClient, CoreEvent};
use g2c_protocol::event::REQUEST;
use g2c_protocol::request::RequestEventContent;
use g2c_testkit::{Synapse, TestCa};
use matrix_sdk::RoomState;
use matrix_sdk::deserialized_responses::RawAnySyncOrStrippedState;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId, RoomId, UserId};
use tokio::sync::broadcast;

const NAME: &str = "Fischereiamt Berlin";
const OTHER_NAME: &str = "Bauamt Spandau";

fn request(authority_name: &str, reference: &str) -> RequestEventContent {
    serde_json::from_value(serde_json::json!({
        "service_name": "Angelschein",
        "authority_name": authority_name,
        "reference_number": reference,
        "submitted_at": "2025-09-01T10:00:00+02:00",
    }))
    .expect("a valid request")
}

/// Whether `client` has joined `room_id` and holds its request metadata
/// and, if `with_certificate`, the authority's certificate event; joins
/// the room if it is still an invite.
async fn room_ready(client: &CitizenClient, room_id: &RoomId, with_certificate: bool) -> bool {
    let Some(room) = client.matrix().get_room(room_id) else {
        return false;
    };
    if room.state() == RoomState::Invited {
        // The sync loop may be joining it too; a second join is harmless.
        let _ = client.join_room(room_id.as_str()).await;
        return false;
    }
    let has = async |event_type: &str| {
        matches!(
            room.get_state_event(StateEventType::from(event_type), "")
                .await,
            Ok(Some(RawAnySyncOrStrippedState::Sync(_)))
        )
    };
    room.state() == RoomState::Joined
        && has(REQUEST).await
        && (!with_certificate || has(CERTIFICATE_STATE_EVENT).await)
}

/// The citizen's request summaries of `room_ids`, in that order, once each
/// of them satisfies `ready` (re-read after every core event, bounded):
/// what the app's overview passes to the list's check.
async fn summaries_when(
    client: &CitizenClient,
    events: &mut broadcast::Receiver<CoreEvent>,
    what: &str,
    room_ids: &[&OwnedRoomId],
    ready: impl Fn(&RequestSummary) -> bool,
) -> Vec<RequestSummary> {
    let mut found = Vec::new();
    wait_until(events, what, async || {
        let listed = client.requests().await.unwrap();
        found = room_ids
            .iter()
            .filter_map(|room_id| {
                listed
                    .iter()
                    .find(|summary| summary.room_id == room_id.as_str())
                    .filter(|summary| ready(summary))
                    .cloned()
            })
            .collect();
        found.len() == room_ids.len()
    })
    .await;
    found
}

/// Whether the summary carries the room's claim of `name` and, if
/// `with_certificate`, a published certificate (else none).
fn carries(summary: &RequestSummary, name: &str, with_certificate: bool) -> bool {
    summary
        .authority_evidence
        .claim
        .as_ref()
        .is_some_and(|claim| claim.authority_name == name)
        && summary.authority_evidence.published_certificate.is_some() == with_certificate
}

/// What both tests start from: a citizen who trusts a test root and syncs,
/// and one authority account with a certificate from that root naming it
/// and NAME.
struct Setup {
    citizen: TestClient,
    events: broadcast::Receiver<CoreEvent>,
    citizen_id: OwnedUserId,
    authority: TestAuthority,
    certificate: MasterKeyCertificate,
    /// Last, so it is dropped (stopped) after the clients.
    _synapse: Synapse,
}

impl Setup {
    /// With the authority's certificate serial number `serial`.
    async fn start(serial: u64) -> Self {
        let synapse = Synapse::start().await.unwrap();
        let root = TestCa::root("Test-Wurzel Verwaltungs-PKI");
        let citizen = citizen_trusting(&synapse, &root).await;
        let events = citizen.client.subscribe();
        citizen.client.start_sync(fast_sync());
        let citizen_id = OwnedUserId::try_from(citizen.user.user_id.as_str()).unwrap();
        let authority = login_authority(&synapse, "fischereiamt").await;
        let (leaf, key) = root.leaf(NAME, &authority.user.user_id, serial, (2025, 2035));
        let certificate = MasterKeyCertificate::from_pem(&[leaf, root.pem.clone()].concat(), &key)
            .expect("signer");
        Self {
            citizen,
            events,
            citizen_id,
            authority,
            certificate,
            _synapse: synapse,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_room_keeps_its_own_verdict_in_one_list() {
    let Setup {
        citizen,
        mut events,
        citizen_id,
        authority,
        certificate,
        _synapse,
    } = Setup::start(1001).await;
    let open = async |name: &str, reference: &str, publish: bool| -> OwnedRoomId {
        let room_id = authority
            .client
            .open_request_room(&citizen_id, request(name, reference))
            .await
            .unwrap();
        if publish {
            authority
                .client
                .publish_certificate(&room_id, &certificate)
                .await
                .unwrap();
        }
        room_id
    };
    // The certificate in a room claiming NAME, twice; in a room claiming
    // another authority's name; and a room of NAME without it.
    let verified = open(NAME, "FA-2025-0001", true).await;
    let other_name = open(OTHER_NAME, "FA-2025-0002", true).await;
    let no_certificate = open(NAME, "FA-2025-0003", false).await;
    let verified_again = open(NAME, "FA-2025-0004", true).await;

    let rooms = [
        (&verified, true),
        (&other_name, true),
        (&no_certificate, false),
        (&verified_again, true),
    ];
    wait_until(&mut events, "the four rooms with their state", async || {
        for (room_id, with_certificate) in rooms {
            if !room_ready(&citizen.client, room_id, with_certificate).await {
                return false;
            }
        }
        true
    })
    .await;

    // The authority's identity as the server has it now: the citizen's
    // signature on it (the mark "verified", uploaded by `verify`) shows in
    // the local store only after the next keys query of the authority.
    let authority_id = UserId::parse(&authority.user.user_id).unwrap();
    let identity_on_server = || async {
        citizen
            .client
            .matrix()
            .encryption()
            .request_user_identity(&authority_id)
            .await
            .unwrap()
            .expect("the authority has an identity")
    };
    assert!(
        !identity_on_server().await.is_verified(),
        "nothing checked the authority yet"
    );

    // The overview's summaries carry each room's claim and certificate
    // (read with the room's state when the summary was computed).
    let summaries = summaries_when(
        &citizen.client,
        &mut events,
        "the four summaries with their claims and certificates",
        &[&verified, &other_name, &no_certificate, &verified_again],
        |summary| {
            let (name, with_certificate) = match summary.room_id.as_str() {
                id if id == other_name.as_str() => (OTHER_NAME, true),
                id if id == no_certificate.as_str() => (NAME, false),
                _ => (NAME, true),
            };
            carries(summary, name, with_certificate)
        },
    )
    .await;
    let verdicts = citizen.client.stored_authority_trusts(&summaries).await;
    let [
        Ok(verified_trust),
        Ok(other_name_trust),
        Ok(no_certificate_trust),
        Ok(verified_again_trust),
    ] = &verdicts[..]
    else {
        panic!("one verdict per room, in order: {verdicts:?}");
    };
    let verified_by_name = AuthorityTrust::Verified {
        authority_name: NAME.to_owned(),
    };
    assert_eq!(*verified_trust, verified_by_name);
    assert_eq!(
        *other_name_trust,
        AuthorityTrust::Unverified {
            reason: UntrustedReason::OtherAuthority,
            identity_changed: false,
        }
    );
    assert_eq!(
        *no_certificate_trust,
        AuthorityTrust::Unverified {
            reason: UntrustedReason::NoCertificate,
            identity_changed: false,
        }
    );
    assert_eq!(*verified_again_trust, verified_by_name);

    // The list marked the verified authority verified in matrix-sdk (the
    // citizen's user-signing key signed its master key).
    assert!(
        identity_on_server().await.is_verified(),
        "the list marked the authority verified"
    );

    // The list says what the request page's per-room check says.
    for (room_id, listed) in [
        (&verified, verified_trust),
        (&other_name, other_name_trust),
        (&no_certificate, no_certificate_trust),
        (&verified_again, verified_again_trust),
    ] {
        assert_eq!(
            citizen
                .client
                .stored_authority_trust(room_id.as_str())
                .await
                .unwrap(),
            *listed,
            "{room_id}"
        );
    }

    // Nothing is kept across lists: without roots, the next list verifies
    // no room.
    citizen.client.set_trust_anchors(TrustAnchors::none());
    let verdicts = citizen
        .client
        .stored_authority_trusts(&[summaries[0].clone(), summaries[3].clone()])
        .await;
    for verdict in verdicts {
        assert_eq!(
            verdict.unwrap().reason(),
            Some(UntrustedReason::UnknownRoot)
        );
    }
}

/// The list reads no room state: what it checks comes with the summaries,
/// which are recomputed when the room changes. A certificate the authority
/// publishes after the first list, and then a changed claim, each show on
/// the next list once sync brought the state event, and the list agrees
/// with the request page's per-room check (which reads the room) each time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_or_claim_changed_after_a_list_shows_on_the_next() {
    let Setup {
        citizen,
        mut events,
        citizen_id,
        authority,
        certificate,
        _synapse,
    } = Setup::start(1002).await;
    let room_id = authority
        .client
        .open_request_room(&citizen_id, request(NAME, "FA-2025-0010"))
        .await
        .unwrap();
    wait_until(&mut events, "the room with its request", async || {
        room_ready(&citizen.client, &room_id, false).await
    })
    .await;

    let list = async |summaries: &[RequestSummary]| {
        let verdicts = citizen.client.stored_authority_trusts(summaries).await;
        let [Ok(listed)] = &verdicts[..] else {
            panic!("one verdict: {verdicts:?}");
        };
        let on_the_page = citizen
            .client
            .stored_authority_trust(room_id.as_str())
            .await
            .unwrap();
        assert_eq!(*listed, on_the_page, "the list and the request page agree");
        listed.clone()
    };

    // First list: no certificate yet.
    let summaries = summaries_when(
        &citizen.client,
        &mut events,
        "the summary with the claim",
        &[&room_id],
        |summary| carries(summary, NAME, false),
    )
    .await;
    assert_eq!(
        list(&summaries).await.reason(),
        Some(UntrustedReason::NoCertificate)
    );

    // The authority publishes its certificate: once the state event synced,
    // the summary is recomputed with it, and the next list verifies.
    authority
        .client
        .publish_certificate(&room_id, &certificate)
        .await
        .unwrap();
    let summaries = summaries_when(
        &citizen.client,
        &mut events,
        "the summary with the certificate",
        &[&room_id],
        |summary| carries(summary, NAME, true),
    )
    .await;
    assert_eq!(
        list(&summaries).await,
        AuthorityTrust::Verified {
            authority_name: NAME.to_owned(),
        }
    );

    // The request event changes to claim another office: the certificate
    // does not name it, and the next list says so.
    authority
        .client
        .matrix()
        .get_room(&room_id)
        .expect("the authority's room")
        .send_state_event(request(OTHER_NAME, "FA-2025-0010"))
        .await
        .unwrap();
    let summaries = summaries_when(
        &citizen.client,
        &mut events,
        "the summary with the changed claim",
        &[&room_id],
        |summary| carries(summary, OTHER_NAME, true),
    )
    .await;
    assert_eq!(
        list(&summaries).await.reason(),
        Some(UntrustedReason::OtherAuthority)
    );
}
