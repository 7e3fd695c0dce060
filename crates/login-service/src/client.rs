//! The citizen app's side of the relay protocol (feature `client`).
//!
//! The app's one relay client, in two layers: [`RelayClient`] speaks the
//! HTTP protocol (`hello`, `start`, the `transmit` loop, `done`), and
//! g2c-eid's [`ClientRelay`] runs each batch on the card — wrapping
//! TA/CA commands in the app's PACE secure messaging (only the commands
//! those need are allowed), then, from the first end-to-end batch on,
//! forwarding the service's protected commands unchanged with the PACE keys
//! dropped, and stopping a batch at the first status other than
//! 90xx/61xx/63xx. The card-side half stays in g2c-eid, the only crate that
//! talks to the card; this crate adds only the network half.

use g2c_eid::eac::Batch;
use g2c_eid::relay::{ClientRelay, RelayError as CardRelayError};
use g2c_eid::transport::CardTransport;

use crate::relay::{
    ClientBody, ClientMessage, Hello, JoinInfo, MAX_TRANSMIT_STEPS, RelayError, ServiceBody,
    ServiceMessage, Start, TransmitResponses,
};

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
    /// The card failed or the service asked for a command the app does not
    /// relay; the session was aborted.
    #[error("card: {0}")]
    Card(#[from] CardRelayError),
}

/// A relay session from the app's side.
#[derive(Clone)]
pub struct RelayClient {
    http: reqwest::Client,
    relay_url: String,
}

impl std::fmt::Debug for RelayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The relay URL carries the session id, a bearer secret.
        f.debug_struct("RelayClient").finish_non_exhaustive()
    }
}

impl RelayClient {
    /// A client for the relay URL from [`JoinInfo`].
    pub fn new(http: reqwest::Client, join: &JoinInfo) -> Self {
        Self {
            http,
            relay_url: join.relay_url.clone(),
        }
    }

    /// The session's relay URL (`{issuer}/relay/v1/{session}`): a bearer
    /// secret, never log it.
    pub(crate) fn relay_url(&self) -> &str {
        &self.relay_url
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
            .await
            // The URL holds the session id: keep it out of error messages
            // (they are logged).
            .map_err(reqwest::Error::without_url)?;
        let bytes = response
            .bytes()
            .await
            .map_err(reqwest::Error::without_url)?;
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

    /// Steps 2…: after PACE, runs the service's batches on the card through
    /// `card` until the service is done, and returns the URL to follow back
    /// to the relying party. A card failure or a refused command aborts the
    /// session at the service before the error is returned.
    pub async fn run<T: CardTransport>(
        &self,
        start: Start,
        card: &mut ClientRelay<T>,
    ) -> Result<String, ClientError> {
        let mut next = self.exchange(ClientBody::Start(start)).await?;
        let mut expected_step = 1;
        loop {
            let batch = match next {
                ServiceBody::Done { redirect_to } => return Ok(redirect_to),
                ServiceBody::Transmit(batch) => batch,
                _ => return Err(ClientError::Protocol("unexpected message".into())),
            };
            if batch.step != expected_step || batch.step > MAX_TRANSMIT_STEPS {
                return Err(ClientError::Protocol("wrong step number".into()));
            }
            let responses = match card.run(&Batch {
                protection: batch.secure_messaging.into(),
                commands: batch.commands,
            }) {
                Ok(responses) => responses,
                Err(error) => {
                    // Best effort: the session is useless now either way.
                    let _ = self.abort("card_error").await;
                    return Err(error.into());
                }
            };
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
