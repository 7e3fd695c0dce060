//! The citizen's requests, as an overview for a UI.
//!
//! A request is a joined, end-to-end encrypted room that carries the
//! `de.amtsbote.g2c.v1.request` state event. Its summary comes from the
//! room's G2C events run through the protocol's
//! [`RequestStateMachine`]: metadata, the current status and the prompts
//! that wait for the citizen.
//!
//! The events come from matrix-sdk's event cache ([`crate::room_events`]:
//! the local store first, the homeserver only for what it lacks), at most
//! [`MAX_EVENTS`] per room, applied oldest first; rooms are read
//! [`CONCURRENT_ROOMS`] at a time. A summary computed from a room's whole
//! history is stored ([`crate::summary_store`]) and reused while the room's
//! latest event is the same and no open prompt has expired: for such a
//! room a start reads one stored value and asks the event cache's store
//! two index questions ([`crate::room_events::is_latest_event`]), without
//! opening the room's event cache, decoding its events or reading its
//! state. Only a room with something new is read and recomputed. If the
//! events do not reach back to the room's start, the metadata and status
//! fall back to the room's current state. An event from the citizen's
//! own user counts as the citizen's, every other sender as the authority's
//! (checking the authority's verified identity is left to the trust module).
//!
//! No UI types here: the shell maps [`RequestSummary`] to its own DTOs.

use futures_util::stream::{self, StreamExt as _};
use g2c_protocol::event::{REQUEST, STATUS};
use g2c_protocol::request::RequestEventContent;
use g2c_protocol::state_machine::{RequestStateMachine, Role, TimelineEvent};
use g2c_protocol::{G2cEvent, G2cEventType, parse_event};
use matrix_sdk::deserialized_responses::RawAnySyncOrStrippedState;
use matrix_sdk::ruma::events::{AnySyncTimelineEvent, StateEventType};
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedUserId};
use matrix_sdk::{Client, Room};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::room_events;
use crate::session::CitizenClient;
use crate::summary_store::{self, StoredSummary};
use crate::trust::authority::AuthorityEvidence;

pub use g2c_protocol::request::Status as RequestStatus;

pub use crate::room_events::MAX_EVENTS;

/// How many rooms are read at once. From the store this hardly matters;
/// on a first login (every room paginated from the homeserver) it bounds
/// the parallel requests.
pub const CONCURRENT_ROOMS: usize = 8;

/// One request as the overview shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSummary {
    /// The request room.
    pub room_id: String,
    /// The service applied for, e.g. "Fischereischein".
    pub service: String,
    /// The authority handling it.
    pub authority: String,
    /// The authority's reference number.
    pub reference: String,
    /// When it was submitted (RFC 3339, as the authority wrote it).
    pub submitted_at: String,
    /// The current status; `None` until the authority set one.
    pub status: Option<RequestStatus>,
    /// Prompts waiting for the citizen's answer.
    pub open_prompts: usize,
    /// Whether the citizen has something to do: an open prompt, or the
    /// status is `action_required`.
    pub needs_action: bool,
    /// The language the authority writes this case in (BCP 47, as the
    /// authority wrote it), `de` when the request event names none; the UI
    /// marks authority text with it. No serde default: a summary stored
    /// before this field existed fails to read and is recomputed.
    pub language: String,
    /// What the list's authority check needs of the room's state (the
    /// claim and the published certificate), read from the room's state
    /// when this summary was computed, after its events: the overview's
    /// [`CitizenClient::stored_authority_trusts`] then reads no room state.
    /// Not for display (the authority's name is [`Self::authority`]). A
    /// summary stored before this field existed fails to read and is
    /// recomputed.
    pub authority_evidence: AuthorityEvidence,
}

impl CitizenClient {
    /// Summaries of every joined, encrypted request room, those that need
    /// the citizen's action first, then the newest submission first.
    ///
    /// A room whose latest event is unchanged since its summary was stored
    /// is read from the store; any other room's history is read from the
    /// event cache (the homeserver for what it lacks); a room whose
    /// history cannot be read is summarised from its state alone.
    pub async fn requests(&self) -> Result<Vec<RequestSummary>, CoreError> {
        Ok(self
            .requests_with_origin()
            .await
            .into_iter()
            .map(|(summary, _)| summary)
            .collect())
    }

    /// [`Self::requests`], each with where it came from.
    pub(crate) async fn requests_with_origin(&self) -> Vec<(RequestSummary, Origin)> {
        let own = self.matrix().user_id().map(ToOwned::to_owned);
        let mut summaries: Vec<(RequestSummary, Origin)> =
            stream::iter(self.matrix().joined_rooms())
                .map(|room| summary_of(self.matrix(), room, own.as_ref()))
                .buffer_unordered(CONCURRENT_ROOMS)
                .filter_map(std::future::ready)
                .collect()
                .await;
        summaries.sort_by(|(a, _), (b, _)| order(a, b));
        summaries
    }

    /// The summary of one request room, `None` if it is not a joined,
    /// encrypted request room.
    pub async fn request(&self, room_id: &str) -> Result<Option<RequestSummary>, CoreError> {
        Ok(self
            .requests()
            .await?
            .into_iter()
            .find(|r| r.room_id == room_id))
    }
}

/// Where a summary came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The state store: the room's latest event was unchanged.
    Stored,
    /// The room's history.
    Computed,
}

/// Needs action first, then the newest submission first, then by room.
fn order(a: &RequestSummary, b: &RequestSummary) -> std::cmp::Ordering {
    b.needs_action
        .cmp(&a.needs_action)
        .then_with(|| b.submitted_at.cmp(&a.submitted_at))
        .then_with(|| a.room_id.cmp(&b.room_id))
}

/// The summary, and the earliest expiry of its open prompts (milliseconds
/// since the epoch): after it the summary changes without a new event.
async fn summarise(
    room: &Room,
    state_metadata: RequestEventContent,
    events: &[TimelineEvent],
    now: MilliSecondsSinceUnixEpoch,
) -> (RequestSummary, Option<i64>) {
    let (machine, refused) = RequestStateMachine::from_events(events);
    for (event_id, error) in &refused {
        tracing::debug!(room_id = %room.room_id(), %event_id, %error, "event refused by the request state machine");
    }
    let view = machine.view(now);
    let metadata = view.metadata.cloned().unwrap_or(state_metadata);
    let status = match view.status {
        Some(status) => Some(status.clone()),
        None => state_content::<g2c_protocol::request::StatusEventContent>(room, STATUS)
            .await
            .map(|s| s.status),
    };
    let open_prompts = view.needs_citizen_action().count();
    let valid_until_ms = view
        .needs_citizen_action()
        .filter_map(|prompt| prompt.record.prompt.meta().expires())
        .map(|expires| expires.as_millisecond())
        .min();
    let needs_action = open_prompts > 0 || status == Some(RequestStatus::ActionRequired);
    // Read after the room's events (the caller read them first): sync
    // writes the room's state before the event cache gets its events, so
    // this state is at least as new as the latest event the summary is
    // stored with (crate::summary_store, "The authority's claim and
    // certificate").
    let authority_evidence = AuthorityEvidence::read(room).await;
    let summary = RequestSummary {
        room_id: room.room_id().to_string(),
        language: metadata.language_or_default().to_owned(),
        service: metadata.service_name,
        authority: metadata.authority_name,
        reference: metadata.reference_number,
        submitted_at: metadata.submitted_at.as_str().to_owned(),
        status,
        open_prompts,
        needs_action,
        authority_evidence,
    };
    (summary, valid_until_ms)
}

/// The content of a G2C state event with an empty state key, parsed and
/// validated; `None` if absent or invalid.
async fn state_content<T: FromG2c>(room: &Room, event_type: &str) -> Option<T> {
    let raw = match room
        .get_state_event(StateEventType::from(event_type), "")
        .await
    {
        Ok(Some(RawAnySyncOrStrippedState::Sync(raw))) => raw.json().get().to_owned(),
        Ok(_) => return None,
        Err(error) => {
            tracing::warn!(%error, "could not read room state");
            return None;
        }
    };
    let event: serde_json::Value = serde_json::from_str(&raw).ok()?;
    let content = event.get("content")?.to_string();
    match parse_event(event_type, &content) {
        Ok(event) => T::from_g2c(event),
        Err(error) => {
            tracing::debug!(event_type, %error, "invalid state event");
            None
        }
    }
}

trait FromG2c: Sized {
    fn from_g2c(event: G2cEvent) -> Option<Self>;
}

impl FromG2c for RequestEventContent {
    fn from_g2c(event: G2cEvent) -> Option<Self> {
        match event {
            G2cEvent::Request(c) => Some(c),
            _ => None,
        }
    }
}

impl FromG2c for g2c_protocol::request::StatusEventContent {
    fn from_g2c(event: G2cEvent) -> Option<Self> {
        match event {
            G2cEvent::Status(c) => Some(c),
            _ => None,
        }
    }
}

/// The fields of a (decrypted) timeline event the state machine needs.
#[derive(Deserialize)]
struct MinimalEvent {
    #[serde(rename = "type")]
    event_type: String,
    event_id: OwnedEventId,
    sender: OwnedUserId,
    origin_server_ts: MilliSecondsSinceUnixEpoch,
    #[serde(default)]
    content: serde_json::Value,
}

/// The summary of `room`, `None` if it is not an encrypted request room:
/// the stored one while the room's latest event is unchanged, else
/// computed from its history (and stored if that history was whole).
async fn summary_of(
    client: &Client,
    room: Room,
    own: Option<&OwnedUserId>,
) -> Option<(RequestSummary, Origin)> {
    if !room.encryption_state().is_encrypted() {
        return None;
    }
    let now = MilliSecondsSinceUnixEpoch::now();
    if let Some(stored) = summary_store::load(client, room.room_id()).await
        && stored.is_unexpired(now)
    {
        match room_events::is_latest_event(client, room.room_id(), &stored.latest_event_id).await {
            Ok(true) => return Some((stored.summary, Origin::Stored)),
            Ok(false) => {}
            Err(error) => {
                tracing::debug!(room_id = %room.room_id(), %error, "could not read the room's latest event");
            }
        }
    }
    let metadata = state_content::<RequestEventContent>(&room, REQUEST).await?;
    let history = match RoomHistory::read(client, &room, own).await {
        Ok(history) => history,
        Err(error) => {
            tracing::warn!(room_id = %room.room_id(), %error, "could not read the request's history");
            RoomHistory::default()
        }
    };
    let (summary, valid_until_ms) = summarise(&room, metadata, &history.g2c_events, now).await;
    if history.whole
        && let Some(latest_event_id) = history.latest_event_id
    {
        let stored = StoredSummary {
            latest_event_id,
            valid_until_ms,
            summary,
        };
        summary_store::save(client, room.room_id(), &stored).await;
        return Some((stored.summary, Origin::Computed));
    }
    tracing::debug!(
        room_id = %room.room_id(),
        reached_start = history.reached_start,
        undecrypted = history.undecrypted,
        "request summary computed but not stored"
    );
    Some((summary, Origin::Computed))
}

/// What the summary needs of a room's history.
#[derive(Default)]
struct RoomHistory {
    /// The G2C events (of at most [`MAX_EVENTS`] timeline events read),
    /// oldest first.
    g2c_events: Vec<TimelineEvent>,
    /// The latest event read.
    latest_event_id: Option<OwnedEventId>,
    /// Whether a summary of it may be stored: the room's start or
    /// [`MAX_EVENTS`] was reached and every event was decrypted (a late
    /// decryption replaces an event without a new latest event).
    whole: bool,
    /// Whether the room's start was reached.
    reached_start: bool,
    /// How many events read could not be decrypted.
    undecrypted: usize,
}

impl RoomHistory {
    async fn read(
        client: &Client,
        room: &Room,
        own: Option<&OwnedUserId>,
    ) -> Result<Self, CoreError> {
        let (events, reached_start) = room_events::read(client, room).await?;
        let undecrypted = events.iter().filter(|event| event.kind.is_utd()).count();
        Ok(Self {
            g2c_events: events
                .iter()
                .filter_map(|event| g2c_event(event.raw(), own))
                .collect(),
            latest_event_id: events.last().and_then(|event| event.event_id()),
            whole: (reached_start || events.len() >= MAX_EVENTS) && undecrypted == 0,
            reached_start,
            undecrypted,
        })
    }
}

/// A timeline event as the state machine's G2C event, if it is one and
/// understood.
fn g2c_event(raw: &Raw<AnySyncTimelineEvent>, own: Option<&OwnedUserId>) -> Option<TimelineEvent> {
    let minimal = raw.deserialize_as_unchecked::<MinimalEvent>().ok()?;
    G2cEventType::from_event_type(&minimal.event_type)?;
    let content = match parse_event(&minimal.event_type, &minimal.content.to_string()) {
        Ok(content) => content,
        Err(error) => {
            tracing::debug!(event_id = %minimal.event_id, %error, "G2C event not understood");
            return None;
        }
    };
    let sender = if own == Some(&minimal.sender) {
        Role::Citizen
    } else {
        Role::Authority
    };
    Some(TimelineEvent {
        event_id: minimal.event_id,
        sender,
        origin_server_ts: minimal.origin_server_ts,
        content,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(room: &str, needs_action: bool, submitted_at: &str) -> RequestSummary {
        RequestSummary {
            room_id: room.into(),
            service: "s".into(),
            authority: "a".into(),
            reference: "r".into(),
            submitted_at: submitted_at.into(),
            status: None,
            open_prompts: usize::from(needs_action),
            needs_action,
            language: "de".into(),
            authority_evidence: AuthorityEvidence {
                claim: None,
                published_certificate: None,
            },
        }
    }

    #[test]
    fn requests_sort_needs_action_first_then_newest() {
        let mut list = [
            summary("!a", false, "2026-01-02T00:00:00Z"),
            summary("!b", true, "2026-01-01T00:00:00Z"),
            summary("!c", false, "2026-01-03T00:00:00Z"),
            summary("!d", true, "2026-01-04T00:00:00Z"),
        ];
        list.sort_by(order);
        let order: Vec<_> = list.iter().map(|s| s.room_id.as_str()).collect();
        assert_eq!(order, ["!d", "!b", "!c", "!a"]);
    }

    /// Against a real Synapse: the authority (g2c-authority) opens two
    /// request rooms, sets `action_required` in one and sends one inquiry;
    /// the citizen's summaries show the metadata (the case's language: `de`
    /// when the request event names none, else as written), the status and
    /// one open prompt. The summaries are then stored: a new status and a new prompt
    /// are shown at the next read (a stored summary is never stale), and a
    /// client restored with the homeserver stopped reads every summary from
    /// the store, complete.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_summary_from_a_real_authority_room() {
        use std::time::Duration;

        use g2c_authority::AuthorityClient;
        use g2c_protocol::Language;
        use g2c_protocol::datetime::Rfc3339;
        use g2c_protocol::prompt::{InquiryEventContent, Prompt};
        use g2c_protocol::request::StatusEventContent;
        use matrix_sdk::ruma::UserId;

        use crate::{Profile, SecretString, SyncOptions};

        let mut synapse = g2c_testkit::Synapse::start().await.unwrap();
        let citizen_user = synapse.register_user("citizen").await.unwrap();
        let authority_user = synapse.register_user("amt").await.unwrap();

        let citizen_dir = tempfile::Builder::new()
            .prefix("g2c-core-requests-")
            .tempdir()
            .unwrap();
        let unique = citizen_dir
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let profile = Profile::new(format!("requests-{unique}"), citizen_dir.path());
        let citizen = CitizenClient::login_with_password(
            profile,
            synapse.base_url(),
            &citizen_user.user_id,
            &SecretString::new(citizen_user.password.clone()),
        )
        .await
        .unwrap();
        citizen.start_sync(SyncOptions {
            long_poll: Duration::from_secs(2),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
        });

        let authority_dir = tempfile::tempdir().unwrap();
        let authority = AuthorityClient::login(
            synapse.base_url(),
            authority_dir.path(),
            &authority_user.localpart,
            &authority_user.password,
        )
        .await
        .unwrap();
        let room_id = authority
            .open_request_room(
                &UserId::parse(citizen_user.user_id.as_str()).unwrap(),
                RequestEventContent {
                    service_name: "Fischereischein".into(),
                    authority_name: "Fischereiamt Berlin".into(),
                    reference_number: "FA-2026-0042".into(),
                    submitted_at: Rfc3339::new("2026-11-20T09:30:00+01:00"),
                    description: None,
                    language: None,
                },
            )
            .await
            .unwrap();
        citizen.join_room(room_id.as_str()).await.unwrap();
        let quiet_room_id = authority
            .open_request_room(
                &UserId::parse(citizen_user.user_id.as_str()).unwrap(),
                RequestEventContent {
                    service_name: "Wohnsitz ummelden".into(),
                    authority_name: "Bürgeramt Mitte".into(),
                    reference_number: "BA-2026-0007".into(),
                    submitted_at: Rfc3339::new("2026-11-21T10:00:00+01:00"),
                    description: None,
                    language: Some("en-GB".into()),
                },
            )
            .await
            .unwrap();
        citizen.join_room(quiet_room_id.as_str()).await.unwrap();
        authority.sync_once(Duration::ZERO).await.unwrap();
        authority
            .set_status(
                &room_id,
                StatusEventContent::new(RequestStatus::ActionRequired),
            )
            .await
            .unwrap();
        authority
            .send_prompt(
                &room_id,
                Prompt::Inquiry(InquiryEventContent::new(
                    "Bitte nennen Sie Ihre Angelscheinnummer.",
                    Language::De,
                )),
                Some("inquiry"),
            )
            .await
            .unwrap();

        let expected = RequestSummary {
            room_id: room_id.to_string(),
            service: "Fischereischein".into(),
            authority: "Fischereiamt Berlin".into(),
            reference: "FA-2026-0042".into(),
            submitted_at: "2026-11-20T09:30:00+01:00".into(),
            status: Some(RequestStatus::ActionRequired),
            open_prompts: 1,
            needs_action: true,
            // No language in the request event: German.
            language: "de".into(),
            // The request event's sender and name; no certificate published.
            authority_evidence: claimed_by(&authority_user.user_id, "Fischereiamt Berlin"),
        };
        let quiet = RequestSummary {
            room_id: quiet_room_id.to_string(),
            service: "Wohnsitz ummelden".into(),
            authority: "Bürgeramt Mitte".into(),
            reference: "BA-2026-0007".into(),
            submitted_at: "2026-11-21T10:00:00+01:00".into(),
            status: Some(RequestStatus::Submitted),
            open_prompts: 0,
            needs_action: false,
            // The authority's language, as it wrote it.
            language: "en-GB".into(),
            authority_evidence: claimed_by(&authority_user.user_id, "Bürgeramt Mitte"),
        };
        // Until sync brought the state and the room key, the summary lags:
        // read again after every core event (bounded).
        let mut events = citizen.subscribe();
        let mut last = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(120), async {
            loop {
                last = citizen.requests().await.unwrap();
                if last == [expected.clone(), quiet.clone()] {
                    break;
                }
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = events.recv().await {
                    break;
                }
            }
        })
        .await;
        assert_eq!(last, vec![expected.clone(), quiet.clone()]);
        // Computed from whole histories, they were stored.
        assert_eq!(
            citizen.requests_with_origin().await,
            vec![
                (expected.clone(), Origin::Stored),
                (quiet.clone(), Origin::Stored)
            ]
        );

        // A new status, then a new prompt: each shows at the next read once
        // the event is in the citizen's event cache.
        let status_event = authority
            .set_status(&room_id, StatusEventContent::new(RequestStatus::InReview))
            .await
            .unwrap();
        wait_until_cached(&citizen, &room_id, &status_event).await;
        let in_review = RequestSummary {
            status: Some(RequestStatus::InReview),
            ..expected.clone()
        };
        assert_eq!(
            citizen.requests_with_origin().await,
            vec![
                (in_review.clone(), Origin::Computed),
                (quiet.clone(), Origin::Stored)
            ]
        );
        let prompt_event = authority
            .send_prompt(
                &room_id,
                Prompt::Inquiry(InquiryEventContent::new(
                    "Seit wann angeln Sie?",
                    Language::De,
                )),
                Some("inquiry"),
            )
            .await
            .unwrap();
        wait_until_cached(&citizen, &room_id, &prompt_event).await;
        let two_prompts = RequestSummary {
            open_prompts: 2,
            ..in_review
        };
        assert_eq!(
            citizen.requests().await.unwrap(),
            vec![two_prompts.clone(), quiet.clone()]
        );

        // Restored with the homeserver stopped: every summary, complete,
        // from the store.
        let profile = citizen.profile().clone();
        citizen.shutdown();
        drop(citizen);
        synapse.stop().unwrap();
        let citizen = CitizenClient::restore(profile)
            .await
            .unwrap()
            .expect("the session to restore");
        assert_eq!(
            citizen.requests_with_origin().await,
            vec![(two_prompts, Origin::Stored), (quiet, Origin::Stored)]
        );
        assert_eq!(
            citizen
                .request(room_id.as_str())
                .await
                .unwrap()
                .map(|r| r.open_prompts),
            Some(2)
        );
        citizen.logout().await.unwrap();
    }

    /// A room's evidence when `authority` sent its request event naming
    /// `name` and published no certificate.
    fn claimed_by(authority: &str, name: &str) -> AuthorityEvidence {
        AuthorityEvidence {
            claim: Some(crate::trust::AuthorityClaim {
                user_id: matrix_sdk::ruma::UserId::parse(authority).unwrap(),
                authority_name: name.into(),
            }),
            published_certificate: None,
        }
    }

    /// Waits (event-driven, bounded) until `event_id` is in the citizen's
    /// event cache of `room_id`.
    async fn wait_until_cached(
        citizen: &CitizenClient,
        room_id: &matrix_sdk::ruma::RoomId,
        event_id: &matrix_sdk::ruma::EventId,
    ) {
        let room = citizen.matrix().get_room(room_id).unwrap();
        citizen.matrix().event_cache().subscribe().unwrap();
        let (cache, _drop_handles) = room.event_cache().await.unwrap();
        let (_, mut updates) = cache.subscribe().await.unwrap();
        let cached = async {
            while cache.find_event(event_id).await.unwrap().is_none() {
                // Lagging only means: look again.
                let _ = updates.recv().await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(120), cached)
            .await
            .expect("the event to reach the citizen's event cache");
    }
}
