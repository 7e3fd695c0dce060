//! The citizen app's side of the relay protocol (feature `client`).
//!
//! The app runs PACE itself (it holds the PIN) and implements
//! [`CardChannel`]: send a command through its PACE secure messaging, or
//! forward one the service already protected. [`RelayClient`] does the
//! rest: `hello`, `start`, the `transmit` loop, `done`.

use crate::relay::{
    ClientBody, ClientMessage, Hello, JoinInfo, MAX_TRANSMIT_STEPS, RelayError, SecureMessaging,
    ServiceBody, ServiceMessage, Start, TransmitResponses,
};

/// A card error as the app reports it (no card data in the message).
#[derive(Debug, thiserror::Error)]
#[error("card: {0}")]
pub struct CardChannelError(pub String);

/// The app's connection to the card after PACE.
pub trait CardChannel {
    /// Sends one command and returns the response APDU (data + status).
    ///
    /// With [`SecureMessaging::Client`] the app wraps the command in its
    /// PACE secure messaging and unwraps the response; with
    /// [`SecureMessaging::Service`] it sends the bytes unchanged (and must
    /// have dropped its PACE keys).
    fn transmit(
        &mut self,
        command: &[u8],
        secure_messaging: SecureMessaging,
    ) -> Result<Vec<u8>, CardChannelError>;
}

/// What can go wrong on the app's side.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The HTTP request failed.
    #[error("relay request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The service ended the session with an error.
    #[error("the service refused: {0}")]
    Refused(RelayError),
    /// The service broke the protocol.
    #[error("relay protocol violation: {0}")]
    Protocol(String),
    /// The card failed.
    #[error(transparent)]
    Card(#[from] CardChannelError),
}

/// A relay session from the app's side.
#[derive(Debug, Clone)]
pub struct RelayClient {
    http: reqwest::Client,
    relay_url: String,
}

/// Whether a status word lets the batch go on (90xx, 61xx, 63xx).
fn status_continues(response: &[u8]) -> bool {
    matches!(response, [.., 0x90 | 0x61 | 0x63, _])
}

impl RelayClient {
    /// A client for the relay URL from [`JoinInfo`].
    pub fn new(http: reqwest::Client, join: &JoinInfo) -> Self {
        Self {
            http,
            relay_url: join.relay_url.clone(),
        }
    }

    /// Fetches `authorize_url` asking for JSON and joins its relay session.
    /// The app reaches that URL by following the homeserver's SSO redirect.
    pub async fn join(http: reqwest::Client, authorize_url: &str) -> Result<Self, ClientError> {
        let response = http
            .get(authorize_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?
            .error_for_status()?;
        let join: JoinInfo = response.json().await?;
        Ok(Self::new(http, &join))
    }

    async fn exchange(&self, body: ClientBody) -> Result<ServiceBody, ClientError> {
        let response = self
            .http
            .post(&self.relay_url)
            .json(&ClientMessage::new(body))
            .send()
            .await?;
        let bytes = response.bytes().await?;
        let message =
            ServiceMessage::parse(&bytes).map_err(|e| ClientError::Protocol(e.message))?;
        match message.body {
            ServiceBody::Error(error) => Err(ClientError::Refused(error)),
            body => Ok(body),
        }
    }

    /// Step 1: who is asking, for what. Show this before asking for the PIN.
    pub async fn hello(&self) -> Result<Hello, ClientError> {
        match self.exchange(ClientBody::Hello).await? {
            ServiceBody::Hello(hello) => Ok(hello),
            _ => Err(ClientError::Protocol("expected hello".into())),
        }
    }

    /// Steps 2…: after PACE, runs the service's commands on the card until
    /// it is done, and returns the URL to follow back to the relying party.
    pub async fn run(
        &self,
        start: Start,
        card: &mut dyn CardChannel,
    ) -> Result<String, ClientError> {
        let mut next = self.exchange(ClientBody::Start(start)).await?;
        let mut expected_step = 1;
        let mut end_to_end = false;
        loop {
            let batch = match next {
                ServiceBody::Done { redirect_to } => return Ok(redirect_to),
                ServiceBody::Transmit(batch) => batch,
                _ => return Err(ClientError::Protocol("unexpected message".into())),
            };
            if batch.step != expected_step || batch.step > MAX_TRANSMIT_STEPS {
                return Err(ClientError::Protocol("wrong step number".into()));
            }
            match batch.secure_messaging {
                SecureMessaging::Service => end_to_end = true,
                SecureMessaging::Client if end_to_end => {
                    return Err(ClientError::Protocol(
                        "client secure messaging after the end-to-end channel began".into(),
                    ));
                }
                SecureMessaging::Client => {}
            }
            let mut responses = Vec::with_capacity(batch.commands.len());
            for command in &batch.commands {
                let response = card.transmit(command, batch.secure_messaging)?;
                let go_on = status_continues(&response);
                responses.push(response);
                if !go_on {
                    break;
                }
            }
            next = self
                .exchange(ClientBody::Transmit(TransmitResponses {
                    step: batch.step,
                    responses,
                }))
                .await?;
            expected_step += 1;
        }
    }

    /// Ends the session early (PIN dialog cancelled, card removed).
    pub async fn abort(&self, reason: &str) -> Result<(), ClientError> {
        match self
            .exchange(ClientBody::Abort {
                reason: reason.into(),
            })
            .await
        {
            Err(ClientError::Refused(_)) | Ok(_) => Ok(()),
            Err(other) => Err(other),
        }
    }
}
