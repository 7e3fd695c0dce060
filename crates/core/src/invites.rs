//! Accepting request rooms: an authority opens a case by inviting the
//! citizen into a new end-to-end encrypted room, and the citizen should see
//! it without a "join?" question they cannot judge better than the app.
//!
//! After each successful sync the app joins every pending invite whose
//! invite state says the room is encrypted (Synapse sends
//! `m.room.encryption` in the stripped state by default). Invites to
//! unencrypted rooms are left alone: the app would refuse to send into such
//! a room anyway ([`crate::rooms`]). Which authorities may invite at all is
//! the trust layer's question (issue 8: verified authorities); until the
//! UI can ask, an invite from an unverified sender still shows its room as
//! from an unverified authority. A failed join is retried after the next
//! sync; nothing is lost.
//!
//! After joining, the citizen's eID attestation is published in every
//! joined request room that does not carry it yet ([`crate::attestation`]);
//! a room joined now has its state (and so gets the attestation) after the
//! next sync.

use matrix_sdk::Client;

/// Joins the pending invites to encrypted rooms, then publishes the eID
/// attestation where it is missing; returns how many rooms were joined.
pub(crate) async fn accept_request_invites(client: &Client) -> usize {
    let mut joined = 0;
    for room in client.invited_rooms() {
        // From the invite's stripped state; an invitee cannot ask the
        // server for the room's state before joining.
        if room.encryption_settings().is_none() {
            tracing::debug!(room_id = %room.room_id(), "invite to an unencrypted room left pending");
            continue;
        }
        match room.join().await {
            Ok(()) => {
                tracing::info!(room_id = %room.room_id(), "joined a request room");
                joined += 1;
            }
            Err(error) => {
                tracing::warn!(room_id = %room.room_id(), %error, "joining a request room failed; retried after the next sync");
            }
        }
    }
    crate::attestation::publish_where_missing(client).await;
    joined
}
