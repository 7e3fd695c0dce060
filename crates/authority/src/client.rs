//! [`AuthorityClient`]: the authority account on Matrix.
//!
//! Logs in with a password (the account of the authority's adapter, not a
//! person), keeps its encrypted store in a [`DataDir`], bootstraps
//! cross-signing, opens one end-to-end encrypted room per application and
//! sends the G2C events into it. Everything sent is validated first and fed
//! into the [`Tracker`], so that answers can be checked against their
//! prompts.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use g2c_protocol::prompt::{NoticeEventContent, Prompt};
use g2c_protocol::receipt::DocumentsReceivedEventContent;
use g2c_protocol::request::{RequestEventContent, Status, StatusEventContent};
use g2c_protocol::response::{DocumentsSubmissionEventContent, Response};
use g2c_protocol::state_machine::check_transition;
use g2c_protocol::{G2cEvent, Language, Validate as _, parse_event};
use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::RawAnySyncOrStrippedState;
use matrix_sdk::encryption::EncryptionSettings;
use matrix_sdk::ruma::api::client::room::create_room;
use matrix_sdk::ruma::api::client::uiaa;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::{InitialStateEvent, StateEventType};
use matrix_sdk::ruma::{
    MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedRoomId, OwnedUserId, RoomId, UserId,
};
use matrix_sdk::{Client, Room, SqliteStoreConfig};
use zeroize::Zeroizing;

use crate::answer::Incoming;
use crate::data_dir::{DataDir, StoredSession};
use crate::error::{AuthorityError, Result};
use crate::media::{Attachment, FileCheck, download_and_check, upload_encrypted};
use crate::prompt_spec::{fill_fallback, validate};
use crate::tracker::Tracker;
use crate::watch::AnswerStream;

/// The device name the authority's sessions show to citizens.
pub const DEVICE_DISPLAY_NAME: &str = "Amtsbote authority adapter";

/// The result of [`AuthorityClient::confirm_documents`].
#[derive(Clone, Debug)]
pub struct DocumentsConfirmation {
    /// The receipt event, when at least one file was verified.
    pub receipt_event_id: OwnedEventId,
    /// The receipt as sent.
    pub receipt: DocumentsReceivedEventContent,
    /// Files that could not be verified, with the reason.
    pub failed: Vec<FileCheck>,
}

/// The authority's Matrix account.
#[derive(Clone, Debug)]
pub struct AuthorityClient {
    client: Client,
    data: DataDir,
    tracker: Arc<Mutex<Tracker>>,
    lang: Language,
}

impl AuthorityClient {
    /// Logs in with a password, stores the session in `data_dir`, and
    /// bootstraps cross-signing if the account has none yet.
    pub async fn login(
        homeserver: &str,
        data_dir: impl Into<PathBuf>,
        username: &str,
        password: &str,
    ) -> Result<Self> {
        let data = DataDir::open(data_dir)?;
        let client = build_client(homeserver, &data).await?;
        client
            .matrix_auth()
            .login_username(username, password)
            .initial_device_display_name(DEVICE_DISPLAY_NAME)
            .send()
            .await?;
        let session = client
            .matrix_auth()
            .session()
            .ok_or_else(|| AuthorityError::NotLoggedIn(data.path().to_owned()))?;
        data.save_session(&StoredSession {
            homeserver: homeserver.to_owned(),
            session,
        })?;
        let this = Self::from_client(client, data);
        // Uploads the device keys.
        this.sync_once(Duration::ZERO).await?;
        this.bootstrap_cross_signing(password).await?;
        tracing::info!(user_id = %this.user_id(), "logged in");
        Ok(this)
    }

    /// Restores the session stored in `data_dir` and catches up with one sync.
    pub async fn restore(data_dir: impl Into<PathBuf>) -> Result<Self> {
        let data = DataDir::open(data_dir)?;
        let stored = data
            .load_session()?
            .ok_or_else(|| AuthorityError::NotLoggedIn(data.path().to_owned()))?;
        let client = build_client(&stored.homeserver, &data).await?;
        client.restore_session(stored.session).await?;
        let this = Self::from_client(client, data);
        this.sync_once(Duration::ZERO).await?;
        Ok(this)
    }

    fn from_client(client: Client, data: DataDir) -> Self {
        let user = client
            .user_id()
            .map(ToOwned::to_owned)
            .expect("logged in or restored before construction");
        Self {
            client,
            data,
            tracker: Arc::new(Mutex::new(Tracker::new(user))),
            lang: Language::De,
        }
    }

    /// Sets the language of generated fallback texts (German by default).
    pub fn set_language(&mut self, lang: Language) {
        self.lang = lang;
    }

    /// The authority account's user id.
    pub fn user_id(&self) -> OwnedUserId {
        self.client
            .user_id()
            .map(ToOwned::to_owned)
            .expect("always logged in")
    }

    /// The underlying matrix-sdk client.
    pub fn matrix(&self) -> &Client {
        &self.client
    }

    /// The data directory.
    pub fn data_dir(&self) -> &DataDir {
        &self.data
    }

    pub(crate) fn tracker(&self) -> MutexGuard<'_, Tracker> {
        self.tracker.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One sync with the homeserver (long-polling up to `timeout`).
    pub async fn sync_once(&self, timeout: Duration) -> Result<()> {
        self.client
            .sync_once(SyncSettings::default().timeout(timeout))
            .await?;
        Ok(())
    }

    async fn bootstrap_cross_signing(&self, password: &str) -> Result<()> {
        let encryption = self.client.encryption();
        if let Err(e) = encryption.bootstrap_cross_signing_if_needed(None).await {
            let Some(uiaa) = e.as_uiaa_response() else {
                return Err(e.into());
            };
            let mut auth = uiaa::Password::new(
                uiaa::UserIdentifier::Matrix(uiaa::MatrixUserIdentifier::new(
                    self.user_id().to_string(),
                )),
                password.to_owned(),
            );
            auth.session = uiaa.session.clone();
            encryption
                .bootstrap_cross_signing(Some(uiaa::AuthData::Password(auth)))
                .await?;
        }
        Ok(())
    }

    /// Whether this account's cross-signing keys are all present.
    pub async fn has_cross_signing(&self) -> bool {
        self.client
            .encryption()
            .cross_signing_status()
            .await
            .is_some_and(|s| s.is_complete())
    }

    fn room(&self, room_id: &RoomId) -> Result<Room> {
        self.client
            .get_room(room_id)
            .ok_or_else(|| AuthorityError::UnknownRoom(room_id.to_string()))
    }

    /// Opens the request room: private, `m.room.encryption` in the initial
    /// state, `citizen` invited; then sends the request metadata and the
    /// `submitted` status as state events.
    pub async fn open_request_room(
        &self,
        citizen: &UserId,
        request: RequestEventContent,
    ) -> Result<OwnedRoomId> {
        request.validate()?;
        let encryption = InitialStateEvent::with_empty_state_key(
            RoomEncryptionEventContent::with_recommended_defaults(),
        )
        .to_raw_any();
        let mut create = create_room::v3::Request::new();
        create.preset = Some(create_room::v3::RoomPreset::PrivateChat);
        create.invite = vec![citizen.to_owned()];
        create.initial_state = vec![encryption];
        create.power_level_content_override = Some(request_room_power_levels()?);
        let room = self.client.create_room(create).await?;
        let room_id = room.room_id().to_owned();
        tracing::info!(%room_id, %citizen, "request room created");
        if !room.latest_encryption_state().await?.is_encrypted() {
            return Err(AuthorityError::NotEncrypted(room_id.to_string()));
        }
        // Member list and the citizen's devices, for the first room key.
        room.sync_members().await?;
        let sent = room.send_state_event(request.clone()).await?;
        self.record(&room_id, sent.event_id, G2cEvent::Request(request));
        self.set_status(&room_id, StatusEventContent::new(Status::Submitted))
            .await?;
        Ok(room_id)
    }

    fn record(&self, room_id: &RoomId, event_id: OwnedEventId, content: G2cEvent) {
        let now = u64::from(MilliSecondsSinceUnixEpoch::now().get());
        if let Err(e) = self
            .tracker()
            .record_own(&room_id.to_owned(), event_id, now, content)
        {
            tracing::warn!(error = %e, "sent event refused by the local state machine");
        }
    }

    /// The request's current status: as tracked, or from the room state.
    pub async fn status(&self, room_id: &RoomId) -> Result<Option<Status>> {
        if let Some(status) = self.tracker().status(&room_id.to_owned()) {
            return Ok(Some(status));
        }
        let room = self.room(room_id)?;
        let Some(RawAnySyncOrStrippedState::Sync(raw)) = room
            .get_state_event(StateEventType::from(g2c_protocol::event::STATUS), "")
            .await?
        else {
            return Ok(None);
        };
        let content = raw
            .get_field::<Box<serde_json::value::RawValue>>("content")
            .map_err(AuthorityError::Json)?;
        let Some(content) = content else {
            return Ok(None);
        };
        match parse_event(g2c_protocol::event::STATUS, content.get())? {
            G2cEvent::Status(s) => Ok(Some(s.status)),
            _ => Ok(None),
        }
    }

    /// Sets the request's status after checking the transition.
    pub async fn set_status(
        &self,
        room_id: &RoomId,
        status: StatusEventContent,
    ) -> Result<OwnedEventId> {
        status.validate()?;
        let current = self.status(room_id).await?;
        check_transition(current.as_ref(), &status.status, status.note.is_some())?;
        let room = self.room(room_id)?;
        let event_id = room.send_state_event(status.clone()).await?.event_id;
        self.record(room_id, event_id.clone(), G2cEvent::Status(status));
        tracing::info!(%room_id, %event_id, "status set");
        Ok(event_id)
    }

    /// Sends a prompt (its fallback is regenerated). `label` names it in
    /// the answers (a scenario's step id).
    pub async fn send_prompt(
        &self,
        room_id: &RoomId,
        mut prompt: Prompt,
        label: Option<&str>,
    ) -> Result<OwnedEventId> {
        fill_fallback(&mut prompt, self.lang);
        validate(&prompt)?;
        let room = self.room(room_id)?;
        let result = match &prompt {
            Prompt::Inquiry(c) => room.send(c.clone()).await?,
            Prompt::AppointmentOffer(c) => room.send(c.clone()).await?,
            Prompt::DocumentRequest(c) => room.send(c.clone()).await?,
            Prompt::Choice(c) => room.send(c.clone()).await?,
            Prompt::Notice(c) => room.send(c.clone()).await?,
        };
        if result.encryption_info.is_none() {
            // matrix-sdk encrypts in encrypted rooms; this guards a room
            // that lost (or never had) its encryption state.
            tracing::warn!(%room_id, "prompt was sent unencrypted");
        }
        let event_id = result.response.event_id;
        if let Some(label) = label {
            self.tracker().label(event_id.clone(), label.to_owned());
        }
        self.record(room_id, event_id.clone(), G2cEvent::Prompt(prompt));
        tracing::info!(%room_id, %event_id, label, "prompt sent");
        Ok(event_id)
    }

    /// Uploads `attachments` encrypted, puts them into `notice` (after any
    /// it already has) and sends it.
    pub async fn send_notice(
        &self,
        room_id: &RoomId,
        mut notice: NoticeEventContent,
        attachments: &[Attachment],
        label: Option<&str>,
    ) -> Result<OwnedEventId> {
        for attachment in attachments {
            notice
                .attachments
                .push(upload_encrypted(&self.client, attachment).await?);
        }
        self.send_prompt(room_id, Prompt::Notice(notice), label)
            .await
    }

    /// Downloads every file of an accepted documents submission, checks
    /// size and SHA-256, and sends a receipt listing the verified hashes
    /// (with a note naming any that failed).
    pub async fn confirm_documents(
        &self,
        room_id: &RoomId,
        submission: &OwnedEventId,
    ) -> Result<DocumentsConfirmation> {
        let room_key = room_id.to_owned();
        let tracked = self.tracker().submission(&room_key, submission);
        let content = match tracked {
            Some(content) => content,
            None => self.load_submission(&room_key, submission).await?,
        };
        let mut verified = Vec::new();
        let mut failed = Vec::new();
        for file in content.documents.iter().flat_map(|d| d.files.iter()) {
            match download_and_check(&self.client, file).await {
                FileCheck::Verified(hash) if !verified.contains(&hash) => verified.push(hash),
                FileCheck::Verified(_) => {}
                check @ FileCheck::Failed { .. } => failed.push(check),
            }
        }
        if verified.is_empty() {
            let reasons: Vec<String> = failed
                .iter()
                .filter_map(|f| match f {
                    FileCheck::Failed { reason, .. } => Some(reason.clone()),
                    FileCheck::Verified(_) => None,
                })
                .collect();
            return Err(AuthorityError::DocumentsUnverified(reasons.join("; ")));
        }
        let mut receipt =
            DocumentsReceivedEventContent::new(submission.clone(), verified, self.lang);
        if !failed.is_empty() {
            let names: Vec<String> = failed
                .iter()
                .filter_map(|f| match f {
                    FileCheck::Failed { announced, .. } => Some(format!("SHA-256 {announced}")),
                    FileCheck::Verified(_) => None,
                })
                .collect();
            receipt.note = Some(format!(
                "Nicht lesbar oder beschädigt, bitte erneut senden: {}",
                names.join(", ")
            ));
            g2c_protocol::FallbackText::fill_fallback(&mut receipt, self.lang);
        }
        receipt.validate()?;
        let room = self.room(room_id)?;
        let result = room.send(receipt.clone()).await?;
        let receipt_event_id = result.response.event_id;
        self.record(
            room_id,
            receipt_event_id.clone(),
            G2cEvent::DocumentsReceived(receipt.clone()),
        );
        tracing::info!(%room_id, event_id = %receipt_event_id, "documents confirmed");
        Ok(DocumentsConfirmation {
            receipt_event_id,
            receipt,
            failed,
        })
    }

    /// Fetches a documents submission this process has not seen and checks
    /// it against its document request (which must be ours, in this room).
    async fn load_submission(
        &self,
        room_id: &OwnedRoomId,
        submission: &OwnedEventId,
    ) -> Result<DocumentsSubmissionEventContent> {
        let wrong = |reason: &str| AuthorityError::WrongEvent {
            event_id: submission.to_string(),
            reason: reason.to_owned(),
        };
        let room = self.room(room_id)?;
        let event = room.event(submission, None).await?;
        let ev = crate::watch::room_event(room_id, &event)
            .ok_or_else(|| wrong("cannot be decrypted or read"))?;
        if self.tracker().is_own(&ev.sender) {
            return Err(wrong("was sent by the authority itself"));
        }
        let G2cEvent::Response(response @ Response::DocumentsSubmission(_)) =
            parse_event(&ev.event_type, &ev.content)?
        else {
            return Err(wrong("is no documents submission"));
        };
        let prompt_id = response.prompt_event_id().clone();
        if !self.tracker().knows_prompt(room_id, &prompt_id) {
            crate::watch::fetch_own_prompt(self, room_id, &prompt_id).await;
        }
        let prompt = self
            .tracker()
            .prompt(room_id, &prompt_id)
            .ok_or_else(|| wrong("answers no document request of ours in this room"))?;
        response.check_against(&prompt)?;
        match response {
            Response::DocumentsSubmission(content) => Ok(content),
            _ => Err(wrong("is no documents submission")),
        }
    }

    /// Starts syncing in the background and returns the stream of answers
    /// and rejections. Only one stream should run per client.
    pub fn answers(&self) -> AnswerStream {
        AnswerStream::start(self.clone())
    }

    /// The accepted answer to `prompt`, if one arrived.
    pub fn answer_to(&self, prompt: &OwnedEventId) -> Option<Incoming> {
        self.tracker()
            .answer_to(prompt)
            .cloned()
            .map(Incoming::Answer)
    }
}

/// The power levels' `events` of a request room: the homeserver's defaults
/// for a private chat (Synapse's, as of 1.163, for rooms before version 12)
/// plus one entry that lets the citizen (level 0, `users_default`) publish
/// their eID attestation ([`crate::trust::ATTESTATION_EVENT`]). Everything
/// else stays as it was: other state needs `state_default` (50), which the
/// citizen does not have. A citizen cannot publish an attestation for
/// someone else: the Matrix authorization rules reject any state event
/// whose state key starts with `@` and is not its sender's user id, so
/// the state key `@citizen:…` is writable by that citizen only (and the
/// authority tool checks the sender again).
///
/// `power_level_content_override` replaces top-level keys whole, so the
/// defaults of `events` must be repeated here.
fn request_room_power_levels()
-> Result<matrix_sdk::ruma::serde::Raw<create_room::RoomPowerLevelsContentOverride>> {
    let content = serde_json::json!({
        "events": {
            "m.room.name": 50,
            "m.room.power_levels": 100,
            "m.room.history_visibility": 100,
            "m.room.canonical_alias": 50,
            "m.room.avatar": 50,
            "m.room.tombstone": 100,
            "m.room.server_acl": 100,
            "m.room.encryption": 100,
            crate::trust::ATTESTATION_EVENT: 0,
        }
    });
    Ok(matrix_sdk::ruma::serde::Raw::from_json(
        serde_json::value::to_raw_value(&content).map_err(AuthorityError::Json)?,
    ))
}

async fn build_client(homeserver: &str, data: &DataDir) -> Result<Client> {
    let key: Zeroizing<[u8; 32]> = data.store_key()?;
    let store = SqliteStoreConfig::new(data.store_path()).key(Some(&key));
    let client = Client::builder()
        .homeserver_url(homeserver)
        .sqlite_store_with_config_and_cache_path(store, None::<PathBuf>)
        .with_encryption_settings(EncryptionSettings::default())
        .build()
        .await?;
    Ok(client)
}
