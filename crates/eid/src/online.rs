//! The card side of an online authentication, as the citizen's app runs it:
//! PACE with the service's CHAT, after whatever the PIN's state needs first.
//!
//! In an online eID login the app only runs PACE; Terminal and Chip
//! Authentication belong to the service and are relayed
//! ([`crate::relay::ClientRelay`]). [`pace_for_service`] reads EF.CardAccess,
//! picks the PACE variant, and runs PACE with the PIN and the CHAT the
//! service asked for. A suspended PIN needs the CAN first: with a CAN,
//! PACE runs with the CAN and then with the PIN (which resumes it, the
//! counter returns to 3) before the login's own PACE. A blocked PIN is
//! unblocked separately with the PUK ([`crate::pin::unblock_pin`]), never
//! as a side effect of a login.
//!
//! Every failure is a [`PinError`] (its messages speak to the citizen), or
//! [`OnlineError::NotAnEidCard`]. A wrong PIN reports the counter the card
//! gave, so a card pulled after a failed try still leaves the count known.

use crate::card_access::SecurityInfos;
use crate::pace::{self, Pace, PaceOutcome, PaceParameters, PasswordKind};
use crate::pin::{self, PinError};
use crate::read_file::{FileRead, read_card_access};
use crate::secrets::{Can, Password, Pin};
use crate::transport::{CardTransport, TransportError};

/// Why the card side of a login failed.
#[derive(Debug, thiserror::Error)]
pub enum OnlineError {
    /// The card has no readable EF.CardAccess or no PACE variant this app
    /// supports: not an eID card (or an unsupported one).
    #[error("not a supported eID card: {0}")]
    NotAnEidCard(String),
    /// The card could not be read.
    #[error("card communication failed: {0}")]
    Communication(#[from] TransportError),
    /// PIN, CAN or PACE failed.
    #[error(transparent)]
    Pin(#[from] PinError),
}

/// What a PACE run for a service produced: what the service needs
/// (EF.CardAccess and the outcome's session info) and the keys the relay
/// uses until Chip Authentication replaces them.
#[derive(Debug)]
pub struct ServicePace {
    /// EF.CardAccess as read from the card.
    pub card_access: Vec<u8>,
    /// The PACE outcome (session keys, ID_PICC, CARs).
    pub outcome: PaceOutcome,
}

/// Reads EF.CardAccess and picks the PACE variant.
pub fn read_parameters(
    card: &mut dyn CardTransport,
) -> Result<(Vec<u8>, PaceParameters), OnlineError> {
    let card_access = match read_card_access(|command| card.transmit(command)) {
        FileRead::Data(bytes) => bytes,
        FileRead::Refused(sw) => {
            return Err(OnlineError::NotAnEidCard(format!(
                "no EF.CardAccess (card answered {sw})"
            )));
        }
        FileRead::Failed(error) => return Err(error.into()),
    };
    let infos = SecurityInfos::parse(&card_access)
        .map_err(|e| OnlineError::NotAnEidCard(format!("EF.CardAccess: {e}")))?;
    let params =
        PaceParameters::select(&infos).map_err(|e| OnlineError::NotAnEidCard(e.to_string()))?;
    Ok((card_access, params))
}

/// Runs PACE with `pin` and the service's `chat` (7F4C …), after resuming a
/// suspended PIN with `can` if one is given.
pub fn pace_for_service(
    card: &mut dyn CardTransport,
    chat: &[u8],
    pin: &Pin,
    can: Option<&Can>,
) -> Result<ServicePace, OnlineError> {
    let (card_access, params) = read_parameters(card)?;
    if let Some(can) = can {
        pin::resume_pin(card, &params, can, pin)?;
    }
    let pace = Pace::new(&params, Password::Pin(pin), Some(chat))
        .map_err(|e| PinError::from_pace(e, PasswordKind::Pin))?;
    let outcome =
        pace::establish(card, pace).map_err(|e| PinError::from_pace(e, PasswordKind::Pin))?;
    Ok(ServicePace {
        card_access,
        outcome,
    })
}

#[cfg(all(test, feature = "fake-card"))]
mod tests {
    use super::*;
    use crate::cvc::{AccessRight, Chat, Role};
    use crate::fake_card::{FakeCard, Fault};
    use crate::pin::PinState;

    const PIN: &str = "123456";
    const CAN: &str = "222222";
    const PUK: &str = "3333333333";

    fn chat() -> Vec<u8> {
        Chat::authentication(Role::Terminal, &[AccessRight::RestrictedIdentification]).to_tlv()
    }

    fn state(card: &mut FakeCard) -> PinState {
        let (_, params) = read_parameters(card).unwrap();
        pin::pin_state(card, &params).unwrap()
    }

    #[test]
    fn the_right_pin_gives_the_service_what_it_needs() {
        let mut card = FakeCard::new(PIN, CAN, PUK);
        let done = pace_for_service(&mut card, &chat(), &Pin::new(PIN).unwrap(), None).unwrap();
        assert!(!done.card_access.is_empty());
        assert!(!done.outcome.session_info().id_picc.is_empty());
        assert_eq!(state(&mut card), PinState::Operational(3));
    }

    #[test]
    fn a_wrong_pin_reports_the_counter_and_a_suspended_pin_needs_the_can() {
        let mut card = FakeCard::new(PIN, CAN, PUK);
        let wrong = Pin::new("654321").unwrap();
        let err = pace_for_service(&mut card, &chat(), &wrong, None).unwrap_err();
        assert!(
            matches!(
                err,
                OnlineError::Pin(PinError::WrongPin {
                    retries_left: Some(2)
                })
            ),
            "{err:?}"
        );
        pace_for_service(&mut card, &chat(), &wrong, None).unwrap_err();
        // One try left: the card wants the CAN first.
        let err = pace_for_service(&mut card, &chat(), &Pin::new(PIN).unwrap(), None).unwrap_err();
        assert!(
            matches!(err, OnlineError::Pin(PinError::Suspended)),
            "{err:?}"
        );
        assert_eq!(state(&mut card), PinState::Suspended);
        // With the CAN, the PIN is resumed and the login's PACE runs.
        let can = Can::new(CAN).unwrap();
        pace_for_service(&mut card, &chat(), &Pin::new(PIN).unwrap(), Some(&can)).unwrap();
        assert_eq!(state(&mut card), PinState::Operational(3));
    }

    #[test]
    fn a_card_pulled_after_a_wrong_pin_leaves_the_counter_known() {
        let mut card = FakeCard::new(PIN, CAN, PUK);
        let err =
            pace_for_service(&mut card, &chat(), &Pin::new("000000").unwrap(), None).unwrap_err();
        assert!(matches!(
            err,
            OnlineError::Pin(PinError::WrongPin {
                retries_left: Some(2)
            })
        ));
        // Pulled during the next try, before the PIN was used.
        card.inject(Fault::RemoveCardAt(card.exchanges() + 2));
        let err = pace_for_service(&mut card, &chat(), &Pin::new(PIN).unwrap(), None).unwrap_err();
        assert!(
            matches!(
                err,
                OnlineError::Communication(TransportError::CardRemoved)
                    | OnlineError::Pin(PinError::Communication(TransportError::CardRemoved))
            ),
            "{err:?}"
        );
        card.reinsert();
        assert_eq!(state(&mut card), PinState::Operational(2));
        assert_eq!(card.pin_retries(), 2);
    }

    #[test]
    fn a_card_pulled_before_pace_is_a_communication_error() {
        let mut card = FakeCard::new(PIN, CAN, PUK);
        card.inject(Fault::RemoveCardAt(1));
        assert!(matches!(
            read_parameters(&mut card),
            Err(OnlineError::Communication(TransportError::CardRemoved))
        ));
    }
}
