//! The eID login commands: adapters from the login screen to g2c-eid (the
//! card), g2c-login-service's SSO walk and g2c-core's token login.
//!
//! The flow: `eid_login_start` walks to the service's `hello` and returns
//! what the citizen consents to; `eid_login_authenticate` runs PACE with the
//! PIN on the chosen reader, relays the service's Terminal and Chip
//! Authentication and Restricted Identification, and logs in with the token
//! the homeserver hands back. A wrong PIN keeps the started session, so the
//! citizen can try again without starting over. `eid_unblock_pin` is the
//! PUK step. The PIN, CAN and PUK are zeroized as soon as the card has
//! them; they are never logged. After the token login the app has the login
//! service attest the account's master key (`attest`, not fatal).

use g2c_core::{CitizenClient, CoreError, SecretString};
use g2c_eid::online::{self, OnlineError};
use g2c_eid::pin::PinError;
use g2c_eid::reader::{ReaderContext, ReaderError};
use g2c_eid::relay::ClientRelay;
use g2c_eid::secrets::{Can, Pin, Puk};
use g2c_eid::transport::TransportError;
use g2c_login_service::relay::Start;
use g2c_login_service::sso::{
    AttestationTicket, Consent, EidLoginSession, FinishedLogin, SsoError, SsoLogin, Terms,
};
use tauri::State;
use tokio::sync::Mutex;
use zeroize::Zeroizing;

use crate::config::LoginConfig;
use crate::ipc::{AccessRightDto, EidConsentDto, EidErrorDto, ReadersDto, SessionState};
use crate::readers::Readers;
use crate::session::Core;

/// How long the login waits for the login service's attestation.
const ATTESTATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The login in progress, between `hello` and the token.
#[derive(Default)]
pub struct PendingLogin(Mutex<Option<EidLoginSession>>);

/// The card readers and whether a card lies on each.
#[tauri::command]
pub fn eid_readers(readers: State<'_, Readers>) -> ReadersDto {
    readers.current()
}

/// Starts an eID login: asks the homeserver for it and returns what the
/// service asks the citizen to consent to.
#[tauri::command]
pub async fn eid_login_start(
    config: State<'_, LoginConfig>,
    core: State<'_, Core>,
    pending: State<'_, PendingLogin>,
) -> Result<EidConsentDto, EidErrorDto> {
    if core.client().read().await.is_some() {
        return Err(EidErrorDto::AlreadyLoggedIn);
    }
    let homeserver = config
        .homeserver
        .as_deref()
        .ok_or(EidErrorDto::HomeserverUnavailable)?;
    let session = SsoLogin::new(homeserver, &config.identity_provider)
        .begin()
        .await
        .map_err(sso_error)?;
    let consent = consent_dto(session.consent());
    let mut slot = pending.0.lock().await;
    if let Some(previous) = slot.replace(session) {
        previous.abort("superseded").await;
    }
    Ok(consent)
}

/// Cancels the login in progress (the citizen changed their mind).
#[tauri::command]
pub async fn eid_login_cancel(pending: State<'_, PendingLogin>) -> Result<(), EidErrorDto> {
    if let Some(session) = pending.0.lock().await.take() {
        session.abort("cancelled").await;
    }
    Ok(())
}

/// Runs the card part of the started login with `pin` (and `can` when the
/// PIN is suspended) on `reader`, then logs in.
#[tauri::command]
pub async fn eid_login_authenticate<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    config: State<'_, LoginConfig>,
    core: State<'_, Core>,
    pending: State<'_, PendingLogin>,
    reader: String,
    pin: String,
    can: Option<String>,
) -> Result<SessionState, EidErrorDto> {
    let pin = Zeroizing::new(pin);
    let can = can.map(Zeroizing::new);
    let pin = Pin::new(&pin).map_err(|_| invalid("pin"))?;
    let can = match can.as_deref().filter(|c| !c.is_empty()) {
        Some(can) => Some(Can::new(can).map_err(|_| invalid("can"))?),
        None => None,
    };
    let homeserver = config
        .homeserver
        .clone()
        .ok_or(EidErrorDto::HomeserverUnavailable)?;

    let mut slot = pending.0.lock().await;
    let session = slot.take().ok_or(EidErrorDto::NoLoginInProgress)?;
    let runtime = tokio::runtime::Handle::current();
    // Card I/O blocks, and the relay alternates card and network: the whole
    // run goes to a blocking thread that drives the network part itself.
    let (session, outcome) = tokio::task::spawn_blocking(move || {
        let outcome = authenticate(&runtime, &session, &reader, &pin, can.as_ref());
        (session, outcome)
    })
    .await
    .map_err(|_| EidErrorDto::Internal)?;
    let finished = match outcome {
        Ok(finished) => finished,
        Err(Failure::BeforeRelay(error)) => {
            // PACE failed locally; the service's session is still good.
            *slot = Some(session);
            return Err(error);
        }
        Err(Failure::InRelay(error)) => return Err(error),
    };
    drop(slot);

    let mut client_slot = core.client().write().await;
    if client_slot.is_some() {
        return Err(EidErrorDto::AlreadyLoggedIn);
    }
    let token = SecretString::new(finished.login_token.as_str());
    let client = CitizenClient::login_with_token(core.profile().clone(), &homeserver, &token)
        .await
        .map_err(core_error)?;
    // Before the sync loop starts, so the first request room the citizen
    // joins gets the attestation right away.
    attest(&client, finished.attestation).await;
    crate::session::activate(&app, &client);
    let state = crate::commands::session_of(Some(&client));
    *client_slot = Some(client);
    Ok(state)
}

/// Has the login service attest the account's cross-signing master key
/// (set up by the login) and hands the attestation to core, which publishes
/// it in the request rooms.
///
/// Not fatal: the citizen is logged in either way. Without an attestation,
/// authorities that require one (`g2c-authority … --require-attestation`)
/// refuse to send notices to this account until a later eID login on a
/// device that holds the master key attests it; requests, prompts and
/// answers work as before. The failure is logged (without the ticket, which
/// never leaves the ticket type).
async fn attest(client: &CitizenClient, ticket: AttestationTicket) {
    let master_key = match client.master_key_to_attest().await {
        Ok(Some(key)) => key,
        Ok(None) => {
            tracing::warn!(
                "this device does not hold the account's master key (recover it first): no eID attestation"
            );
            return;
        }
        Err(error) => {
            tracing::warn!(%error, "reading the master key failed: no eID attestation");
            return;
        }
    };
    let user_id = client.user_id();
    let attestation = match tokio::time::timeout(
        ATTESTATION_TIMEOUT,
        ticket.fetch_attestation(&user_id, &master_key),
    )
    .await
    {
        Ok(Ok(attestation)) => attestation,
        Ok(Err(error)) => {
            tracing::warn!(%error, "the login service issued no eID attestation");
            return;
        }
        Err(_) => {
            tracing::warn!("the login service did not answer: no eID attestation");
            return;
        }
    };
    match client.set_eid_attestation(&attestation).await {
        Ok(rooms) => tracing::info!(rooms, "eID attestation kept and published"),
        Err(error) => tracing::warn!(%error, "keeping the eID attestation failed"),
    }
}

/// Unblocks a blocked PIN with the PUK (the PIN itself stays the same).
#[tauri::command]
pub async fn eid_unblock_pin(reader: String, puk: String) -> Result<(), EidErrorDto> {
    let puk = Zeroizing::new(puk);
    let puk = Puk::new(&puk).map_err(|_| invalid("puk"))?;
    tokio::task::spawn_blocking(move || {
        let context = ReaderContext::establish().map_err(reader_error)?;
        let mut card = context.connect(&reader).map_err(reader_error)?;
        let (_, params) = online::read_parameters(&mut card).map_err(online_error)?;
        g2c_eid::pin::unblock_pin(&mut card, &params, &puk).map_err(pin_error)
    })
    .await
    .map_err(|_| EidErrorDto::Internal)?
}

/// Where a login attempt failed: before the relay started (the service's
/// session can be used again) or during it (it cannot).
enum Failure {
    BeforeRelay(EidErrorDto),
    InRelay(EidErrorDto),
}

fn authenticate(
    runtime: &tokio::runtime::Handle,
    session: &EidLoginSession,
    reader: &str,
    pin: &Pin,
    can: Option<&Can>,
) -> Result<FinishedLogin, Failure> {
    let context = ReaderContext::establish().map_err(|e| Failure::BeforeRelay(reader_error(e)))?;
    let mut card = context
        .connect(reader)
        .map_err(|e| Failure::BeforeRelay(reader_error(e)))?;
    let pace = online::pace_for_service(&mut card, session.required_chat(), pin, can)
        .map_err(|e| Failure::BeforeRelay(online_error(e)))?;
    let start = Start::from_pace(pace.card_access, &pace.outcome.session_info(), None);
    let mut relay = ClientRelay::new(card, pace.outcome.keys);
    runtime
        .block_on(session.finish(start, &mut relay))
        .map_err(|e| Failure::InRelay(sso_error(e)))
}

fn consent_dto(consent: &Consent) -> EidConsentDto {
    use g2c_eid::cvc::AccessRight;
    EidConsentDto {
        provider_name: consent.provider_name.clone(),
        provider_url: consent.provider_url.clone(),
        issuer_name: consent.issuer_name.clone(),
        terms: match &consent.terms {
            Terms::Text(text) => Some(text.clone()),
            Terms::NotShown => None,
        },
        required_rights: consent
            .required_rights
            .iter()
            .map(|right| match *right {
                AccessRight::RestrictedIdentification => AccessRightDto::Pseudonym,
                AccessRight::AgeVerification => AccessRightDto::AgeVerification,
                AccessRight::CommunityIdVerification => AccessRightDto::PlaceVerification,
                AccessRight::ReadDataGroup(number) => AccessRightDto::ReadDataGroup { number },
                other => AccessRightDto::Other {
                    label: other.label(),
                },
            })
            .collect(),
        valid_from: consent.valid_from.clone(),
        valid_until: consent.valid_until.clone(),
    }
}

fn invalid(field: &str) -> EidErrorDto {
    EidErrorDto::InvalidInput {
        field: field.to_owned(),
    }
}

fn reader_error(error: ReaderError) -> EidErrorDto {
    tracing::warn!(%error, "card reader");
    match error {
        ReaderError::ServiceUnavailable => EidErrorDto::NoReaderService,
        ReaderError::NoCard | ReaderError::ReaderUnavailable | ReaderError::InvalidName => {
            EidErrorDto::NoCard
        }
        ReaderError::CardRemoved | ReaderError::CardUnresponsive => EidErrorDto::CardRemoved,
        _ => EidErrorDto::Internal,
    }
}

fn transport_error(error: &TransportError) -> EidErrorDto {
    match error {
        TransportError::ServiceUnavailable => EidErrorDto::NoReaderService,
        TransportError::NoCard | TransportError::ReaderUnavailable => EidErrorDto::NoCard,
        _ => EidErrorDto::CardRemoved,
    }
}

fn online_error(error: OnlineError) -> EidErrorDto {
    match error {
        OnlineError::NotAnEidCard(reason) => {
            tracing::warn!(%reason, "not an eID card");
            EidErrorDto::NotAnEidCard
        }
        OnlineError::Communication(error) => transport_error(&error),
        OnlineError::Pin(error) => pin_error(error),
    }
}

fn pin_error(error: PinError) -> EidErrorDto {
    tracing::info!(%error, "PIN step failed");
    match error {
        PinError::WrongPin { retries_left } => EidErrorDto::WrongPin { retries_left },
        PinError::WrongCan => EidErrorDto::WrongCan,
        PinError::WrongPuk => EidErrorDto::WrongPuk,
        PinError::Suspended => EidErrorDto::PinSuspended,
        PinError::Blocked => EidErrorDto::PinBlocked,
        PinError::PukExhausted => EidErrorDto::PukExhausted,
        PinError::Deactivated => EidErrorDto::Deactivated,
        PinError::NewPinInvalid => invalid("pin"),
        PinError::Communication(error) => transport_error(&error),
        _ => EidErrorDto::CardRemoved,
    }
}

fn sso_error(error: SsoError) -> EidErrorDto {
    tracing::warn!(%error, "eID login");
    if let Some(refusal) = error.refusal() {
        let reason = serde_json::to_value(refusal.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".into());
        return EidErrorDto::ServiceRefused { reason };
    }
    match error {
        SsoError::Http(_) => EidErrorDto::Network,
        SsoError::Homeserver(_) => EidErrorDto::HomeserverUnavailable,
        SsoError::Certificate(_) => EidErrorDto::ServiceCertificateInvalid,
        SsoError::Callback(_) => EidErrorDto::LoginFailed,
        // Only `attest` asks for attestations, and it never fails the login.
        SsoError::Attestation(_) => EidErrorDto::Internal,
        SsoError::Relay(g2c_login_service::client::ClientError::Card(_)) => {
            EidErrorDto::CardRemoved
        }
        SsoError::Relay(g2c_login_service::client::ClientError::Http(_)) => EidErrorDto::Network,
        SsoError::Relay(_) => EidErrorDto::Internal,
    }
}

fn core_error(error: CoreError) -> EidErrorDto {
    tracing::warn!(%error, "token login");
    match error {
        CoreError::Keychain(_) | CoreError::StoreKeyMissing | CoreError::StoreMissing { .. } => {
            EidErrorDto::KeychainUnavailable
        }
        CoreError::Http(_) => EidErrorDto::Network,
        _ => EidErrorDto::LoginFailed,
    }
}
