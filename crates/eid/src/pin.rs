//! PIN management as citizens meet it: retry counter, suspension, blocking,
//! transport PIN change (BSI TR-03110-2 3.5, TR-03127).
//!
//! [`pin_state`] asks the card with MSE:Set AT alone (no PACE): 9000 means 3
//! tries, 63C2 two, 63C1 suspended (the CAN must come first), 63C0 blocked
//! (the PUK must unblock it), 6283 deactivated; a blocked PIN whose PUK is
//! used up is [`PinState::PukExhausted`]. [`change_pin`], [`resume_pin`] and
//! [`unblock_pin`] run PACE and the management command under secure
//! messaging. Every failure is a [`PinError`] with a plain German and English
//! message for the UI.

use thiserror::Error;
use tracing::info;

use crate::apdu::{CommandApdu, Status};
use crate::pace::{self, Pace, PaceError, PaceOutcome, PaceParameters, PasswordKind};
use crate::secrets::{Can, Password, Pin, Puk};
use crate::sm::{SecureChannel, SmError};
use crate::transport::{CardTransport, TransportError};

/// The PIN's state as the card reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinState {
    /// Usable, with this many tries left (3 or 2).
    Operational(u8),
    /// One try left, suspended: the CAN must be entered before the PIN.
    Suspended,
    /// No tries left: the PUK must unblock the PIN.
    Blocked,
    /// Blocked, and the PUK has been used up: only the citizens' office can help.
    PukExhausted,
    /// The online-ID function is switched off.
    Deactivated,
}

/// A language for [`PinError::message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// German.
    German,
    /// English.
    English,
}

/// Why a PIN operation failed, in terms a citizen can act on.
#[derive(Debug, Error)]
pub enum PinError {
    /// The PIN was wrong; this many tries remain, if the card said so
    /// (63Cx). Some cards and emulators answer a wrong PIN without the
    /// counter: then it is `None`, never a guessed number.
    #[error("wrong PIN ({} tries left)", retries_left.map_or_else(|| "unknown".to_owned(), |n| n.to_string()))]
    WrongPin {
        /// Tries left, as the card reported them.
        retries_left: Option<u8>,
    },
    /// The CAN was wrong.
    #[error("wrong CAN")]
    WrongCan,
    /// The PUK was wrong.
    #[error("wrong PUK")]
    WrongPuk,
    /// The PIN is suspended: enter the CAN first.
    #[error("the PIN is suspended; the CAN is needed")]
    Suspended,
    /// The PIN is blocked: unblock it with the PUK.
    #[error("the PIN is blocked; the PUK is needed")]
    Blocked,
    /// The PUK is used up.
    #[error("the PUK is used up")]
    PukExhausted,
    /// The online-ID function is deactivated.
    #[error("the online-ID function is deactivated")]
    Deactivated,
    /// The new PIN must have exactly six digits.
    #[error("the new PIN must have six digits")]
    NewPinInvalid,
    /// The card was removed or the reader failed.
    #[error("card communication failed: {0}")]
    Communication(#[from] TransportError),
    /// The secure channel failed (tampering or a faulty card/reader).
    #[error("secure messaging failed: {0}")]
    SecureMessaging(SmError),
    /// Any other PACE failure (unsupported card, invalid card token, …).
    #[error("PACE failed: {0}")]
    Pace(PaceError),
    /// The card refused the management command.
    #[error("the card refused the command: {0}")]
    Refused(crate::apdu::StatusWord),
}

impl From<SmError> for PinError {
    fn from(e: SmError) -> Self {
        match e {
            SmError::Transport(t) => Self::Communication(t),
            other => Self::SecureMessaging(other),
        }
    }
}

impl PinError {
    pub(crate) fn from_pace(e: PaceError, kind: PasswordKind) -> Self {
        match (e, kind) {
            (PaceError::WrongPassword { retries_left }, PasswordKind::Pin) => {
                Self::WrongPin { retries_left }
            }
            (PaceError::WrongPassword { .. }, PasswordKind::Can) => Self::WrongCan,
            (PaceError::WrongPassword { .. }, PasswordKind::Puk) => Self::WrongPuk,
            (PaceError::Blocked, PasswordKind::Puk) => Self::PukExhausted,
            (PaceError::Blocked, _) => Self::Blocked,
            (PaceError::Suspended, _) => Self::Suspended,
            (PaceError::Deactivated, _) => Self::Deactivated,
            (PaceError::Transport(t), _) => Self::Communication(t),
            (other, _) => Self::Pace(other),
        }
    }

    /// A plain sentence for the citizen.
    pub fn message(&self, language: Language) -> String {
        use Language::{English as En, German as De};
        match (self, language) {
            (Self::WrongPin { retries_left: Some(1) }, De) => {
                "Die PIN war falsch. Die PIN ist jetzt gesperrt, bis Sie die Zugangsnummer (CAN) eingeben.".into()
            }
            (Self::WrongPin { retries_left: Some(1) }, En) => {
                "The PIN was wrong. It is now suspended until you enter the card access number (CAN).".into()
            }
            (Self::WrongPin { retries_left: Some(0) }, De) | (Self::Blocked, De) => {
                "Die PIN ist gesperrt. Entsperren Sie sie mit der PUK aus Ihrem PIN-Brief.".into()
            }
            (Self::WrongPin { retries_left: Some(0) }, En) | (Self::Blocked, En) => {
                "The PIN is blocked. Unblock it with the PUK from your PIN letter.".into()
            }
            (Self::WrongPin { retries_left: Some(n) }, De) => {
                format!("Die PIN war falsch. Sie haben noch {n} Versuche.")
            }
            (Self::WrongPin { retries_left: Some(n) }, En) => format!("The PIN was wrong. You have {n} tries left."),
            (Self::WrongPin { retries_left: None }, De) => "Die PIN war falsch.".into(),
            (Self::WrongPin { retries_left: None }, En) => "The PIN was wrong.".into(),
            (Self::WrongCan, De) => "Die Zugangsnummer (CAN) war falsch. Sie steht vorne auf dem Ausweis.".into(),
            (Self::WrongCan, En) => "The card access number (CAN) was wrong. It is printed on the front of the card.".into(),
            (Self::WrongPuk, De) => "Die PUK war falsch. Sie steht in Ihrem PIN-Brief.".into(),
            (Self::WrongPuk, En) => "The PUK was wrong. It is in your PIN letter.".into(),
            (Self::Suspended, De) => "Bitte geben Sie zuerst die Zugangsnummer (CAN) ein, dann die PIN.".into(),
            (Self::Suspended, En) => "Please enter the card access number (CAN) first, then the PIN.".into(),
            (Self::PukExhausted, De) => {
                "Die PUK ist aufgebraucht. Bitte wenden Sie sich an Ihr Bürgeramt.".into()
            }
            (Self::PukExhausted, En) => "The PUK is used up. Please contact your citizens' office.".into(),
            (Self::Deactivated, De) => {
                "Die Online-Ausweisfunktion ist ausgeschaltet. Ihr Bürgeramt kann sie einschalten.".into()
            }
            (Self::Deactivated, En) => {
                "The online ID function is switched off. Your citizens' office can switch it on.".into()
            }
            (Self::NewPinInvalid, De) => "Die neue PIN muss genau sechs Ziffern haben.".into(),
            (Self::NewPinInvalid, En) => "The new PIN must have exactly six digits.".into(),
            (Self::Communication(_), De) => {
                "Die Verbindung zum Ausweis ist abgebrochen. Bitte legen Sie ihn ruhig auf das Lesegerät.".into()
            }
            (Self::Communication(_), En) => {
                "The connection to the card was lost. Please keep it still on the reader.".into()
            }
            (_, De) => "Der Ausweis hat den Vorgang abgelehnt. Bitte versuchen Sie es erneut.".into(),
            (_, En) => "The card refused the operation. Please try again.".into(),
        }
    }
}

/// Reads the PIN state with MSE:Set AT (no PACE, nothing secret is sent).
pub fn pin_state(
    transport: &mut dyn CardTransport,
    params: &PaceParameters,
) -> Result<PinState, PinError> {
    let resp = transport.transmit(
        &pace::mse_set_at(params, PasswordKind::Pin, None)
            .map_err(PaceError::from)
            .map_err(PinError::Pace)?,
    )?;
    let state = match resp.sw().status() {
        Status::Success => PinState::Operational(3),
        Status::RetriesLeft(n) if n >= 2 => PinState::Operational(n),
        Status::RetriesLeft(1) => PinState::Suspended,
        Status::RetriesLeft(_) | Status::AuthenticationBlocked => {
            let puk = transport.transmit(
                &pace::mse_set_at(params, PasswordKind::Puk, None)
                    .map_err(PaceError::from)
                    .map_err(PinError::Pace)?,
            )?;
            match puk.sw().status() {
                Status::RetriesLeft(0) | Status::AuthenticationBlocked => PinState::PukExhausted,
                _ => PinState::Blocked,
            }
        }
        Status::Deactivated => PinState::Deactivated,
        _ => return Err(PinError::Refused(resp.sw())),
    };
    info!(?state, "PIN state read");
    Ok(state)
}

fn run_pace(
    transport: &mut dyn CardTransport,
    params: &PaceParameters,
    password: Password<'_>,
) -> Result<PaceOutcome, PinError> {
    let kind = password.kind();
    let pace = Pace::new(params, password, None).map_err(|e| PinError::from_pace(e, kind))?;
    pace::establish(transport, pace).map_err(|e| PinError::from_pace(e, kind))
}

fn management(
    transport: &mut dyn CardTransport,
    outcome: PaceOutcome,
    cmd: &CommandApdu,
) -> Result<(), PinError> {
    let mut channel = SecureChannel::new(transport, outcome.keys);
    let resp = channel.transmit(cmd)?;
    if resp.sw().is_success() {
        Ok(())
    } else {
        Err(PinError::Refused(resp.sw()))
    }
}

/// Runs PACE with the CAN and then with the PIN, which resumes a suspended PIN
/// (the retry counter returns to 3). Returns the PIN session's outcome.
pub fn resume_pin(
    transport: &mut dyn CardTransport,
    params: &PaceParameters,
    can: &Can,
    pin: &Pin,
) -> Result<PaceOutcome, PinError> {
    run_pace(transport, params, Password::Can(can))?;
    let outcome = run_pace(transport, params, Password::Pin(pin))?;
    info!("PIN resumed");
    Ok(outcome)
}

/// Changes the PIN (or the 5-digit transport PIN) to a new 6-digit PIN.
/// Give the CAN if the PIN is suspended.
pub fn change_pin(
    transport: &mut dyn CardTransport,
    params: &PaceParameters,
    can: Option<&Can>,
    current: &Pin,
    new: &Pin,
) -> Result<(), PinError> {
    if new.is_transport() {
        return Err(PinError::NewPinInvalid);
    }
    let outcome = match can {
        Some(can) => resume_pin(transport, params, can, current)?,
        None => run_pace(transport, params, Password::Pin(current))?,
    };
    let cmd = CommandApdu::new(0x00, 0x2C, 0x02, PasswordKind::Pin as u8)
        .with_data(new.expose().to_vec())
        .map_err(|e| PinError::Pace(e.into()))?;
    management(transport, outcome, &cmd)?;
    info!(transport_pin = current.is_transport(), "PIN changed");
    Ok(())
}

/// Unblocks a blocked PIN with the PUK (RESET RETRY COUNTER); the PIN stays the same.
pub fn unblock_pin(
    transport: &mut dyn CardTransport,
    params: &PaceParameters,
    puk: &Puk,
) -> Result<(), PinError> {
    let outcome = run_pace(transport, params, Password::Puk(puk))?;
    let cmd = CommandApdu::new(0x00, 0x2C, 0x03, PasswordKind::Pin as u8);
    management(transport, outcome, &cmd)?;
    info!("PIN unblocked");
    Ok(())
}
