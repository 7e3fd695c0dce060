//! The app's IPC commands: thin adapters from the UI's intents to the
//! application crates. No business logic lives here.

pub mod login;
pub mod settings;

use g2c_core::requests::{RequestStatus, RequestSummary};
use g2c_core::{CitizenClient, ConnectionState, CoreError};
use tauri::State;

use crate::config::TrustRoots;
use crate::ipc::{
    AppInfo, AuthorityTrustDto, CommandError, ConnectionStateDto, RequestStatusDto,
    RequestSummaryDto, SessionState,
};
use crate::session::Core;

pub mod request;
mod trust;

/// Tells the UI which app and version it runs in.
#[tauri::command]
pub fn app_info<R: tauri::Runtime>(app: tauri::AppHandle<R>) -> AppInfo {
    let package = app.package_info();
    AppInfo {
        name: package.name.clone(),
        version: package.version.to_string(),
        identifier: app.config().identifier.clone(),
        dev_login: cfg!(feature = "dev-login"),
    }
}

/// Whether someone is logged in, as whom (a pseudonym) and how connected.
#[tauri::command]
pub async fn session_state(core: State<'_, Core>) -> Result<SessionState, CommandError> {
    Ok(session_of(core.client().read().await.as_ref()))
}

/// The citizen's requests, those needing action first.
#[tauri::command]
pub async fn list_requests(
    core: State<'_, Core>,
    roots: State<'_, TrustRoots>,
) -> Result<Vec<RequestSummaryDto>, CommandError> {
    let slot = core.client().read().await;
    let client = slot.as_ref().ok_or(CommandError::NotLoggedIn)?;
    let started = std::time::Instant::now();
    let requests = core.requests().read(client).await.map_err(command_error)?;
    let read = started.elapsed();
    let trusts = trust::stored_authority_trusts(client, &roots, &requests).await;
    let summaries: Vec<RequestSummaryDto> = requests
        .iter()
        .cloned()
        .zip(trusts)
        .map(|(summary, trust)| summary_dto(summary, trust))
        .collect();
    tracing::info!(
        requests = summaries.len(),
        read_ms = read.as_millis(),
        total_ms = started.elapsed().as_millis(),
        "request list"
    );
    Ok(summaries)
}

/// Password login, for development and demos only (`dev-login` feature):
/// citizens log in with the eID card.
#[cfg(feature = "dev-login")]
#[tauri::command]
pub async fn login_with_password<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    core: State<'_, Core>,
    homeserver: String,
    user: String,
    password: String,
) -> Result<SessionState, CommandError> {
    let password = g2c_core::SecretString::new(password);
    let mut slot = core.client().write().await;
    if slot.is_some() {
        return Err(CommandError::AlreadyLoggedIn);
    }
    let client =
        CitizenClient::login_with_password(core.profile().clone(), &homeserver, &user, &password)
            .await
            .map_err(command_error)?;
    crate::session::activate(&app, &client);
    let state = session_of(Some(&client));
    *slot = Some(client);
    Ok(state)
}

pub(crate) fn session_of(client: Option<&CitizenClient>) -> SessionState {
    match client {
        None => SessionState::LoggedOut,
        Some(client) => SessionState::LoggedIn {
            user_id: client.user_id(),
            connection: connection_dto(client.connection_state()),
        },
    }
}

fn connection_dto(state: ConnectionState) -> ConnectionStateDto {
    match state {
        ConnectionState::Stopped => ConnectionStateDto::Stopped,
        ConnectionState::Connecting => ConnectionStateDto::Connecting,
        ConnectionState::Connected => ConnectionStateDto::Connected,
        ConnectionState::Reconnecting {
            attempt,
            retry_in_ms,
        } => ConnectionStateDto::Reconnecting {
            attempt,
            retry_in_ms,
        },
    }
}

fn summary_dto(summary: RequestSummary, authority_trust: AuthorityTrustDto) -> RequestSummaryDto {
    RequestSummaryDto {
        room_id: summary.room_id,
        service: summary.service,
        authority: summary.authority,
        authority_trust,
        reference: summary.reference,
        submitted_at: summary.submitted_at,
        status: summary.status.as_ref().map(status_dto),
        open_prompts: u32::try_from(summary.open_prompts).unwrap_or(u32::MAX),
        needs_action: summary.needs_action,
        language: summary.language,
    }
}

fn status_dto(status: &RequestStatus) -> RequestStatusDto {
    match status {
        RequestStatus::Submitted => RequestStatusDto::Submitted,
        RequestStatus::InReview => RequestStatusDto::InReview,
        RequestStatus::ActionRequired => RequestStatusDto::ActionRequired,
        RequestStatus::Decided => RequestStatusDto::Decided,
        RequestStatus::Closed => RequestStatusDto::Closed,
        _ => RequestStatusDto::Unknown,
    }
}

fn command_error(error: CoreError) -> CommandError {
    tracing::warn!(%error, "command failed");
    match error {
        CoreError::Keychain(_) | CoreError::StoreKeyMissing | CoreError::StoreMissing { .. } => {
            CommandError::KeychainUnavailable
        }
        CoreError::Login(_) => CommandError::LoginFailed,
        CoreError::Http(_) => CommandError::Network,
        _ => CommandError::Internal,
    }
}
