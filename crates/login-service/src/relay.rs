//! The relay protocol between the citizen's app and the login service,
//! version 1 (see `docs/relay-protocol.md`).
//!
//! JSON request/response over HTTPS: the app `POST`s one [`ClientMessage`]
//! to the session's relay URL and gets one [`ServiceMessage`] back. The
//! order is `hello` → `start` → `transmit`* → `done` (or `error` at any
//! point). Byte strings (APDUs, certificates, CHATs) travel as hex, as in
//! TR-03124's Transmit. The limits below are part of the protocol: both
//! sides enforce them.

use serde::{Deserialize, Serialize};

/// The protocol version this crate speaks. Sent in every message.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest JSON message body either side accepts, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 320 * 1024;

/// Largest single command or response APDU, in bytes (extended length is
/// needed for certificates; real eID APDUs stay far below this).
pub const MAX_APDU_BYTES: usize = 8 * 1024;

/// Most APDUs in one `transmit` batch.
pub const MAX_APDUS_PER_BATCH: usize = 16;

/// Most `transmit` round trips in one session.
pub const MAX_TRANSMIT_STEPS: u32 = 32;

/// Most CARs (certification authority references) a `start` may name.
pub const MAX_CARS: usize = 8;

/// Seconds a relay session lives from `/authorize`, whatever happens.
pub const SESSION_LIFETIME_SECS: u64 = 300;

/// Seconds the service waits for the next message of a session.
pub const STEP_TIMEOUT_SECS: u64 = 60;

/// The media type of every relay message.
pub const CONTENT_TYPE: &str = "application/json";

/// What `/authorize` returns to an app that asked for `application/json`:
/// where to run the relay for this authorization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinInfo {
    /// Always [`PROTOCOL_VERSION`].
    pub version: u32,
    /// The session's relay URL (an unguessable, single-use capability).
    pub relay_url: String,
    /// Seconds until the session expires.
    pub expires_in: u64,
}

/// A message from the citizen's app to the service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMessage {
    /// Always [`PROTOCOL_VERSION`].
    pub version: u32,
    /// The message itself.
    #[serde(flatten)]
    pub body: ClientBody,
}

/// The kinds of client message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientBody {
    /// First message: asks who the service is and what it wants to read.
    Hello,
    /// After PACE ran on the card with the CHAT from `hello`.
    Start(Start),
    /// The card's responses to the last batch of commands, in order.
    Transmit(TransmitResponses),
    /// The citizen cancelled or the card went away; ends the session.
    Abort {
        /// A short machine-readable reason, e.g. `user_cancelled`.
        reason: String,
    },
}

/// What the app learned from PACE and passes on for Terminal Authentication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Start {
    /// EF.CardAccess as read from the card.
    #[serde(with = "hex_bytes")]
    pub ef_card_access: Vec<u8>,
    /// ID_PICC: the compressed ephemeral PACE public key of the card (its
    /// x coordinate), which the terminal signs in TA.
    #[serde(with = "hex_bytes")]
    pub id_picc: Vec<u8>,
    /// The CARs the card named in the last PACE response (DO 87, 88).
    pub cars: Vec<String>,
    /// The CHAT PACE ran with (what the citizen confirmed), if it differs
    /// from the requested one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_hex_bytes"
    )]
    pub chat: Option<Vec<u8>>,
}

impl Start {
    /// The `start` message from what PACE produced: EF.CardAccess as read,
    /// ID_PICC and the CARs ([`g2c_eid::pace::PaceOutcome::session_info`]),
    /// and the CHAT PACE ran with if the citizen deselected optional rights.
    pub fn from_pace(
        ef_card_access: Vec<u8>,
        pace: &g2c_eid::ta::PaceSessionInfo,
        chat: Option<Vec<u8>>,
    ) -> Self {
        Self {
            ef_card_access,
            id_picc: pace.id_picc.clone(),
            cars: pace
                .car
                .iter()
                .chain(pace.previous_car.iter())
                .map(ToString::to_string)
                .collect(),
            chat,
        }
    }
}

/// One batch of card responses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransmitResponses {
    /// The step number of the batch these answer.
    pub step: u32,
    /// Response APDUs (data and status word), one per command, in order. The
    /// app stops at the first response whose status is not 90xx/61xx/63xx
    /// and returns what it has.
    #[serde(with = "hex_list")]
    pub responses: Vec<Vec<u8>>,
}

/// A message from the service to the citizen's app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceMessage {
    /// Always [`PROTOCOL_VERSION`].
    pub version: u32,
    /// The message itself.
    #[serde(flatten)]
    pub body: ServiceBody,
}

/// The kinds of service message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServiceBody {
    /// The answer to `hello`: what the app shows before the PIN.
    Hello(Hello),
    /// Commands for the card.
    Transmit(TransmitCommands),
    /// The eID authentication succeeded: the app follows `redirect_to`
    /// (the OpenID Connect authorization response) with its own cookies.
    Done {
        /// The authorization response URL at the relying party.
        redirect_to: String,
    },
    /// The session failed and is over.
    Error(RelayError),
}

/// The service's identity and request, shown to the citizen before the PIN.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// The terminal CV certificate (DER, tag 7F21).
    #[serde(with = "hex_bytes")]
    pub terminal_certificate: Vec<u8>,
    /// The certificate description (DER), whose hash the terminal
    /// certificate carries; the app checks the hash before showing it.
    #[serde(with = "hex_bytes")]
    pub certificate_description: Vec<u8>,
    /// The description in readable form.
    pub description: Description,
    /// The CHAT the service needs (DER, tag 7F4C); PACE runs with it.
    #[serde(with = "hex_bytes")]
    pub required_chat: Vec<u8>,
    /// Rights the citizen may additionally grant (DER, tag 7F4C).
    #[serde(with = "hex_bytes")]
    pub optional_chat: Vec<u8>,
}

/// The human-readable parts of a certificate description (TR-03110-4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description {
    /// Who issued the terminal certificate.
    pub issuer_name: String,
    /// The service provider.
    pub subject_name: String,
    /// The service provider's web address.
    pub subject_url: String,
    /// Terms of usage, plain text.
    pub terms_of_usage: String,
}

/// Who applies secure messaging to a batch of commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecureMessaging {
    /// Plain commands that the app wraps in its PACE secure messaging
    /// (Terminal and Chip Authentication).
    Client,
    /// Commands already protected end to end by the service (after Chip
    /// Authentication); the app forwards them unchanged and must drop its
    /// PACE session keys.
    Service,
}

impl From<g2c_eid::eac::Protection> for SecureMessaging {
    fn from(protection: g2c_eid::eac::Protection) -> Self {
        match protection {
            g2c_eid::eac::Protection::Client => Self::Client,
            g2c_eid::eac::Protection::Service => Self::Service,
        }
    }
}

impl From<SecureMessaging> for g2c_eid::eac::Protection {
    fn from(secure_messaging: SecureMessaging) -> Self {
        match secure_messaging {
            SecureMessaging::Client => Self::Client,
            SecureMessaging::Service => Self::Service,
        }
    }
}

/// One batch of commands for the card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransmitCommands {
    /// Step number, from 1; the app echoes it with the responses.
    pub step: u32,
    /// Who applies secure messaging.
    pub secure_messaging: SecureMessaging,
    /// Command APDUs, sent in order.
    #[serde(with = "hex_list")]
    pub commands: Vec<Vec<u8>>,
}

/// A failed session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct RelayError {
    /// What went wrong, machine-readable.
    pub code: RelayErrorCode,
    /// A short English explanation, safe to log (no secrets, no card data).
    pub message: String,
    /// Where the app should go next to end the OpenID Connect flow with an
    /// error at the relying party, when the session was known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_to: Option<String>,
}

/// The error codes of the relay protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelayErrorCode {
    /// The `version` is not one the service speaks.
    UnsupportedVersion,
    /// The body is not a valid message (JSON, hex, limits per field).
    Malformed,
    /// The body exceeds [`MAX_MESSAGE_BYTES`] or a batch/APDU limit.
    TooLarge,
    /// No such session: never existed, expired, finished or failed.
    UnknownSession,
    /// The message is valid but not the one expected now (order, step).
    UnexpectedMessage,
    /// More than [`MAX_TRANSMIT_STEPS`] round trips.
    TooManySteps,
    /// The session or a step timed out.
    Timeout,
    /// The card answered with an error status.
    CardError,
    /// Terminal/Chip Authentication or Restricted Identification failed.
    AuthenticationFailed,
    /// The card did not accept the service's terminal certificate chain
    /// (unknown or expired CVCA, DV or terminal certificate) or its signature.
    TerminalNotAccepted,
    /// The card's EF.CardSecurity is not signed under a CSCA the service
    /// trusts (passive authentication failed): the service refuses the card.
    CardNotTrusted,
    /// The app aborted.
    Aborted,
    /// Too many sessions are open.
    Busy,
    /// A fault in the service.
    Internal,
}

impl std::fmt::Display for RelayErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        f.write_str(&text)
    }
}

impl RelayErrorCode {
    /// The HTTP status the service answers this error with.
    pub fn http_status(self) -> u16 {
        match self {
            Self::UnsupportedVersion | Self::Malformed | Self::UnexpectedMessage => 400,
            Self::TooLarge => 413,
            Self::UnknownSession => 404,
            Self::TooManySteps
            | Self::CardError
            | Self::AuthenticationFailed
            | Self::TerminalNotAccepted
            | Self::CardNotTrusted
            | Self::Aborted => 403,
            Self::Timeout => 408,
            Self::Busy => 503,
            Self::Internal => 500,
        }
    }
}

impl ClientMessage {
    /// Wraps `body` with the current version.
    pub fn new(body: ClientBody) -> Self {
        Self {
            version: PROTOCOL_VERSION,
            body,
        }
    }

    /// Parses and checks a message against the protocol limits.
    pub fn parse(bytes: &[u8]) -> Result<Self, RelayError> {
        let message: Self = parse_versioned(bytes)?;
        message.check_limits()?;
        Ok(message)
    }

    fn check_limits(&self) -> Result<(), RelayError> {
        match &self.body {
            ClientBody::Hello => Ok(()),
            ClientBody::Start(start) => {
                let too_long = |what: &str| {
                    Err(RelayError::new(
                        RelayErrorCode::TooLarge,
                        format!("{what} too long"),
                    ))
                };
                if start.ef_card_access.len() > MAX_APDU_BYTES {
                    return too_long("ef_card_access");
                }
                if start.id_picc.is_empty() || start.id_picc.len() > 133 {
                    return Err(RelayError::new(
                        RelayErrorCode::Malformed,
                        "bad id_picc length",
                    ));
                }
                if start.cars.len() > MAX_CARS || start.cars.iter().any(|car| car.len() > 16) {
                    return too_long("cars");
                }
                if start.chat.as_ref().is_some_and(|chat| chat.len() > 64) {
                    return too_long("chat");
                }
                Ok(())
            }
            ClientBody::Transmit(batch) => check_batch(&batch.responses),
            ClientBody::Abort { reason } => {
                if reason.len() > 64 {
                    Err(RelayError::new(RelayErrorCode::TooLarge, "reason too long"))
                } else {
                    Ok(())
                }
            }
        }
    }
}

impl ServiceMessage {
    /// Wraps `body` with the current version.
    pub fn new(body: ServiceBody) -> Self {
        Self {
            version: PROTOCOL_VERSION,
            body,
        }
    }

    /// Parses and checks a service message (the app's side).
    pub fn parse(bytes: &[u8]) -> Result<Self, RelayError> {
        let message: Self = parse_versioned(bytes)?;
        if let ServiceBody::Transmit(batch) = &message.body {
            check_batch(&batch.commands)?;
        }
        Ok(message)
    }
}

/// Parses a relay message in either direction: the size limit first, then
/// the version (so a future version gets a precise error rather than
/// "malformed"), then the body.
fn parse_versioned<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, RelayError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(RelayError::new(
            RelayErrorCode::TooLarge,
            "message too large",
        ));
    }
    #[derive(Deserialize)]
    struct Versioned {
        version: u32,
    }
    let malformed = |_| RelayError::new(RelayErrorCode::Malformed, "not a relay message");
    let versioned: Versioned = serde_json::from_slice(bytes).map_err(malformed)?;
    if versioned.version != PROTOCOL_VERSION {
        return Err(RelayError::new(
            RelayErrorCode::UnsupportedVersion,
            format!(
                "version {} is not supported; this relay speaks {PROTOCOL_VERSION}",
                versioned.version
            ),
        ));
    }
    serde_json::from_slice(bytes).map_err(malformed)
}

/// Checks one batch of APDUs against the limits.
pub fn check_batch(apdus: &[Vec<u8>]) -> Result<(), RelayError> {
    if apdus.len() > MAX_APDUS_PER_BATCH {
        return Err(RelayError::new(
            RelayErrorCode::TooLarge,
            "too many APDUs in one batch",
        ));
    }
    if apdus.iter().any(|apdu| apdu.len() > MAX_APDU_BYTES) {
        return Err(RelayError::new(RelayErrorCode::TooLarge, "APDU too long"));
    }
    if apdus.iter().any(|apdu| apdu.len() < 2) {
        return Err(RelayError::new(RelayErrorCode::Malformed, "APDU too short"));
    }
    Ok(())
}

impl RelayError {
    /// An error without a redirect.
    pub fn new(code: RelayErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            redirect_to: None,
        }
    }
}

/// Hex (upper case on output, either case on input) for byte strings.
mod hex_bytes {
    use data_encoding::{HEXLOWER_PERMISSIVE, HEXUPPER};
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&HEXUPPER.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        HEXLOWER_PERMISSIVE
            .decode(text.as_bytes())
            .map_err(|_| D::Error::custom("not hex"))
    }
}

/// [`hex_bytes`] for an optional field.
mod opt_hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => super::hex_bytes::serialize(bytes, s),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapper(#[serde(with = "super::hex_bytes")] Vec<u8>);
        Ok(Option::<Wrapper>::deserialize(d)?.map(|w| w.0))
    }
}

/// [`hex_bytes`] for a list of byte strings.
mod hex_list {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Item(#[serde(with = "super::hex_bytes")] Vec<u8>);

    pub(super) fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(list.iter().map(|bytes| Item(bytes.clone())))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        Ok(Vec::<Item>::deserialize(d)?
            .into_iter()
            .map(|i| i.0)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_the_documented_shape() {
        let start = ClientMessage::new(ClientBody::Start(Start {
            ef_card_access: vec![0x31, 0x14],
            id_picc: vec![0xAB; 32],
            cars: vec!["DETESTeID00005".into()],
            chat: None,
        }));
        let json = serde_json::to_value(&start).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(json["type"], "start");
        assert_eq!(json["ef_card_access"], "3114");
        assert!(json.get("chat").is_none());

        let transmit = ServiceMessage::new(ServiceBody::Transmit(TransmitCommands {
            step: 1,
            secure_messaging: SecureMessaging::Client,
            commands: vec![vec![0x00, 0x84, 0x00, 0x00, 0x08]],
        }));
        let json = serde_json::to_value(&transmit).unwrap();
        assert_eq!(json["type"], "transmit");
        assert_eq!(json["secure_messaging"], "client");
        assert_eq!(json["commands"][0], "0084000008");

        let error = ServiceMessage::new(ServiceBody::Error(RelayError::new(
            RelayErrorCode::TooManySteps,
            "x",
        )));
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["type"], "error");
        assert_eq!(json["code"], "too_many_steps");
    }

    #[test]
    fn round_trips_through_parse() {
        let message = ClientMessage::new(ClientBody::Transmit(TransmitResponses {
            step: 3,
            responses: vec![vec![0x90, 0x00], vec![1, 2, 3, 0x90, 0x00]],
        }));
        let bytes = serde_json::to_vec(&message).unwrap();
        assert_eq!(ClientMessage::parse(&bytes).unwrap(), message);
    }

    #[test]
    fn refuses_other_versions_with_a_precise_code() {
        let err = ClientMessage::parse(br#"{"version":2,"type":"hello"}"#).unwrap_err();
        assert_eq!(err.code, RelayErrorCode::UnsupportedVersion);
        let err = ClientMessage::parse(br#"{"type":"hello"}"#).unwrap_err();
        assert_eq!(err.code, RelayErrorCode::Malformed);
        // The app's side too, also when the future version's body is one
        // this version cannot read.
        let err = ServiceMessage::parse(br#"{"version":2,"type":"eac9"}"#).unwrap_err();
        assert_eq!(err.code, RelayErrorCode::UnsupportedVersion);
    }

    #[test]
    fn refuses_bad_hex_and_unknown_types() {
        let err = ClientMessage::parse(
            br#"{"version":1,"type":"transmit","step":1,"responses":["9G00"]}"#,
        )
        .unwrap_err();
        assert_eq!(err.code, RelayErrorCode::Malformed);
        let err = ClientMessage::parse(br#"{"version":1,"type":"eac1"}"#).unwrap_err();
        assert_eq!(err.code, RelayErrorCode::Malformed);
    }

    #[test]
    fn enforces_size_limits() {
        let big = vec![b' '; MAX_MESSAGE_BYTES + 1];
        assert_eq!(
            ClientMessage::parse(&big).unwrap_err().code,
            RelayErrorCode::TooLarge
        );

        let many = ClientMessage::new(ClientBody::Transmit(TransmitResponses {
            step: 1,
            responses: vec![vec![0x90, 0x00]; MAX_APDUS_PER_BATCH + 1],
        }));
        let bytes = serde_json::to_vec(&many).unwrap();
        assert_eq!(
            ClientMessage::parse(&bytes).unwrap_err().code,
            RelayErrorCode::TooLarge
        );

        let long = ClientMessage::new(ClientBody::Transmit(TransmitResponses {
            step: 1,
            responses: vec![vec![0; MAX_APDU_BYTES + 1]],
        }));
        let bytes = serde_json::to_vec(&long).unwrap();
        assert_eq!(
            ClientMessage::parse(&bytes).unwrap_err().code,
            RelayErrorCode::TooLarge
        );

        let commands = ServiceMessage::new(ServiceBody::Transmit(TransmitCommands {
            step: 1,
            secure_messaging: SecureMessaging::Service,
            commands: vec![vec![0; 4]; MAX_APDUS_PER_BATCH + 1],
        }));
        let bytes = serde_json::to_vec(&commands).unwrap();
        assert_eq!(
            ServiceMessage::parse(&bytes).unwrap_err().code,
            RelayErrorCode::TooLarge
        );
    }
}
