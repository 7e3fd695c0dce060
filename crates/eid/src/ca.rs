//! Chip Authentication version 2, terminal (eID service) side (BSI TR-03110-2 3.4,
//! -3 B.11.1–B.11.2).
//!
//! The card proves it holds the private key behind the Chip Authentication
//! public key of EF.CardSecurity (signed by a document signer, see
//! [`crate::card_security`]), and both sides agree on new secure-messaging
//! keys that the citizen's client does not know:
//!
//! 1. MSE:Set AT (`00 22 41 A4`: `80` CA OID, `84` key id if the card has several);
//! 2. GENERAL AUTHENTICATE (`00 86 00 00`, `7C { 80 PK_PCD }`) → `7C { 81 r, 82 T_PICC }`;
//! 3. K = x(SK_PCD · PK_PICC), K_enc = KDF(K || r, 1), K_mac = KDF(K || r, 2),
//!    T_PICC = CMAC(K_mac, 7F49 { 06 CA OID, 86 PK_PCD }) truncated to 8 bytes.
//!
//! PK_PCD is the ephemeral key whose compression TA already sent (91), so the
//! service creates it with [`EphemeralKey::generate`] before TA.
//! [`ChipAuthentication`] is sans-I/O like [`crate::ta`]; its commands go
//! through the PACE channel, and [`CaOutcome::keys`] start a fresh
//! [`crate::sm::SecureMessaging`] (SSC 0) end-to-end between service and card.

use std::fmt;

use der::asn1::ObjectIdentifier;
use subtle::ConstantTimeEq;
use thiserror::Error;
use tracing::debug;
use zeroize::Zeroizing;

use crate::apdu::{ApduError, CommandApdu, ResponseApdu, StatusWord};
use crate::crypto::{CryptoError, KeySize};
use crate::ec::{self, EcError};
use crate::pace::{Curve, auth_token};
use crate::sm::SessionKeys;
use crate::tlv::{self, Tlv, TlvError};

/// id-CA-ECDH: 0.4.0.127.0.7.2.2.3.2 (the cipher is the next arc).
pub const ID_CA_ECDH: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.2");
/// id-CA-ECDH-AES-CBC-CMAC-128.
pub const ID_CA_ECDH_AES_CBC_CMAC_128: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.2.2");

/// The key size of an id-CA-ECDH-AES-CBC-CMAC-* protocol.
pub fn ca_key_size(protocol: &ObjectIdentifier) -> Option<KeySize> {
    let arcs: Vec<u32> = protocol.arcs().collect();
    let base: Vec<u32> = ID_CA_ECDH.arcs().collect();
    match arcs.split_last() {
        Some((2, p)) if p == base.as_slice() => Some(KeySize::Aes128),
        Some((3, p)) if p == base.as_slice() => Some(KeySize::Aes192),
        Some((4, p)) if p == base.as_slice() => Some(KeySize::Aes256),
        _ => None,
    }
}

/// The terminal's ephemeral CA key pair (secret wiped on drop).
pub struct EphemeralKey {
    curve: Curve,
    secret: Zeroizing<Vec<u8>>,
    public: Vec<u8>,
}

impl fmt::Debug for EphemeralKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EphemeralKey")
            .field("curve", &self.curve)
            .finish_non_exhaustive()
    }
}

impl EphemeralKey {
    /// A fresh key pair on the card's CA curve.
    pub fn generate(curve: Curve) -> Result<Self, EcError> {
        let secret = ec::generate_secret(curve)?;
        let public = ec::public_key(curve, &secret)?;
        Ok(Self {
            curve,
            secret,
            public,
        })
    }

    /// The uncompressed public key (PK_PCD).
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// The curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }
}

/// The card's Chip Authentication parameters (from EF.CardAccess and EF.CardSecurity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaParameters {
    /// The protocol, e.g. id-CA-ECDH-AES-CBC-CMAC-128.
    pub protocol: ObjectIdentifier,
    /// The AES key size of the protocol.
    pub key_size: KeySize,
    /// The curve of the card's static key.
    pub curve: Curve,
    /// The card's static public key (PK_PICC) from EF.CardSecurity.
    pub card_public_key: Vec<u8>,
    /// The key id, sent as 84 if present.
    pub key_id: Option<u32>,
}

/// Why Chip Authentication failed.
#[derive(Debug, Error)]
pub enum CaError {
    /// The protocol is not id-CA-ECDH-AES-*.
    #[error("unsupported chip authentication protocol {0}")]
    Unsupported(String),
    /// The card refused a step.
    #[error("the card refused {step}: {sw}")]
    Card {
        /// The step.
        step: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// The response lacks 81/82 or is malformed.
    #[error("malformed chip authentication response: {0}")]
    Malformed(#[from] TlvError),
    /// The card's token does not verify: it does not hold the static private key.
    #[error("the card's chip authentication token is invalid")]
    TokenInvalid,
    /// The ephemeral key is on another curve than the card's key.
    #[error("the ephemeral key is not on the card's curve")]
    CurveMismatch,
    /// An elliptic-curve error (invalid card key).
    #[error("elliptic-curve error: {0}")]
    Ec(#[from] EcError),
    /// A cryptographic length error.
    #[error("cryptographic error: {0}")]
    Crypto(#[from] CryptoError),
    /// Building an APDU failed.
    #[error("APDU error: {0}")]
    Apdu(#[from] ApduError),
    /// The state machine was driven out of order.
    #[error("chip authentication driven out of order")]
    OutOfOrder,
}

/// What to do after a response.
#[derive(Debug)]
pub enum CaStep {
    /// Send this command (through the PACE channel) and feed the response back.
    Send(CommandApdu),
    /// The card is authentic; new session keys.
    Done(CaOutcome),
}

/// The result of CA.
#[derive(Debug)]
pub struct CaOutcome {
    /// The new secure-messaging keys shared only by service and card.
    pub keys: SessionKeys,
}

enum State {
    Init,
    MseSent,
    GaSent,
    Finished,
}

/// The CA state machine (service side, sans I/O).
pub struct ChipAuthentication {
    params: CaParameters,
    key: EphemeralKey,
    state: State,
}

impl fmt::Debug for ChipAuthentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChipAuthentication")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// Derives the CA session keys: `KDF(K || r, c)`.
pub(crate) fn derive_keys(shared: &[u8], nonce: &[u8], size: KeySize) -> SessionKeys {
    let mut secret = Zeroizing::new(shared.to_vec());
    secret.extend_from_slice(nonce);
    SessionKeys::derive(&secret, size)
}

impl ChipAuthentication {
    /// A CA run with the ephemeral key whose compression TA sent.
    pub fn new(params: CaParameters, key: EphemeralKey) -> Result<Self, CaError> {
        if ca_key_size(&params.protocol) != Some(params.key_size) {
            return Err(CaError::Unsupported(params.protocol.to_string()));
        }
        if key.curve != params.curve {
            return Err(CaError::CurveMismatch);
        }
        ec::validate_point(params.curve, &params.card_public_key)?;
        Ok(Self {
            params,
            key,
            state: State::Init,
        })
    }

    /// The first command: MSE:Set AT.
    pub fn start(&mut self) -> Result<CommandApdu, CaError> {
        if !matches!(self.state, State::Init) {
            return Err(CaError::OutOfOrder);
        }
        let mut data = tlv::encode(0x80, self.params.protocol.as_bytes());
        if let Some(id) = self.params.key_id {
            data.extend(tlv::encode(0x84, &minimal_be(id)));
        }
        debug!(protocol = %self.params.protocol, "CA: MSE:Set AT");
        self.state = State::MseSent;
        Ok(CommandApdu::new(0x00, 0x22, 0x41, 0xA4).with_data(data)?)
    }

    /// MSE:Set AT and GENERAL AUTHENTICATE for one relay batch.
    pub fn start_batch(&mut self) -> Result<Vec<CommandApdu>, CaError> {
        let mse = self.start()?;
        match self.on_response(&ResponseApdu::new(Vec::new(), StatusWord::SUCCESS))? {
            CaStep::Send(ga) => Ok(vec![mse, ga]),
            CaStep::Done(_) => Err(CaError::OutOfOrder),
        }
    }

    /// The two responses to [`ChipAuthentication::start_batch`].
    pub fn on_batch(&mut self, responses: &[ResponseApdu]) -> Result<CaOutcome, CaError> {
        let [mse, ga] = responses else {
            self.state = State::Finished;
            return Err(match responses.first() {
                Some(r) if !r.sw().is_success() => CaError::Card {
                    step: "MSE:Set AT (CA)",
                    sw: r.sw(),
                },
                _ => CaError::OutOfOrder,
            });
        };
        if !mse.sw().is_success() {
            self.state = State::Finished;
            return Err(CaError::Card {
                step: "MSE:Set AT (CA)",
                sw: mse.sw(),
            });
        }
        match self.on_response(ga)? {
            CaStep::Done(o) => Ok(o),
            CaStep::Send(_) => Err(CaError::OutOfOrder),
        }
    }

    /// Consumes the response to the last command.
    pub fn on_response(&mut self, resp: &ResponseApdu) -> Result<CaStep, CaError> {
        let state = std::mem::replace(&mut self.state, State::Finished);
        let sw = resp.sw();
        match state {
            State::MseSent => {
                if !sw.is_success() {
                    return Err(CaError::Card {
                        step: "MSE:Set AT (CA)",
                        sw,
                    });
                }
                self.state = State::GaSent;
                let cmd = CommandApdu::new(0x00, 0x86, 0x00, 0x00)
                    .with_data(tlv::encode(0x7C, &tlv::encode(0x80, &self.key.public)))?
                    .with_le(256)?;
                Ok(CaStep::Send(cmd))
            }
            State::GaSent => {
                if !sw.is_success() {
                    return Err(CaError::Card {
                        step: "GENERAL AUTHENTICATE (CA)",
                        sw,
                    });
                }
                let (outer, rest) = Tlv::parse(resp.data())?;
                if outer.tag != tlv::Tag(0x7C) || !rest.is_empty() {
                    return Err(TlvError::Missing(0x7C).into());
                }
                let objs = outer.children()?;
                let nonce = tlv::require(&objs, 0x81)?.value;
                let token = tlv::require(&objs, 0x82)?.value;
                let shared = ec::ecdh(
                    self.params.curve,
                    &self.key.secret,
                    &self.params.card_public_key,
                )?;
                let keys = derive_keys(&shared, nonce, self.params.key_size);
                let expected = auth_token(keys.mac(), &self.params.protocol, &self.key.public)?;
                if !bool::from(expected.as_slice().ct_eq(token)) {
                    return Err(CaError::TokenInvalid);
                }
                debug!("CA: chip authenticated, new session keys");
                Ok(CaStep::Done(CaOutcome { keys }))
            }
            State::Init | State::Finished => Err(CaError::OutOfOrder),
        }
    }
}

/// The minimal big-endian encoding of a key id.
pub(crate) fn minimal_be(v: u32) -> Vec<u8> {
    let b = v.to_be_bytes();
    let skip = b.iter().take_while(|x| **x == 0).count().min(3);
    b.get(skip..).unwrap_or_default().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (CaParameters, Zeroizing<Vec<u8>>) {
        let card_sk = ec::generate_secret(Curve::BrainpoolP256r1).unwrap();
        let params = CaParameters {
            protocol: ID_CA_ECDH_AES_CBC_CMAC_128,
            key_size: KeySize::Aes128,
            curve: Curve::BrainpoolP256r1,
            card_public_key: ec::public_key(Curve::BrainpoolP256r1, &card_sk).unwrap(),
            key_id: Some(0x41),
        };
        (params, card_sk)
    }

    fn card_reply(card_sk: &[u8], pk_pcd: &[u8], nonce: &[u8], bad: bool) -> ResponseApdu {
        let shared = ec::ecdh(Curve::BrainpoolP256r1, card_sk, pk_pcd).unwrap();
        let keys = derive_keys(&shared, nonce, KeySize::Aes128);
        let mut token = auth_token(keys.mac(), &ID_CA_ECDH_AES_CBC_CMAC_128, pk_pcd).unwrap();
        if bad {
            token[0] ^= 1;
        }
        let mut inner = tlv::encode(0x81, nonce);
        inner.extend(tlv::encode(0x82, &token));
        ResponseApdu::new(tlv::encode(0x7C, &inner), StatusWord::SUCCESS)
    }

    #[test]
    fn commands_keys_and_token() {
        let (params, card_sk) = setup();
        let key = EphemeralKey::generate(Curve::BrainpoolP256r1).unwrap();
        let pk = key.public_key().to_vec();
        let mut ca = ChipAuthentication::new(params, key).unwrap();
        let mse = ca.start().unwrap();
        let mut expected = vec![0x00, 0x22, 0x41, 0xA4, 0x0F, 0x80, 0x0A];
        expected.extend(ID_CA_ECDH_AES_CBC_CMAC_128.as_bytes());
        expected.extend([0x84, 0x01, 0x41]);
        assert_eq!(mse.to_bytes(), expected);
        let CaStep::Send(ga) = ca
            .on_response(&ResponseApdu::new(vec![], StatusWord::SUCCESS))
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(ga.data(), tlv::encode(0x7C, &tlv::encode(0x80, &pk)));
        let nonce = [9u8; 8];
        let CaStep::Done(out) = ca
            .on_response(&card_reply(&card_sk, &pk, &nonce, false))
            .unwrap()
        else {
            panic!()
        };
        // The card derives the same keys.
        let shared = ec::ecdh(Curve::BrainpoolP256r1, &card_sk, &pk).unwrap();
        let card_keys = derive_keys(&shared, &nonce, KeySize::Aes128);
        assert_eq!(out.keys.enc(), card_keys.enc());
        assert_eq!(out.keys.mac(), card_keys.mac());
        // And they differ from keys without the nonce.
        assert_ne!(
            out.keys.enc(),
            SessionKeys::derive(&shared, KeySize::Aes128).enc()
        );
    }

    #[test]
    fn wrong_token_wrong_key_and_errors() {
        let (params, card_sk) = setup();
        let run = |params: CaParameters, sk: &[u8], bad: bool| {
            let key = EphemeralKey::generate(Curve::BrainpoolP256r1).unwrap();
            let pk = key.public_key().to_vec();
            let mut ca = ChipAuthentication::new(params, key).unwrap();
            ca.start().unwrap();
            ca.on_response(&ResponseApdu::new(vec![], StatusWord::SUCCESS))
                .unwrap();
            ca.on_response(&card_reply(sk, &pk, &[1; 8], bad))
        };
        assert!(matches!(
            run(params.clone(), &card_sk, true),
            Err(CaError::TokenInvalid)
        ));
        // A card without the private key behind EF.CardSecurity's public key.
        let impostor = ec::generate_secret(Curve::BrainpoolP256r1).unwrap();
        assert!(matches!(
            run(params.clone(), &impostor, false),
            Err(CaError::TokenInvalid)
        ));
        let key = EphemeralKey::generate(Curve::NistP256).unwrap();
        assert!(matches!(
            ChipAuthentication::new(params.clone(), key),
            Err(CaError::CurveMismatch)
        ));
        let mut p = params.clone();
        p.protocol = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.2.1");
        let key = EphemeralKey::generate(Curve::BrainpoolP256r1).unwrap();
        assert!(matches!(
            ChipAuthentication::new(p, key),
            Err(CaError::Unsupported(_))
        ));
        let key = EphemeralKey::generate(Curve::BrainpoolP256r1).unwrap();
        let mut ca = ChipAuthentication::new(params, key).unwrap();
        ca.start().unwrap();
        ca.on_response(&ResponseApdu::new(vec![], StatusWord::SUCCESS))
            .unwrap();
        assert!(matches!(
            ca.on_response(&ResponseApdu::new(
                vec![0x7C, 0x02, 0x81, 0x00],
                StatusWord::SUCCESS
            )),
            Err(CaError::Malformed(_))
        ));
        assert!(format!("{:?}", EphemeralKey::generate(Curve::NistP256).unwrap()).contains(".."));
    }
}
