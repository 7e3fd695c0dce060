//! The core client held in Tauri state, and the forwarding of its events to
//! the web view. Adapters only: everything the client does is in g2c-core.

use std::sync::Arc;

use g2c_core::{CitizenClient, CoreEvent, Profile, SyncOptions};
use tauri::{AppHandle, Emitter as _, Manager as _, Runtime};
use tokio::sync::{OwnedRwLockWriteGuard, RwLock, broadcast};

use crate::config::TrustRoots;
use crate::ipc::{REQUESTS_CHANGED, RequestsChanged};
use crate::request_list::RequestList;

/// The keychain profile of the app's one account.
pub const PROFILE_NAME: &str = "default";

/// The profile the app uses: [`PROFILE_NAME`]; in development builds
/// (`dev-login`) `AMTSBOTE_PROFILE` may name another, so that each
/// end-to-end test file's app has its own keychain entries and does not
/// restore a session an earlier file left behind.
pub fn profile_name() -> String {
    #[cfg(feature = "dev-login")]
    if let Some(name) = chosen_profile(std::env::var("AMTSBOTE_PROFILE").ok()) {
        tracing::info!(profile = %name, "using the profile AMTSBOTE_PROFILE names");
        return name;
    }
    PROFILE_NAME.to_owned()
}

/// A usable profile name from `AMTSBOTE_PROFILE` (it becomes part of the
/// keychain's account names: non-empty, no `/`), else none.
#[cfg(any(feature = "dev-login", test))]
fn chosen_profile(value: Option<String>) -> Option<String> {
    let name = value?.trim().to_owned();
    if name.is_empty() || name.contains('/') {
        tracing::warn!("AMTSBOTE_PROFILE is empty or has a '/': using the default profile");
        return None;
    }
    Some(name)
}

/// The citizen's client, once logged in or restored. Commands read it,
/// concurrently (the request list, the notifications' re-read and an answer
/// need not wait for each other); login, restore and logout write it. While
/// the startup restore runs, the write lock is held, so the first commands
/// wait for it instead of answering "logged out" too early.
pub struct Core {
    client: Arc<RwLock<Option<CitizenClient>>>,
    profile: Profile,
    requests: RequestList,
}

impl Core {
    /// A core for `profile`, with the lock held by the returned guard until
    /// the restore is done.
    pub fn new(profile: Profile) -> (Self, OwnedRwLockWriteGuard<Option<CitizenClient>>) {
        let client = Arc::new(RwLock::new(None));
        let guard = Arc::clone(&client)
            .try_write_owned()
            .expect("a fresh lock is free");
        (
            Self {
                client,
                profile,
                requests: RequestList::default(),
            },
            guard,
        )
    }

    /// The client slot.
    pub fn client(&self) -> &RwLock<Option<CitizenClient>> {
        &self.client
    }

    /// The request list shared by the overview and the notifications.
    pub fn requests(&self) -> &RequestList {
        &self.requests
    }

    /// The profile logins and restores use.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }
}

/// Restores the stored session (no network), starts sync and forwarding,
/// then releases the lock.
pub async fn restore<R: Runtime>(
    app: AppHandle<R>,
    profile: Profile,
    mut slot: OwnedRwLockWriteGuard<Option<CitizenClient>>,
) {
    let started = std::time::Instant::now();
    match CitizenClient::restore(profile).await {
        Ok(Some(client)) => {
            tracing::info!(
                restore_ms = started.elapsed().as_millis(),
                "session restored"
            );
            activate(&app, &client);
            *slot = Some(client);
        }
        Ok(None) => tracing::info!("no stored session"),
        Err(error) => tracing::warn!(%error, "could not restore the session"),
    }
}

/// Starts sync and forwards the client's events to the web view.
pub fn activate<R: Runtime>(app: &AppHandle<R>, client: &CitizenClient) {
    // The government roots authorities are verified against, before the
    // first request is shown (config.rs: none configured → none verified).
    if let Some(roots) = app.try_state::<TrustRoots>() {
        client.set_trust_anchors(roots.anchors());
    }
    if let Some(core) = app.try_state::<Core>() {
        core.requests().invalidate();
    }
    client.start_sync(SyncOptions::default());
    let events = client.subscribe();
    tauri::async_runtime::spawn(forward(app.clone(), events));
    notify(app, Vec::new());
}

async fn forward<R: Runtime>(app: AppHandle<R>, mut events: broadcast::Receiver<CoreEvent>) {
    loop {
        match events.recv().await {
            Ok(event) => {
                // Any event may change a summary (a send state, too).
                app.state::<Core>().requests().invalidate();
                crate::commands::request::notify_request_changed(&app, &event);
                if let Some(room_ids) = changes_requests(&event) {
                    notify(&app, room_ids);
                }
            }
            Err(broadcast::error::RecvError::Lagged(skipped)) => {
                tracing::debug!(skipped, "event forwarder lagged");
                app.state::<Core>().requests().invalidate();
                notify(&app, Vec::new());
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
}

/// Whether an event may change the request list (and which rooms).
fn changes_requests(event: &CoreEvent) -> Option<Vec<String>> {
    match event {
        CoreEvent::RoomsChanged { room_ids } => Some(room_ids.clone()),
        CoreEvent::MessageReceived { room_id, .. } => Some(vec![room_id.clone()]),
        CoreEvent::ConnectionChanged { .. } | CoreEvent::SessionEnded { .. } => Some(Vec::new()),
        CoreEvent::SendStateChanged { .. } => None,
    }
}

fn notify<R: Runtime>(app: &AppHandle<R>, room_ids: Vec<String>) {
    if let Err(error) = app.emit(REQUESTS_CHANGED, RequestsChanged { room_ids }) {
        tracing::warn!(%error, "could not emit requests-changed");
    }
}

#[cfg(test)]
mod tests {
    use super::chosen_profile;

    #[test]
    fn a_named_profile_is_used_as_given_without_surrounding_space() {
        assert_eq!(
            chosen_profile(Some(" e2e-journey ".to_owned())).as_deref(),
            Some("e2e-journey")
        );
    }

    #[test]
    fn no_empty_or_path_like_profile_is_used() {
        assert_eq!(chosen_profile(None), None);
        assert_eq!(chosen_profile(Some("  ".to_owned())), None);
        assert_eq!(chosen_profile(Some("../default".to_owned())), None);
    }
}
