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
//!
//! A logged-in citizen whose attestation is missing or expired renews it
//! with the same card step: `eid_attestation_start` (the same consent as
//! the login) and `eid_attestation_renew` (PACE, the relay, then only the
//! attestation: no login token, no new device); `eid_attestation_state`
//! tells the UI where the account stands. The decisions live in core
//! ([`CitizenClient::renew_eid_attestation`],
//! [`CitizenClient::eid_attestation_state`]) and the login service's SSO
//! walk.

use g2c_core::attestation::{AttestationRenewalError, EidAttestationState, EidAttestationStatus};
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
use crate::ipc::{
    AccessRightDto, CommandError, EidAttestationDto, EidAttestationStatusDto, EidConsentDto,
    EidErrorDto, ReadersDto, SessionState,
};
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
    begin_session(&config, &pending).await
}

/// Walks to the service's `hello` and keeps the session as the one in
/// progress; returns what the citizen consents to.
async fn begin_session(
    config: &LoginConfig,
    pending: &PendingLogin,
) -> Result<EidConsentDto, EidErrorDto> {
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

/// Starts an eID authentication of the logged-in citizen that only renews
/// the account's attestation; returns what the service asks the citizen to
/// consent to (the same as for the login).
#[tauri::command]
pub async fn eid_attestation_start(
    config: State<'_, LoginConfig>,
    core: State<'_, Core>,
    pending: State<'_, PendingLogin>,
) -> Result<EidConsentDto, EidErrorDto> {
    if core.client().read().await.is_none() {
        return Err(EidErrorDto::NotLoggedIn);
    }
    begin_session(&config, &pending).await
}

/// Runs the card part of the started authentication with `pin` (and `can`)
/// on `reader`, then has the login service attest the account's master key
/// and publishes the attestation; returns the account's new state.
#[tauri::command]
pub async fn eid_attestation_renew(
    core: State<'_, Core>,
    pending: State<'_, PendingLogin>,
    reader: String,
    pin: String,
    can: Option<String>,
) -> Result<EidAttestationDto, EidErrorDto> {
    let (pin, can) = secrets(pin, can)?;
    let Finished::Attestation(ticket) =
        run_card(&pending, reader, pin, can, Purpose::Attestation).await?
    else {
        return Err(EidErrorDto::Internal);
    };
    let slot = core.client().read().await;
    let client = slot.as_ref().ok_or(EidErrorDto::NotLoggedIn)?;
    let rooms = client
        .renew_eid_attestation(|user_id, master_key| {
            fetch_with_timeout(ticket, user_id, master_key)
        })
        .await
        .map_err(renewal_error)?;
    tracing::info!(rooms, "eID attestation renewed and published");
    let state = client.eid_attestation_state().await.map_err(|error| {
        tracing::warn!(%error, "reading the eID attestation state");
        EidErrorDto::Internal
    })?;
    Ok(attestation_dto(state))
}

/// Where the account's eID attestation stands (the overview's reminder).
#[tauri::command]
pub async fn eid_attestation_state(
    core: State<'_, Core>,
) -> Result<EidAttestationDto, CommandError> {
    let slot = core.client().read().await;
    let client = slot.as_ref().ok_or(CommandError::NotLoggedIn)?;
    let state = client
        .eid_attestation_state()
        .await
        .map_err(super::command_error)?;
    Ok(attestation_dto(state))
}

/// The attestation state as the UI gets it.
pub(crate) fn attestation_dto(state: EidAttestationState) -> EidAttestationDto {
    let ms = |seconds: u64| seconds.saturating_mul(1000);
    EidAttestationDto {
        status: match state.status {
            EidAttestationStatus::Valid { expires_at } => EidAttestationStatusDto::Valid {
                expires_at_ms: ms(expires_at),
            },
            EidAttestationStatus::Expired { expired_at } => EidAttestationStatusDto::Expired {
                expired_at_ms: ms(expired_at),
            },
            EidAttestationStatus::Missing => EidAttestationStatusDto::Missing,
        },
        renewable: state.renewable,
    }
}

fn renewal_error(error: AttestationRenewalError) -> EidErrorDto {
    tracing::warn!(%error, "renewing the eID attestation");
    match error {
        AttestationRenewalError::NoMasterKey => EidErrorDto::NoMasterKey,
        AttestationRenewalError::NotIssued(_) | AttestationRenewalError::WrongBinding => {
            EidErrorDto::AttestationNotIssued
        }
        AttestationRenewalError::Core(_) => EidErrorDto::Internal,
    }
}

/// Asks the login service for the attestation with `ticket`, bounded by
/// [`ATTESTATION_TIMEOUT`]; the error is the reason, for the log.
async fn fetch_with_timeout(
    ticket: AttestationTicket,
    user_id: String,
    master_key: String,
) -> Result<String, String> {
    match tokio::time::timeout(
        ATTESTATION_TIMEOUT,
        ticket.fetch_attestation(&user_id, &master_key),
    )
    .await
    {
        Ok(Ok(attestation)) => Ok(attestation),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("the login service did not answer".into()),
    }
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
    let (pin, can) = secrets(pin, can)?;
    let homeserver = config
        .homeserver
        .clone()
        .ok_or(EidErrorDto::HomeserverUnavailable)?;
    let Finished::Login(finished) = run_card(&pending, reader, pin, can, Purpose::Login).await?
    else {
        return Err(EidErrorDto::Internal);
    };

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
    match client
        .renew_eid_attestation(|user_id, master_key| {
            fetch_with_timeout(ticket, user_id, master_key)
        })
        .await
    {
        Ok(rooms) => tracing::info!(rooms, "eID attestation kept and published"),
        Err(AttestationRenewalError::NoMasterKey) => tracing::warn!(
            "this device does not hold the account's master key (recover it first): no eID attestation"
        ),
        Err(error) => tracing::warn!(%error, "no eID attestation"),
    }
}

/// The PIN and the optional CAN, checked and zeroized when dropped.
fn secrets(pin: String, can: Option<String>) -> Result<(Pin, Option<Can>), EidErrorDto> {
    let pin = Zeroizing::new(pin);
    let can = can.map(Zeroizing::new);
    let pin = Pin::new(&pin).map_err(|_| invalid("pin"))?;
    let can = match can.as_deref().filter(|c| !c.is_empty()) {
        Some(can) => Some(Can::new(can).map_err(|_| invalid("can"))?),
        None => None,
    };
    Ok((pin, can))
}

/// Why the card step runs: a login, or only a fresh attestation.
#[derive(Clone, Copy)]
enum Purpose {
    Login,
    Attestation,
}

/// What the card step produced, by [`Purpose`].
enum Finished {
    Login(FinishedLogin),
    Attestation(AttestationTicket),
}

/// Runs the card part of the session in progress on `reader`. A failure
/// before the relay (PACE: wrong PIN, no card) keeps the session, so the
/// citizen can try again without starting over.
async fn run_card(
    pending: &PendingLogin,
    reader: String,
    pin: Pin,
    can: Option<Can>,
    purpose: Purpose,
) -> Result<Finished, EidErrorDto> {
    let mut slot = pending.0.lock().await;
    let session = slot.take().ok_or(EidErrorDto::NoLoginInProgress)?;
    let runtime = tokio::runtime::Handle::current();
    // Card I/O blocks, and the relay alternates card and network: the whole
    // run goes to a blocking thread that drives the network part itself.
    let (session, outcome) = tokio::task::spawn_blocking(move || {
        let outcome = authenticate(&runtime, &session, &reader, &pin, can.as_ref(), purpose);
        (session, outcome)
    })
    .await
    .map_err(|_| EidErrorDto::Internal)?;
    match outcome {
        Ok(finished) => Ok(finished),
        Err(Failure::BeforeRelay(error)) => {
            // PACE failed locally; the service's session is still good.
            *slot = Some(session);
            Err(error)
        }
        Err(Failure::InRelay(error)) => Err(error),
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
    purpose: Purpose,
) -> Result<Finished, Failure> {
    let context = ReaderContext::establish().map_err(|e| Failure::BeforeRelay(reader_error(e)))?;
    let mut card = context
        .connect(reader)
        .map_err(|e| Failure::BeforeRelay(reader_error(e)))?;
    let pace = online::pace_for_service(&mut card, session.required_chat(), pin, can)
        .map_err(|e| Failure::BeforeRelay(online_error(e)))?;
    let start = Start::from_pace(pace.card_access, &pace.outcome.session_info(), None);
    let mut relay = ClientRelay::new(card, pace.outcome.keys);
    runtime
        .block_on(async {
            match purpose {
                Purpose::Login => session.finish(start, &mut relay).await.map(Finished::Login),
                Purpose::Attestation => session
                    .finish_for_attestation(start, &mut relay)
                    .await
                    .map(Finished::Attestation),
            }
        })
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
        // Only `fetch_with_timeout` asks for attestations, and its errors
        // go through core's `AttestationRenewalError`.
        SsoError::Attestation(_) => EidErrorDto::AttestationNotIssued,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attestation_states_reach_the_ui_in_milliseconds_with_renewability() {
        let valid = attestation_dto(EidAttestationState {
            status: EidAttestationStatus::Valid {
                expires_at: 1_800_000_000,
            },
            renewable: true,
        });
        assert_eq!(
            valid,
            EidAttestationDto {
                status: EidAttestationStatusDto::Valid {
                    expires_at_ms: 1_800_000_000_000
                },
                renewable: true,
            }
        );
        let expired = attestation_dto(EidAttestationState {
            status: EidAttestationStatus::Expired {
                expired_at: 1_700_000_000,
            },
            renewable: false,
        });
        assert_eq!(
            serde_json::to_value(&expired).unwrap(),
            serde_json::json!({
                "status": { "state": "expired", "expiredAtMs": 1_700_000_000_000u64 },
                "renewable": false,
            })
        );
        let missing = attestation_dto(EidAttestationState {
            status: EidAttestationStatus::Missing,
            renewable: true,
        });
        assert_eq!(
            serde_json::to_value(&missing).unwrap(),
            serde_json::json!({ "status": { "state": "missing" }, "renewable": true })
        );
    }

    #[test]
    fn each_renewal_failure_has_the_code_the_ui_explains() {
        assert_eq!(
            renewal_error(AttestationRenewalError::NoMasterKey),
            EidErrorDto::NoMasterKey
        );
        assert_eq!(
            renewal_error(AttestationRenewalError::NotIssued(
                "403 Forbidden: wrong user".into()
            )),
            EidErrorDto::AttestationNotIssued
        );
        assert_eq!(
            renewal_error(AttestationRenewalError::WrongBinding),
            EidErrorDto::AttestationNotIssued
        );
        assert_eq!(
            serde_json::to_value(EidErrorDto::AttestationNotIssued).unwrap(),
            serde_json::json!({ "code": "attestationNotIssued" })
        );
    }
}
