//! Desktop notifications: what deserves one, its text, and showing it.
//!
//! The decision is pure and unit-tested ([`Watcher`]): after every change of
//! the request list (the shell re-reads it when g2c-core reports
//! `RoomsChanged`/`MessageReceived`), the watcher compares the new
//! [`RequestSnapshot`]s with the ones it saw before and returns a
//! [`Notification`] for each request that got a new prompt, a decision or
//! another status. The first list after start or login only primes it:
//! what was already there is shown in the window, not announced again.
//!
//! **Privacy.** A notification never carries message content: no question
//! text, no notice body, no reference number. By default it does not even
//! name the authority ([`NotificationSettings::show_authority_name`] adds
//! it), because notifications show on lock screens and in shared offices.
//!
//! **Language.** The OS shows notifications while the window may be hidden,
//! so their few texts live here in both languages; the language follows the
//! system locale (`LC_ALL`, `LC_MESSAGES`, `LANG`), German by default.
//!
//! **Clicking** a notification opens the request: the shell shows the window
//! and emits [`OPEN_REQUEST`] with the room id, which the UI routes on. On
//! Linux this uses the notification server's default action (notify-rust);
//! on Windows and macOS tauri-plugin-notification shows the notification
//! and a click brings the app forward without routing.

use std::collections::HashMap;
use std::sync::Arc;

use g2c_core::requests::{RequestStatus, RequestSummary};
use serde::Serialize;
use tauri::{AppHandle, Emitter as _, Listener as _, Manager as _, Runtime};
use tokio::sync::{Mutex, Notify};
use ts_rs::TS;

use crate::ipc::REQUESTS_CHANGED;
use crate::session::Core;

/// Event name: the citizen clicked a notification; open this request
/// ([`OpenRequest`]).
pub const OPEN_REQUEST: &str = "open-request";

/// The language of notification texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// German, the default.
    German,
    /// English.
    English,
}

impl Language {
    /// The language for a POSIX locale such as `en_GB.UTF-8`: English for
    /// `en*`, German for everything else.
    pub fn from_locale(locale: &str) -> Self {
        if locale.starts_with("en") {
            Self::English
        } else {
            Self::German
        }
    }

    /// The language of the process's locale environment.
    pub fn from_environment() -> Self {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
            .map_or(Self::German, |locale| Self::from_locale(&locale))
    }
}

/// What the citizen chose about notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotificationSettings {
    /// Whether notifications are shown at all.
    pub enabled: bool,
    /// Whether a notification names the authority (off by default).
    pub show_authority_name: bool,
    /// The language of the texts.
    pub language: Language,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            show_authority_name: false,
            language: Language::German,
        }
    }
}

/// What the watcher needs to know about one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestSnapshot {
    /// The request room.
    pub room_id: String,
    /// The authority's name (shown only if the citizen chose so).
    pub authority: String,
    /// The processing status, if set.
    pub status: Option<RequestStatus>,
    /// Prompts waiting for the citizen (notices included).
    pub open_prompts: usize,
    /// Whether the citizen has something to do.
    pub needs_action: bool,
}

impl From<&RequestSummary> for RequestSnapshot {
    fn from(summary: &RequestSummary) -> Self {
        Self {
            room_id: summary.room_id.clone(),
            authority: summary.authority.clone(),
            status: summary.status.clone(),
            open_prompts: summary.open_prompts,
            needs_action: summary.needs_action,
        }
    }
}

/// Why a notification is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The authority sent new prompts (questions, appointment offers,
    /// document requests, choices, notices to acknowledge).
    NewPrompts {
        /// How many more than before.
        count: usize,
    },
    /// The authority decided: the status became `decided`.
    Decision,
    /// The processing status changed otherwise.
    StatusChanged,
}

/// One notification to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The request it is about; a click opens it.
    pub room_id: String,
    /// Why.
    pub reason: Reason,
    /// The title line.
    pub title: String,
    /// The body: what to do, never message content.
    pub body: String,
}

/// Remembers the requests last seen and decides what is new.
#[derive(Debug, Default)]
pub struct Watcher {
    known: Option<HashMap<String, RequestSnapshot>>,
}

impl Watcher {
    /// Feeds the current request list; returns the notifications it calls
    /// for (none on the first call, none if notifications are off).
    pub fn observe(
        &mut self,
        requests: &[RequestSnapshot],
        settings: &NotificationSettings,
    ) -> Vec<Notification> {
        let previous = self.known.replace(
            requests
                .iter()
                .map(|request| (request.room_id.clone(), request.clone()))
                .collect(),
        );
        let Some(previous) = previous else {
            return Vec::new();
        };
        if !settings.enabled {
            return Vec::new();
        }
        requests
            .iter()
            .filter_map(|request| {
                let reason = reason(previous.get(&request.room_id), request)?;
                Some(notification(request, reason, settings))
            })
            .collect()
    }

    /// Forgets everything (logout): the next list primes again.
    pub fn reset(&mut self) {
        self.known = None;
    }

    /// How many requests need the citizen's action, for the tray.
    pub fn action_count(&self) -> usize {
        self.known.as_ref().map_or(0, |known| {
            known
                .values()
                .filter(|request| request.needs_action)
                .count()
        })
    }
}

fn reason(before: Option<&RequestSnapshot>, now: &RequestSnapshot) -> Option<Reason> {
    // A request that appears with prompts already waiting (joined while the
    // app ran) is announced like new prompts; one that appears without is the
    // citizen's own new application, not news.
    let (prompts_before, status_before) = before.map_or((0, now.status.as_ref()), |before| {
        (before.open_prompts, before.status.as_ref())
    });
    let status_changed = now.status.is_some() && now.status.as_ref() != status_before;
    if status_changed && now.status == Some(RequestStatus::Decided) {
        Some(Reason::Decision)
    } else if now.open_prompts > prompts_before {
        Some(Reason::NewPrompts {
            count: now.open_prompts - prompts_before,
        })
    } else if status_changed {
        Some(Reason::StatusChanged)
    } else {
        None
    }
}

fn notification(
    request: &RequestSnapshot,
    reason: Reason,
    settings: &NotificationSettings,
) -> Notification {
    let authority = settings
        .show_authority_name
        .then_some(request.authority.as_str())
        .filter(|name| !name.trim().is_empty());
    let (title, body) = texts(reason, authority, settings.language);
    Notification {
        room_id: request.room_id.clone(),
        reason,
        title,
        body,
    }
}

fn texts(reason: Reason, authority: Option<&str>, language: Language) -> (String, String) {
    use Language::{English, German};
    let title = match (reason, language, authority) {
        (Reason::NewPrompts { count: 1 }, German, None) => "Neue Anfrage der Behörde".to_owned(),
        (Reason::NewPrompts { count: 1 }, German, Some(name)) => format!("Neue Anfrage: {name}"),
        (Reason::NewPrompts { count }, German, None) => {
            format!("{count} neue Anfragen der Behörde")
        }
        (Reason::NewPrompts { count }, German, Some(name)) => {
            format!("{count} neue Anfragen: {name}")
        }
        (Reason::NewPrompts { count: 1 }, English, None) => {
            "New request from the authority".to_owned()
        }
        (Reason::NewPrompts { count: 1 }, English, Some(name)) => format!("New request: {name}"),
        (Reason::NewPrompts { count }, English, None) => {
            format!("{count} new requests from the authority")
        }
        (Reason::NewPrompts { count }, English, Some(name)) => {
            format!("{count} new requests: {name}")
        }
        (Reason::Decision, German, None) => "Die Behörde hat entschieden".to_owned(),
        (Reason::Decision, German, Some(name)) => format!("Entscheidung: {name}"),
        (Reason::Decision, English, None) => "The authority has decided".to_owned(),
        (Reason::Decision, English, Some(name)) => format!("Decision: {name}"),
        (Reason::StatusChanged, German, None) => "Neuer Bearbeitungsstand".to_owned(),
        (Reason::StatusChanged, German, Some(name)) => format!("Neuer Bearbeitungsstand: {name}"),
        (Reason::StatusChanged, English, None) => "Your application has a new status".to_owned(),
        (Reason::StatusChanged, English, Some(name)) => format!("New status: {name}"),
    };
    let body = match (reason, language) {
        (Reason::NewPrompts { .. }, German) => "Öffnen Sie Amtsbote, um zu antworten.",
        (Reason::NewPrompts { .. }, English) => "Open Amtsbote to answer.",
        (Reason::Decision | Reason::StatusChanged, German) => {
            "Öffnen Sie Amtsbote, um es zu sehen."
        }
        (Reason::Decision | Reason::StatusChanged, English) => "Open Amtsbote to see it.",
    };
    (title, body.to_owned())
}

/// The tray's summary line for `count` requests needing action.
pub fn action_summary(count: usize, language: Language) -> String {
    match (count, language) {
        (0, Language::German) => "Nichts zu tun".to_owned(),
        (1, Language::German) => "1 Antrag wartet auf Sie".to_owned(),
        (n, Language::German) => format!("{n} Anträge warten auf Sie"),
        (0, Language::English) => "Nothing to do".to_owned(),
        (1, Language::English) => "1 application needs you".to_owned(),
        (n, Language::English) => format!("{n} applications need you"),
    }
}

/// The payload of [`OPEN_REQUEST`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OpenRequest {
    /// The request room to open.
    pub room_id: String,
}

/// The shell's notification state: the watcher, the settings, and a wake-up
/// for the worker that re-reads the request list.
pub struct Notifier {
    watcher: Mutex<Watcher>,
    settings: std::sync::Mutex<NotificationSettings>,
    wake: Notify,
}

impl Notifier {
    /// Settings of the current environment, nothing seen yet.
    pub fn new() -> Self {
        Self {
            watcher: Mutex::new(Watcher::default()),
            settings: std::sync::Mutex::new(NotificationSettings {
                language: Language::from_environment(),
                ..NotificationSettings::default()
            }),
            wake: Notify::new(),
        }
    }

    /// Replaces the settings.
    pub fn set_settings(&self, settings: NotificationSettings) {
        *self.settings.lock().unwrap_or_else(|e| e.into_inner()) = settings;
    }

    /// The current settings.
    pub fn settings(&self) -> NotificationSettings {
        *self.settings.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for Notifier {
    fn default() -> Self {
        Self::new()
    }
}

/// Starts the worker: on every `requests-changed` it re-reads the request
/// list, shows what the [`Watcher`] calls for and updates the tray. Bursts
/// of changes collapse into one re-read.
pub fn spawn_worker<R: Runtime>(app: &AppHandle<R>, notifier: Arc<Notifier>) {
    let waker = Arc::clone(&notifier);
    app.listen_any(REQUESTS_CHANGED, move |_| waker.wake.notify_one());
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            notifier.wake.notified().await;
            let requests = current_requests(&app).await;
            let settings = with_preferences(&app, notifier.settings()).await;
            let (shown, count) = {
                let mut watcher = notifier.watcher.lock().await;
                match requests {
                    RequestList::Read(requests) => (
                        watcher.observe(&requests, &settings),
                        watcher.action_count(),
                    ),
                    RequestList::LoggedOut => {
                        watcher.reset();
                        (Vec::new(), 0)
                    }
                    // Keep what the watcher knows; try again on the next change.
                    RequestList::Unreadable => continue,
                }
            };
            for notification in shown {
                show(&app, notification);
            }
            crate::tray::set_action_count(&app, count, settings.language);
        }
    });
}

/// `settings` with the citizen's on/off choice from this computer's
/// preferences (the settings screen); on if they cannot be read.
async fn with_preferences<R: Runtime>(
    app: &AppHandle<R>,
    mut settings: NotificationSettings,
) -> NotificationSettings {
    let profile = app.state::<Core>().profile().clone();
    match g2c_core::account::Preferences::load(&profile).await {
        Ok(preferences) => settings.enabled = preferences.notifications,
        Err(error) => tracing::debug!(%error, "could not read the preferences"),
    }
    settings
}

enum RequestList {
    Read(Vec<RequestSnapshot>),
    LoggedOut,
    Unreadable,
}

async fn current_requests<R: Runtime>(app: &AppHandle<R>) -> RequestList {
    let core = app.state::<Core>();
    let slot = core.client().read().await;
    let Some(client) = slot.as_ref() else {
        return RequestList::LoggedOut;
    };
    match core.requests().read(client).await {
        Ok(requests) => RequestList::Read(requests.iter().map(RequestSnapshot::from).collect()),
        Err(error) => {
            tracing::debug!(%error, "could not read the requests for notifications");
            RequestList::Unreadable
        }
    }
}

/// Shows `notification`; a click opens its request.
pub fn show<R: Runtime>(app: &AppHandle<R>, notification: Notification) {
    tracing::info!(reason = ?notification.reason, "showing a notification");
    platform::show(app, notification);
}

/// Brings the window forward and asks the UI to open `room_id`.
pub fn open_request<R: Runtime>(app: &AppHandle<R>, room_id: String) {
    crate::focus_main_window(app);
    if let Err(error) = app.emit(OPEN_REQUEST, OpenRequest { room_id }) {
        tracing::warn!(%error, "could not emit open-request");
    }
}

#[cfg(target_os = "linux")]
pub use platform::desktop_notification;

#[cfg(target_os = "linux")]
mod platform {
    //! Linux: notify-rust on the session bus, with a default action so a
    //! click can open the request.
    use tauri::{AppHandle, Runtime};

    use super::Notification;

    /// The notification as the Linux notification server gets it: the
    /// app's name and icon, title and body, and a default action (a click).
    pub fn desktop_notification(notification: &Notification) -> notify_rust::Notification {
        let mut shown = notify_rust::Notification::new();
        shown
            .appname("Amtsbote")
            .summary(&notification.title)
            .body(&notification.body)
            .icon("amtsbote")
            .action("default", &notification.title);
        shown
    }

    pub(super) fn show<R: Runtime>(app: &AppHandle<R>, notification: Notification) {
        let app = app.clone();
        // Waiting for the click blocks: one thread per shown notification,
        // ending when it is clicked or dismissed.
        std::thread::spawn(move || {
            let shown = desktop_notification(&notification).show();
            match shown {
                Ok(handle) => handle.wait_for_action(|action| {
                    if action == "default" {
                        super::open_request(&app, notification.room_id.clone());
                    }
                }),
                Err(error) => tracing::warn!(%error, "could not show a notification"),
            }
        });
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    //! Windows and macOS: tauri-plugin-notification.
    use tauri::{AppHandle, Runtime};
    use tauri_plugin_notification::NotificationExt as _;

    use super::Notification;

    pub(super) fn show<R: Runtime>(app: &AppHandle<R>, notification: Notification) {
        if let Err(error) = app
            .notification()
            .builder()
            .title(&notification.title)
            .body(&notification.body)
            .show()
        {
            tracing::warn!(%error, "could not show a notification");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(room: &str, status: Option<RequestStatus>, open_prompts: usize) -> RequestSnapshot {
        let needs_action = open_prompts > 0 || status == Some(RequestStatus::ActionRequired);
        RequestSnapshot {
            room_id: room.to_owned(),
            authority: "Landratsamt Musterkreis".to_owned(),
            status,
            open_prompts,
            needs_action,
        }
    }

    fn primed(requests: &[RequestSnapshot]) -> Watcher {
        let mut watcher = Watcher::default();
        assert!(
            watcher
                .observe(requests, &NotificationSettings::default())
                .is_empty(),
            "the first list only primes"
        );
        watcher
    }

    #[test]
    fn the_first_list_is_not_announced() {
        let watcher = primed(&[request("!a", Some(RequestStatus::ActionRequired), 2)]);
        assert_eq!(watcher.action_count(), 1);
    }

    #[test]
    fn a_new_prompt_is_announced_without_content_or_authority() {
        let mut watcher = primed(&[request("!a", Some(RequestStatus::InReview), 0)]);
        let shown = watcher.observe(
            &[request("!a", Some(RequestStatus::InReview), 1)],
            &NotificationSettings::default(),
        );
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].room_id, "!a");
        assert_eq!(shown[0].reason, Reason::NewPrompts { count: 1 });
        assert_eq!(shown[0].title, "Neue Anfrage der Behörde");
        assert_eq!(shown[0].body, "Öffnen Sie Amtsbote, um zu antworten.");
        assert!(!shown[0].title.contains("Landratsamt"));
        assert_eq!(watcher.action_count(), 1);
    }

    #[test]
    fn the_setting_adds_the_authority_name() {
        let mut watcher = primed(&[request("!a", None, 0)]);
        let settings = NotificationSettings {
            show_authority_name: true,
            ..NotificationSettings::default()
        };
        let shown = watcher.observe(&[request("!a", None, 2)], &settings);
        assert_eq!(shown[0].title, "2 neue Anfragen: Landratsamt Musterkreis");
    }

    #[test]
    fn a_decision_and_a_status_change_are_announced() {
        let mut watcher = primed(&[
            request("!a", Some(RequestStatus::InReview), 0),
            request("!b", Some(RequestStatus::Submitted), 0),
        ]);
        let shown = watcher.observe(
            &[
                // The decision comes with a notice to acknowledge: one
                // notification, about the decision.
                request("!a", Some(RequestStatus::Decided), 1),
                request("!b", Some(RequestStatus::InReview), 0),
            ],
            &NotificationSettings {
                language: Language::English,
                ..NotificationSettings::default()
            },
        );
        assert_eq!(shown.len(), 2);
        assert_eq!(shown[0].reason, Reason::Decision);
        assert_eq!(shown[0].title, "The authority has decided");
        assert_eq!(shown[1].reason, Reason::StatusChanged);
        assert_eq!(shown[1].room_id, "!b");
    }

    #[test]
    fn answered_prompts_and_unchanged_lists_are_quiet() {
        let mut watcher = primed(&[request("!a", Some(RequestStatus::ActionRequired), 2)]);
        let settings = NotificationSettings::default();
        assert!(
            watcher
                .observe(
                    &[request("!a", Some(RequestStatus::ActionRequired), 2)],
                    &settings
                )
                .is_empty()
        );
        assert!(
            watcher
                .observe(
                    &[request("!a", Some(RequestStatus::ActionRequired), 1)],
                    &settings
                )
                .is_empty()
        );
    }

    #[test]
    fn a_new_request_room_with_prompts_is_announced_one_without_is_not() {
        let mut watcher = primed(&[]);
        let shown = watcher.observe(
            &[
                request("!new", Some(RequestStatus::Submitted), 0),
                request("!asks", None, 1),
            ],
            &NotificationSettings::default(),
        );
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].room_id, "!asks");
    }

    #[test]
    fn notifications_off_shows_nothing_but_still_tracks() {
        let mut watcher = primed(&[request("!a", None, 0)]);
        let off = NotificationSettings {
            enabled: false,
            ..NotificationSettings::default()
        };
        assert!(watcher.observe(&[request("!a", None, 1)], &off).is_empty());
        // Switching back on does not replay what happened while off.
        assert!(
            watcher
                .observe(&[request("!a", None, 1)], &NotificationSettings::default())
                .is_empty()
        );
        assert_eq!(watcher.action_count(), 1);
    }

    #[test]
    fn reset_primes_again() {
        let mut watcher = primed(&[request("!a", None, 0)]);
        watcher.reset();
        assert_eq!(watcher.action_count(), 0);
        assert!(
            watcher
                .observe(&[request("!a", None, 3)], &NotificationSettings::default())
                .is_empty()
        );
    }

    #[test]
    fn language_follows_the_locale() {
        assert_eq!(Language::from_locale("en_GB.UTF-8"), Language::English);
        assert_eq!(Language::from_locale("de_DE.UTF-8"), Language::German);
        assert_eq!(Language::from_locale("C"), Language::German);
    }

    #[test]
    fn the_tray_summary_counts() {
        assert_eq!(action_summary(0, Language::German), "Nichts zu tun");
        assert_eq!(
            action_summary(1, Language::German),
            "1 Antrag wartet auf Sie"
        );
        assert_eq!(
            action_summary(3, Language::English),
            "3 applications need you"
        );
    }
}
