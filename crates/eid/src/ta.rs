//! Terminal Authentication version 2, terminal (eID service) side (BSI TR-03110-2 3.3,
//! -3 B.11.4–B.11.6).
//!
//! The service proves to the card that it holds the private key of a
//! terminal certificate chained to the card's CVCA:
//!
//! 1. per certificate (link CVCA, DV, terminal): MSE:Set DST (`00 22 81 B6`,
//!    `83` CAR) and PSO:Verify Certificate (`00 2A 00 BE`, body || signature);
//! 2. MSE:Set AT (`00 22 81 A4`: `80` TA OID, `83` terminal CHR, `67`
//!    auxiliary data, `91` Comp(ephemeral CA public key));
//! 3. GET CHALLENGE (`00 84 00 00 08`) → r_PICC;
//! 4. EXTERNAL AUTHENTICATE (`00 82 00 00`) with the ECDSA signature over
//!    `ID_PICC || r_PICC || Comp(PK_PCD) || auxiliary data`, where ID_PICC =
//!    Comp(the card's ephemeral PACE key).
//!
//! [`TerminalAuthentication`] is a sans-I/O state machine: it emits plain
//! command APDUs and consumes the plain responses, so it runs in the eID
//! service while the citizen's client wraps the APDUs in its PACE secure
//! channel ([`crate::relay`]). The client tells the service what PACE
//! produced as a [`PaceSessionInfo`].

use std::collections::VecDeque;
use std::fmt;

use der::asn1::ObjectIdentifier;
use thiserror::Error;
use tracing::debug;
use zeroize::Zeroizing;

use crate::apdu::{ApduError, CommandApdu, ResponseApdu, StatusWord};
use crate::cvc::{CertificateReference, CvCertificate, HashAlgorithm};
use crate::ec::{self, EcError};
use crate::pace::Curve;
use crate::tlv;

/// id-DateOfBirth: auxiliary data for age verification.
pub const ID_DATE_OF_BIRTH: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.3.1.4.1");
/// id-DateOfExpiry: auxiliary data for document validity verification.
pub const ID_DATE_OF_EXPIRY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.3.1.4.2");
/// id-CommunityID: auxiliary data for community ID verification.
pub const ID_COMMUNITY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.3.1.4.3");

/// What the client learned in PACE and the service needs for TA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceSessionInfo {
    /// ID_PICC: Comp(the card's ephemeral PACE public key), its x-coordinate.
    pub id_picc: Vec<u8>,
    /// The most recent CVCA the card trusts (87 from PACE step 4), if sent.
    pub car: Option<CertificateReference>,
    /// The previous CVCA the card trusts (88), if sent.
    pub previous_car: Option<CertificateReference>,
}

/// The terminal's private key, wiped on drop and never printed.
pub struct TerminalKey {
    curve: Curve,
    hash: HashAlgorithm,
    algorithm: ObjectIdentifier,
    secret: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for TerminalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TerminalKey")
            .field("curve", &self.curve)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl TerminalKey {
    /// A key from its scalar (big-endian), for the algorithm of the terminal certificate.
    pub fn new(curve: Curve, algorithm: ObjectIdentifier, secret: &[u8]) -> Result<Self, TaError> {
        let hash = HashAlgorithm::from_ta_oid(&algorithm)
            .map_err(|_| TaError::Algorithm(algorithm.to_string()))?;
        ec::public_key(curve, secret)?;
        Ok(Self {
            curve,
            hash,
            algorithm,
            secret: Zeroizing::new(secret.to_vec()),
        })
    }

    /// The uncompressed public point.
    pub fn public_key(&self) -> Result<Vec<u8>, EcError> {
        ec::public_key(self.curve, &self.secret)
    }

    /// The curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// Signs `message` (hashing it with the algorithm's hash): plain `r || s`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, EcError> {
        ec::sign_prehash(self.curve, &self.secret, &self.hash.digest(message))
    }
}

/// Auxiliary data for TA (67): what the service will ask the card to compare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuxiliaryData {
    /// Age verification: born on or before this date (`YYYYMMDD`).
    pub born_before: Option<[u8; 8]>,
    /// Document validity: valid on this date (`YYYYMMDD`).
    pub valid_on: Option<[u8; 8]>,
    /// Community ID verification: the community ID prefix.
    pub community_id: Option<Vec<u8>>,
}

impl AuxiliaryData {
    /// The encoded data object 67 (empty if nothing is set).
    pub fn to_tlv(&self) -> Option<Vec<u8>> {
        let template = |oid: ObjectIdentifier, v: &[u8]| {
            let mut t = tlv::encode(0x06, oid.as_bytes());
            t.extend(tlv::encode(0x53, v));
            tlv::encode(0x73, &t)
        };
        let mut inner = Vec::new();
        if let Some(d) = &self.born_before {
            inner.extend(template(ID_DATE_OF_BIRTH, d));
        }
        if let Some(d) = &self.valid_on {
            inner.extend(template(ID_DATE_OF_EXPIRY, d));
        }
        if let Some(c) = &self.community_id {
            inner.extend(template(ID_COMMUNITY_ID, c));
        }
        (!inner.is_empty()).then(|| tlv::encode(0x67, &inner))
    }
}

/// Why Terminal Authentication failed.
#[derive(Debug, Error)]
pub enum TaError {
    /// The chain does not start at a CVCA the card named in PACE.
    #[error("no certificate in the chain is issued by the card's CVCA {0:?}")]
    NoMatchingCvca(Vec<CertificateReference>),
    /// The chain is empty.
    #[error("the certificate chain is empty")]
    EmptyChain,
    /// The terminal key's algorithm is not id-TA-ECDSA-SHA-*.
    #[error("unsupported terminal key algorithm {0}")]
    Algorithm(String),
    /// The card refused a step.
    #[error("the card refused {step}: {sw}")]
    Card {
        /// The step.
        step: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// The challenge is not 8 bytes.
    #[error("the card's challenge is malformed")]
    BadChallenge,
    /// An elliptic-curve error (bad ephemeral key, signing failure).
    #[error("elliptic-curve error: {0}")]
    Ec(#[from] EcError),
    /// Building an APDU failed.
    #[error("APDU error: {0}")]
    Apdu(#[from] ApduError),
    /// The state machine was driven out of order.
    #[error("terminal authentication driven out of order")]
    OutOfOrder,
}

enum State {
    Init,
    SetDst(Box<CvCertificate>),
    Verify,
    SetAt,
    Challenge,
    ExternalAuthenticate,
    Finished,
}

/// What to do after a response.
#[derive(Debug)]
pub enum TaStep {
    /// Send this command (through the PACE channel) and feed the response back.
    Send(CommandApdu),
    /// The card accepted the terminal.
    Done(TaOutcome),
}

/// The result of TA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaOutcome {
    /// The terminal certificate's holder reference.
    pub terminal: CertificateReference,
    /// The certificates sent to the card, by CHR.
    pub sent: Vec<CertificateReference>,
}

/// The TA state machine (service side, sans I/O).
pub struct TerminalAuthentication {
    pending: VecDeque<CvCertificate>,
    terminal: CvCertificate,
    key: TerminalKey,
    aux: Option<Vec<u8>>,
    comp_ephemeral: Vec<u8>,
    id_picc: Vec<u8>,
    sent: Vec<CertificateReference>,
    /// How many commands [`TerminalAuthentication::start_batch`] gave.
    batch_len: usize,
    state: State,
}

impl fmt::Debug for TerminalAuthentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TerminalAuthentication")
            .field("terminal", self.terminal.chr())
            .finish_non_exhaustive()
    }
}

/// The part of `chain` the card needs: from the first certificate issued by a CVCA it names.
/// Without CAR hints the whole chain is sent.
pub fn chain_for_card(
    chain: &[CvCertificate],
    pace: &PaceSessionInfo,
) -> Result<Vec<CvCertificate>, TaError> {
    let hints: Vec<CertificateReference> = pace
        .car
        .iter()
        .chain(pace.previous_car.iter())
        .cloned()
        .collect();
    if chain.is_empty() {
        return Err(TaError::EmptyChain);
    }
    if hints.is_empty() {
        return Ok(chain.to_vec());
    }
    for hint in &hints {
        if let Some(i) = chain.iter().position(|c| c.car() == hint) {
            return Ok(chain.get(i..).unwrap_or_default().to_vec());
        }
    }
    Err(TaError::NoMatchingCvca(hints))
}

impl TerminalAuthentication {
    /// A TA run sending `chain` (link CVCA certificates, DV, terminal; trimmed with
    /// [`chain_for_card`]) and proving possession of `key`.
    /// `ca_ephemeral_key` is the service's ephemeral CA public key on `ca_curve`
    /// (see [`crate::ca::EphemeralKey`]), `aux` the auxiliary data, if any.
    pub fn new(
        chain: &[CvCertificate],
        key: TerminalKey,
        pace: &PaceSessionInfo,
        ca_curve: Curve,
        ca_ephemeral_key: &[u8],
        aux: Option<&AuxiliaryData>,
    ) -> Result<Self, TaError> {
        let to_send = chain_for_card(chain, pace)?;
        let terminal = to_send.last().cloned().ok_or(TaError::EmptyChain)?;
        Ok(Self {
            pending: to_send.into(),
            terminal,
            key,
            aux: aux.and_then(AuxiliaryData::to_tlv),
            comp_ephemeral: ec::compress(ca_curve, ca_ephemeral_key)?,
            id_picc: pace.id_picc.clone(),
            sent: Vec::new(),
            batch_len: 0,
            state: State::Init,
        })
    }

    /// The first command.
    pub fn start(&mut self) -> Result<CommandApdu, TaError> {
        if !matches!(self.state, State::Init) {
            return Err(TaError::OutOfOrder);
        }
        self.next_certificate()
    }

    fn next_certificate(&mut self) -> Result<CommandApdu, TaError> {
        match self.pending.pop_front() {
            Some(cert) => {
                debug!(car = %cert.car(), chr = %cert.chr(), "TA: MSE:Set DST");
                let cmd = CommandApdu::new(0x00, 0x22, 0x81, 0xB6)
                    .with_data(tlv::encode(0x83, cert.car().as_bytes()))?;
                self.state = State::SetDst(Box::new(cert));
                Ok(cmd)
            }
            None => {
                debug!(chr = %self.terminal.chr(), "TA: MSE:Set AT");
                let mut data = tlv::encode(0x80, self.key.algorithm.as_bytes());
                data.extend(tlv::encode(0x83, self.terminal.chr().as_bytes()));
                if let Some(aux) = &self.aux {
                    data.extend_from_slice(aux);
                }
                data.extend(tlv::encode(0x91, &self.comp_ephemeral));
                self.state = State::SetAt;
                Ok(CommandApdu::new(0x00, 0x22, 0x81, 0xA4).with_data(data)?)
            }
        }
    }

    /// All commands up to and including GET CHALLENGE, for one relay batch: none of
    /// them depends on an earlier response's data. Feed the responses to
    /// [`TerminalAuthentication::on_batch`].
    pub fn start_batch(&mut self) -> Result<Vec<CommandApdu>, TaError> {
        let ok = ResponseApdu::new(Vec::new(), StatusWord::SUCCESS);
        let mut cmds = vec![self.start()?];
        while !matches!(self.state, State::Challenge) {
            match self.on_response(&ok)? {
                TaStep::Send(c) => cmds.push(c),
                TaStep::Done(_) => return Err(TaError::OutOfOrder),
            }
        }
        self.batch_len = cmds.len();
        Ok(cmds)
    }

    /// The responses to [`TerminalAuthentication::start_batch`]'s commands; gives
    /// EXTERNAL AUTHENTICATE, whose response goes to [`TerminalAuthentication::on_response`].
    ///
    /// The client stops a batch at the first refused command, so fewer
    /// responses than commands mean the last one is that refusal (of a
    /// certificate or of MSE:Set AT), not GET CHALLENGE's answer.
    pub fn on_batch(&mut self, responses: &[ResponseApdu]) -> Result<CommandApdu, TaError> {
        if let Some((i, bad)) = responses
            .iter()
            .enumerate()
            .find(|(_, r)| !r.sw().is_success())
            .filter(|(i, _)| i + 1 < self.batch_len)
        {
            self.state = State::Finished;
            return Err(TaError::Card {
                // The batch is [Set DST, PSO:Verify]*, Set AT, GET CHALLENGE.
                step: if i + 2 == self.batch_len {
                    "MSE:Set AT (TA)"
                } else {
                    "certificate verification"
                },
                sw: bad.sw(),
            });
        }
        if responses.len() != self.batch_len {
            self.state = State::Finished;
            return Err(TaError::OutOfOrder);
        }
        let challenge = responses.last().ok_or(TaError::OutOfOrder)?;
        match self.on_response(challenge)? {
            TaStep::Send(c) => Ok(c),
            TaStep::Done(_) => Err(TaError::OutOfOrder),
        }
    }

    /// Consumes the response to the last command; gives the next command or the outcome.
    pub fn on_response(&mut self, resp: &ResponseApdu) -> Result<TaStep, TaError> {
        let state = std::mem::replace(&mut self.state, State::Finished);
        let sw = resp.sw();
        let check = |step: &'static str| {
            if sw.is_success() {
                Ok(())
            } else {
                Err(TaError::Card { step, sw })
            }
        };
        match state {
            State::SetDst(cert) => {
                check("MSE:Set DST")?;
                self.sent.push(cert.chr().clone());
                self.state = State::Verify;
                Ok(TaStep::Send(
                    CommandApdu::new(0x00, 0x2A, 0x00, 0xBE)
                        .with_data(cert.verify_certificate_data())?,
                ))
            }
            State::Verify => {
                check("PSO:Verify Certificate")?;
                Ok(TaStep::Send(self.next_certificate()?))
            }
            State::SetAt => {
                check("MSE:Set AT (TA)")?;
                self.state = State::Challenge;
                Ok(TaStep::Send(
                    CommandApdu::new(0x00, 0x84, 0x00, 0x00).with_le(8)?,
                ))
            }
            State::Challenge => {
                check("GET CHALLENGE")?;
                let r = resp.data();
                if r.len() != 8 {
                    return Err(TaError::BadChallenge);
                }
                let mut message = self.id_picc.clone();
                message.extend_from_slice(r);
                message.extend_from_slice(&self.comp_ephemeral);
                if let Some(aux) = &self.aux {
                    message.extend_from_slice(aux);
                }
                let signature = self.key.sign(&message)?;
                debug!("TA: EXTERNAL AUTHENTICATE");
                self.state = State::ExternalAuthenticate;
                Ok(TaStep::Send(
                    CommandApdu::new(0x00, 0x82, 0x00, 0x00).with_data(signature)?,
                ))
            }
            State::ExternalAuthenticate => {
                check("EXTERNAL AUTHENTICATE")?;
                debug!("TA: terminal authenticated");
                Ok(TaStep::Done(TaOutcome {
                    terminal: self.terminal.chr().clone(),
                    sent: std::mem::take(&mut self.sent),
                }))
            }
            State::Init | State::Finished => Err(TaError::OutOfOrder),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pki::TestPki;

    fn pace_info(car: Option<&CertificateReference>) -> PaceSessionInfo {
        let sk = ec::generate_secret(Curve::BrainpoolP256r1).unwrap();
        let pk = ec::public_key(Curve::BrainpoolP256r1, &sk).unwrap();
        PaceSessionInfo {
            id_picc: ec::compress(Curve::BrainpoolP256r1, &pk).unwrap(),
            car: car.cloned(),
            previous_car: None,
        }
    }

    fn ok(data: &[u8]) -> ResponseApdu {
        ResponseApdu::new(data.to_vec(), StatusWord::SUCCESS)
    }

    #[test]
    fn command_sequence_and_signature() {
        let pki = TestPki::generate(Curve::BrainpoolP256r1);
        let pace = pace_info(Some(pki.cvca.chr()));
        let eph_sk = ec::generate_secret(Curve::BrainpoolP256r1).unwrap();
        let eph = ec::public_key(Curve::BrainpoolP256r1, &eph_sk).unwrap();
        let aux = AuxiliaryData {
            born_before: Some(*b"20080601"),
            ..Default::default()
        };
        let mut ta = TerminalAuthentication::new(
            &pki.chain(),
            pki.terminal_key(),
            &pace,
            Curve::BrainpoolP256r1,
            &eph,
            Some(&aux),
        )
        .unwrap();
        let c = ta.start().unwrap();
        assert_eq!(&c.to_bytes()[..4], &[0x00, 0x22, 0x81, 0xB6]);
        assert_eq!(c.data(), tlv::encode(0x83, pki.cvca.chr().as_bytes()));
        let TaStep::Send(c) = ta.on_response(&ok(&[])).unwrap() else {
            panic!()
        };
        assert_eq!(&c.to_bytes()[..4], &[0x00, 0x2A, 0x00, 0xBE]);
        assert_eq!(c.data(), pki.dv.verify_certificate_data());
        let TaStep::Send(c) = ta.on_response(&ok(&[])).unwrap() else {
            panic!()
        };
        assert_eq!(c.data(), tlv::encode(0x83, pki.dv.chr().as_bytes()));
        let TaStep::Send(c) = ta.on_response(&ok(&[])).unwrap() else {
            panic!()
        };
        assert!(c.is_extended() || c.data().len() <= 255);
        let TaStep::Send(c) = ta.on_response(&ok(&[])).unwrap() else {
            panic!()
        };
        assert_eq!(&c.to_bytes()[..4], &[0x00, 0x22, 0x81, 0xA4]);
        let objs = tlv::parse_all(c.data()).unwrap();
        let comp = ec::compress(Curve::BrainpoolP256r1, &eph).unwrap();
        assert_eq!(tlv::require(&objs, 0x91).unwrap().value, comp.as_slice());
        assert_eq!(
            tlv::require(&objs, 0x83).unwrap().value,
            pki.terminal.chr().as_bytes()
        );
        let aux_tlv = tlv::require(&objs, 0x67).unwrap().raw.to_vec();
        let TaStep::Send(c) = ta.on_response(&ok(&[])).unwrap() else {
            panic!()
        };
        assert_eq!(c.to_bytes(), vec![0x00, 0x84, 0x00, 0x00, 0x08]);
        let r = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let TaStep::Send(c) = ta.on_response(&ok(&r)).unwrap() else {
            panic!()
        };
        assert_eq!(&c.to_bytes()[..4], &[0x00, 0x82, 0x00, 0x00]);
        // The signature verifies over ID_PICC || r || Comp(eph) || aux with the terminal key.
        let mut msg = pace.id_picc.clone();
        msg.extend(r);
        msg.extend(&comp);
        msg.extend(&aux_tlv);
        pki.terminal
            .body
            .public_key
            .verify(Curve::BrainpoolP256r1, &msg, c.data())
            .unwrap();
        let TaStep::Done(out) = ta.on_response(&ok(&[])).unwrap() else {
            panic!()
        };
        assert_eq!(
            out.sent,
            vec![pki.dv.chr().clone(), pki.terminal.chr().clone()]
        );
        assert!(matches!(ta.on_response(&ok(&[])), Err(TaError::OutOfOrder)));
    }

    #[test]
    fn chain_trimming_and_errors() {
        let pki = TestPki::generate(Curve::BrainpoolP256r1);
        // The card names the DV's CAR (the CVCA): the full chain.
        assert_eq!(
            chain_for_card(&pki.chain(), &pace_info(Some(pki.cvca.chr()))).unwrap(),
            pki.chain()
        );
        // The card names an unknown CVCA.
        let unknown = CertificateReference::new(b"DEXXCVCA00009").unwrap();
        assert!(matches!(
            chain_for_card(&pki.chain(), &pace_info(Some(&unknown))),
            Err(TaError::NoMatchingCvca(_))
        ));
        assert!(matches!(
            chain_for_card(&[], &pace_info(None)),
            Err(TaError::EmptyChain)
        ));
        let eph = ec::public_key(
            Curve::BrainpoolP256r1,
            &ec::generate_secret(Curve::BrainpoolP256r1).unwrap(),
        )
        .unwrap();
        let mut ta = TerminalAuthentication::new(
            &pki.chain(),
            pki.terminal_key(),
            &pace_info(None),
            Curve::BrainpoolP256r1,
            &eph,
            None,
        )
        .unwrap();
        ta.start().unwrap();
        let err = ta
            .on_response(&ResponseApdu::new(vec![], StatusWord(0x6A88)))
            .unwrap_err();
        assert!(matches!(
            err,
            TaError::Card {
                step: "MSE:Set DST",
                sw: StatusWord(0x6A88)
            }
        ));
        // A malformed challenge.
        let mut ta = TerminalAuthentication::new(
            &pki.chain(),
            pki.terminal_key(),
            &pace_info(None),
            Curve::BrainpoolP256r1,
            &eph,
            None,
        )
        .unwrap();
        ta.start().unwrap();
        for _ in 0..5 {
            ta.on_response(&ok(&[])).unwrap();
        }
        assert!(matches!(
            ta.on_response(&ok(&[1, 2, 3])),
            Err(TaError::BadChallenge)
        ));
        // An invalid ephemeral key is refused up front.
        assert!(
            TerminalAuthentication::new(
                &pki.chain(),
                pki.terminal_key(),
                &pace_info(None),
                Curve::BrainpoolP256r1,
                &[4, 1, 2],
                None,
            )
            .is_err()
        );
        // Key Debug does not show the secret.
        assert!(!format!("{:?}", pki.terminal_key()).contains("secret"));
    }

    /// The client stops a batch at the first refusal, as the virtual nPA
    /// showed (6900 to PSO:Verify of a DV from another CVCA): the last
    /// response is then that refusal, not GET CHALLENGE's answer.
    #[test]
    fn batch_cut_short_by_a_refusal_names_the_step() {
        let pki = TestPki::generate(Curve::BrainpoolP256r1);
        let eph = ec::public_key(
            Curve::BrainpoolP256r1,
            &ec::generate_secret(Curve::BrainpoolP256r1).unwrap(),
        )
        .unwrap();
        let new_ta = || {
            let mut ta = TerminalAuthentication::new(
                &pki.chain(),
                pki.terminal_key(),
                &pace_info(Some(pki.cvca.chr())),
                Curve::BrainpoolP256r1,
                &eph,
                None,
            )
            .unwrap();
            let batch = ta.start_batch().unwrap();
            // Set DST, PSO:Verify for DV and terminal, Set AT, GET CHALLENGE.
            assert_eq!(batch.len(), 6);
            ta
        };
        let refused = |sw: u16| ResponseApdu::new(vec![], StatusWord(sw));

        // PSO:Verify of the DV refused.
        let err = new_ta().on_batch(&[ok(&[]), refused(0x6900)]).unwrap_err();
        assert!(
            matches!(
                err,
                TaError::Card {
                    step: "certificate verification",
                    sw: StatusWord(0x6900)
                }
            ),
            "{err:?}"
        );
        // MSE:Set AT refused.
        let err = new_ta()
            .on_batch(&[ok(&[]), ok(&[]), ok(&[]), ok(&[]), refused(0x6A80)])
            .unwrap_err();
        assert!(
            matches!(
                err,
                TaError::Card {
                    step: "MSE:Set AT (TA)",
                    sw: StatusWord(0x6A80)
                }
            ),
            "{err:?}"
        );
        // GET CHALLENGE refused: the whole batch answered.
        let mut all = vec![ok(&[]); 5];
        all.push(refused(0x6982));
        let err = new_ta().on_batch(&all).unwrap_err();
        assert!(
            matches!(
                err,
                TaError::Card {
                    step: "GET CHALLENGE",
                    ..
                }
            ),
            "{err:?}"
        );
        // Too few responses without a refusal.
        assert!(matches!(
            new_ta().on_batch(&[ok(&[]), ok(&[])]),
            Err(TaError::OutOfOrder)
        ));
        // The whole batch: EXTERNAL AUTHENTICATE follows.
        let mut all = vec![ok(&[]); 5];
        all.push(ok(&[7; 8]));
        let ext = new_ta().on_batch(&all).unwrap();
        assert_eq!(&ext.to_bytes()[..4], &[0x00, 0x82, 0x00, 0x00]);
    }
}
