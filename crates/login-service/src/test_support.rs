//! Test-only stand-ins for the eID step. Compiled only for this crate's
//! tests: [`UnverifiedTestAuthenticator`] runs no cryptography and trusts
//! whatever "pseudonym" the card returns, so it must never reach a build.

use crate::authenticator::{EidAuthenticator, EidError, EidSession, EidStep, SectorPseudonym};
use crate::relay::{Description, Hello, SecureMessaging, Start};

/// A made-up command standing in for Terminal/Chip Authentication.
pub(crate) const FAKE_EAC_COMMAND: [u8; 5] = [0x80, 0xEA, 0x00, 0x00, 0x00];
/// A made-up command standing in for Restricted Identification.
pub(crate) const FAKE_RI_COMMAND: [u8; 5] = [0x80, 0x4E, 0x00, 0x00, 0x00];

/// Two relay steps (one "client" SM batch, one "service" SM batch), then
/// the card's answer to the second taken as the pseudonym. NOT an eID
/// authentication.
pub(crate) struct UnverifiedTestAuthenticator;

struct Session {
    step: u8,
}

fn ok_data(response: &[u8]) -> Result<&[u8], EidError> {
    match response {
        [data @ .., 0x90, 0x00] => Ok(data),
        [.., sw1, sw2] => Err(EidError::Card {
            status: u16::from_be_bytes([*sw1, *sw2]),
        }),
        _ => Err(EidError::Protocol("response too short".into())),
    }
}

impl EidSession for Session {
    fn step(&mut self, responses: Vec<Vec<u8>>) -> Result<EidStep, EidError> {
        let [response] = responses.as_slice() else {
            return Err(EidError::Protocol("expected one response".into()));
        };
        let data = ok_data(response)?;
        self.step += 1;
        match self.step {
            1 => Ok(EidStep::Transmit {
                secure_messaging: SecureMessaging::Service,
                commands: vec![FAKE_RI_COMMAND.to_vec()],
            }),
            _ if data.is_empty() => Err(EidError::Verification("empty pseudonym".into())),
            _ => Ok(EidStep::Done(SectorPseudonym::new(data.to_vec()))),
        }
    }
}

impl EidAuthenticator for UnverifiedTestAuthenticator {
    fn hello(&self) -> Hello {
        Hello {
            terminal_certificate: vec![0x7F, 0x21, 0x00],
            certificate_description: vec![0x30, 0x00],
            description: Description {
                issuer_name: "Test DV".into(),
                subject_name: "Amtsbote test login".into(),
                subject_url: "https://login.example".into(),
                terms_of_usage: "Test only.".into(),
            },
            required_chat: vec![0x7F, 0x4C, 0x00],
            optional_chat: vec![0x7F, 0x4C, 0x00],
        }
    }

    fn begin(&self, start: &Start) -> Result<(Box<dyn EidSession>, EidStep), EidError> {
        if start.id_picc.is_empty() {
            return Err(EidError::BadStart("no ID_PICC".into()));
        }
        Ok((
            Box::new(Session { step: 0 }),
            EidStep::Transmit {
                secure_messaging: SecureMessaging::Client,
                commands: vec![FAKE_EAC_COMMAND.to_vec()],
            },
        ))
    }
}

/// The card side for [`UnverifiedTestAuthenticator`]: answers the fake
/// RI command with a fixed pseudonym, and records which SM mode each
/// command came with.
#[cfg(feature = "client")]
pub(crate) struct TestCard {
    pub(crate) pseudonym: Vec<u8>,
    pub(crate) seen: Vec<SecureMessaging>,
}

#[cfg(feature = "client")]
impl crate::client::CardChannel for TestCard {
    fn transmit(
        &mut self,
        command: &[u8],
        secure_messaging: SecureMessaging,
    ) -> Result<Vec<u8>, crate::client::CardChannelError> {
        self.seen.push(secure_messaging);
        if command == FAKE_RI_COMMAND {
            let mut response = self.pseudonym.clone();
            response.extend([0x90, 0x00]);
            Ok(response)
        } else {
            Ok(vec![0x90, 0x00])
        }
    }
}

/// A plausible `start` message.
pub(crate) fn test_start() -> Start {
    Start {
        ef_card_access: vec![0x31, 0x00],
        id_picc: vec![0x11; 32],
        cars: vec!["DETESTeID00005".into()],
        chat: None,
    }
}
