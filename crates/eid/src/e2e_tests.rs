//! End-to-end tests: PACE, secure messaging and PIN management against the fake card.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::apdu::{CommandApdu, ResponseApdu};
use crate::card_access::SecurityInfos;
use crate::crypto::KeySize;
use crate::fake_card::{FakeCard, Fault};
use crate::pace::{self, Curve, Pace, PaceError, PaceParameters};
use crate::pin::{self, Language, PinError, PinState};
use crate::secrets::{Can, Password, Pin, Puk};
use crate::sm::{SecureChannel, SmError};
use crate::transport::{CardTransport, TransportError};

const PIN: &str = "123456";
const CAN: &str = "222222";
const PUK: &str = "3333333333";

fn card() -> FakeCard {
    FakeCard::new(PIN, CAN, PUK)
}

fn read_card_access(t: &mut dyn CardTransport) -> Vec<u8> {
    let cmd = CommandApdu::new(0x00, 0xB0, 0x9C, 0x00)
        .with_le(256)
        .unwrap();
    let r = t.transmit(&cmd).unwrap();
    assert!(r.sw().is_success() || r.sw().0 == 0x6282);
    r.into_data()
}

fn params_of(card: &mut FakeCard) -> PaceParameters {
    let bytes = read_card_access(card);
    PaceParameters::select(&SecurityInfos::parse(&bytes).unwrap()).unwrap()
}

fn pin() -> Pin {
    Pin::new(PIN).unwrap()
}

#[test]
fn pace_with_pin_then_secure_messaging() {
    let mut card = card();
    let params = params_of(&mut card);
    let pin = pin();
    let outcome = pace::establish(
        &mut card,
        Pace::new(&params, Password::Pin(&pin), None).unwrap(),
    )
    .unwrap();
    assert_eq!(outcome.retries_left, None);
    let mut channel = SecureChannel::new(&mut card, outcome.keys);
    // EF.CardAccess read again, now under secure messaging, twice (SSC advances).
    for _ in 0..2 {
        let r = channel
            .transmit(&CommandApdu::new(0, 0xB0, 0x9C, 0).with_le(256).unwrap())
            .unwrap();
        assert_eq!(r.data(), crate::fake_card::card_access_for(&params));
    }
    let r = channel.transmit(&CommandApdu::new(0, 0xFF, 0, 0)).unwrap();
    assert_eq!(r.sw().0, 0x6D00, "authenticated error status from DO 99");
}

#[test]
fn pace_on_every_supported_curve_and_key_size() {
    let oid = |c| der::asn1::ObjectIdentifier::new_unwrap(c);
    let variants = [
        ("0.4.0.127.0.7.2.2.4.2.2", KeySize::Aes128, Curve::NistP256),
        (
            "0.4.0.127.0.7.2.2.4.2.3",
            KeySize::Aes192,
            Curve::BrainpoolP256r1,
        ),
        ("0.4.0.127.0.7.2.2.4.2.4", KeySize::Aes256, Curve::NistP384),
        (
            "0.4.0.127.0.7.2.2.4.2.4",
            KeySize::Aes256,
            Curve::BrainpoolP384r1,
        ),
    ];
    for (protocol, key_size, curve) in variants {
        let params = PaceParameters {
            protocol: oid(protocol),
            key_size,
            curve,
            send_parameter_id: false,
        };
        let mut card = FakeCard::with_parameters(params.clone(), PIN, CAN, PUK);
        assert_eq!(params_of(&mut card), params);
        let can = Can::new(CAN).unwrap();
        let outcome = pace::establish(
            &mut card,
            Pace::new(&params, Password::Can(&can), None).unwrap(),
        )
        .unwrap();
        let mut channel = SecureChannel::new(&mut card, outcome.keys);
        let r = channel
            .transmit(&CommandApdu::new(0, 0xB0, 0x9C, 0).with_le(300).unwrap())
            .unwrap();
        assert!(!r.data().is_empty(), "{curve:?}");
    }
}

#[test]
fn wrong_pin_counts_down_to_suspended_then_can_resumes() {
    let mut card = card();
    let params = params_of(&mut card);
    let wrong = Pin::new("999999").unwrap();
    let new = Pin::new("654321").unwrap();
    let err = pin::change_pin(&mut card, &params, None, &wrong, &new).unwrap_err();
    assert!(
        matches!(
            err,
            PinError::WrongPin {
                retries_left: Some(2)
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        pin::pin_state(&mut card, &params).unwrap(),
        PinState::Operational(2)
    );
    let err = pin::change_pin(&mut card, &params, None, &wrong, &new).unwrap_err();
    assert!(matches!(
        err,
        PinError::WrongPin {
            retries_left: Some(1)
        }
    ));
    assert_eq!(
        pin::pin_state(&mut card, &params).unwrap(),
        PinState::Suspended
    );
    // Suspended: the right PIN alone is refused, and not counted.
    let err = pin::change_pin(&mut card, &params, None, &pin(), &new).unwrap_err();
    assert!(matches!(err, PinError::Suspended), "{err:?}");
    assert_eq!(card.pin_retries(), 1);
    // A wrong CAN is reported as such.
    let err = pin::change_pin(
        &mut card,
        &params,
        Some(&Can::new("000000").unwrap()),
        &pin(),
        &new,
    )
    .unwrap_err();
    assert!(matches!(err, PinError::WrongCan));
    // CAN then PIN resumes and changes.
    pin::change_pin(
        &mut card,
        &params,
        Some(&Can::new(CAN).unwrap()),
        &pin(),
        &new,
    )
    .unwrap();
    assert!(card.pin_is("654321"));
    assert_eq!(
        pin::pin_state(&mut card, &params).unwrap(),
        PinState::Operational(3)
    );
}

#[test]
fn blocked_pin_is_unblocked_with_the_puk_until_it_is_used_up() {
    let mut card = card();
    let params = params_of(&mut card);
    card.set_pin_retries(1);
    let can = Can::new(CAN).unwrap();
    let err = pin::resume_pin(&mut card, &params, &can, &Pin::new("999999").unwrap()).unwrap_err();
    assert!(matches!(
        err,
        PinError::WrongPin {
            retries_left: Some(0)
        }
    ));
    assert_eq!(
        pin::pin_state(&mut card, &params).unwrap(),
        PinState::Blocked
    );
    let err = pin::change_pin(
        &mut card,
        &params,
        None,
        &pin(),
        &Pin::new("111111").unwrap(),
    )
    .unwrap_err();
    assert!(matches!(err, PinError::Blocked), "{err:?}");
    assert!(matches!(
        pin::unblock_pin(&mut card, &params, &Puk::new("0000000000").unwrap()),
        Err(PinError::WrongPuk)
    ));
    pin::unblock_pin(&mut card, &params, &Puk::new(PUK).unwrap()).unwrap();
    assert_eq!(
        pin::pin_state(&mut card, &params).unwrap(),
        PinState::Operational(3)
    );
    assert!(card.pin_is(PIN));

    card.set_pin_retries(0);
    card.set_puk_uses_left(0);
    assert_eq!(
        pin::pin_state(&mut card, &params).unwrap(),
        PinState::PukExhausted
    );
    let err = pin::unblock_pin(&mut card, &params, &Puk::new(PUK).unwrap()).unwrap_err();
    assert!(matches!(err, PinError::PukExhausted), "{err:?}");
}

#[test]
fn deactivated_eid_function() {
    let mut card = card();
    let params = params_of(&mut card);
    card.set_deactivated(true);
    assert_eq!(
        pin::pin_state(&mut card, &params).unwrap(),
        PinState::Deactivated
    );
    let err = pin::change_pin(
        &mut card,
        &params,
        None,
        &pin(),
        &Pin::new("111111").unwrap(),
    )
    .unwrap_err();
    assert!(matches!(err, PinError::Deactivated));
}

#[test]
fn transport_pin_becomes_a_six_digit_pin() {
    let mut card = FakeCard::new("12345", CAN, PUK);
    let params = params_of(&mut card);
    let transport = Pin::new("12345").unwrap();
    assert!(matches!(
        pin::change_pin(
            &mut card,
            &params,
            None,
            &transport,
            &Pin::new("54321").unwrap()
        ),
        Err(PinError::NewPinInvalid)
    ));
    pin::change_pin(
        &mut card,
        &params,
        None,
        &transport,
        &Pin::new("246810").unwrap(),
    )
    .unwrap();
    assert!(card.pin_is("246810"));
    // The new PIN works for PACE; the transport PIN no longer does.
    pace::establish(
        &mut card,
        Pace::new(&params, Password::Pin(&Pin::new("246810").unwrap()), None).unwrap(),
    )
    .unwrap();
    assert!(
        pace::establish(
            &mut card,
            Pace::new(&params, Password::Pin(&transport), None).unwrap()
        )
        .is_err()
    );
}

#[test]
fn card_removed_mid_pace() {
    let mut card = card();
    let params = params_of(&mut card); // exchange 1
    card.inject(Fault::RemoveCardAt(4)); // MSE = 2, GA nonce = 3, GA mapping = 4
    let pin = pin();
    let err = pace::establish(
        &mut card,
        Pace::new(&params, Password::Pin(&pin), None).unwrap(),
    )
    .unwrap_err();
    assert!(
        matches!(err, PaceError::Transport(TransportError::CardRemoved)),
        "{err:?}"
    );
    // Stays removed until reinserted; then PACE works again.
    assert!(matches!(
        pin::pin_state(&mut card, &params),
        Err(PinError::Communication(TransportError::CardRemoved))
    ));
    card.reinsert();
    pace::establish(
        &mut card,
        Pace::new(&params, Password::Pin(&pin), None).unwrap(),
    )
    .unwrap();
}

#[test]
fn corrupted_mac_in_sm_response_closes_the_channel() {
    let mut card = card();
    let params = params_of(&mut card); // 1
    card.inject(Fault::CorruptMacAt(7)); // PACE 2..=6, first SM exchange 7
    let pin = pin();
    let outcome = pace::establish(
        &mut card,
        Pace::new(&params, Password::Pin(&pin), None).unwrap(),
    )
    .unwrap();
    let mut channel = SecureChannel::new(&mut card, outcome.keys);
    let read = CommandApdu::new(0, 0xB0, 0x9C, 0).with_le(256).unwrap();
    assert!(matches!(channel.transmit(&read), Err(SmError::BadMac)));
    assert!(matches!(channel.transmit(&read), Err(SmError::Closed)));
}

#[test]
fn corrupted_card_token_is_detected() {
    let mut card = card();
    let params = params_of(&mut card);
    card.inject(Fault::CorruptMacAt(6)); // the last GENERAL AUTHENTICATE
    let pin = pin();
    let err = pace::establish(
        &mut card,
        Pace::new(&params, Password::Pin(&pin), None).unwrap(),
    )
    .unwrap_err();
    assert!(matches!(err, PaceError::CardTokenInvalid), "{err:?}");
}

#[test]
fn truncated_response_is_a_typed_error() {
    let mut card = card();
    let params = params_of(&mut card);
    card.inject(Fault::TruncateAt(3));
    let pin = pin();
    let err = pace::establish(
        &mut card,
        Pace::new(&params, Password::Pin(&pin), None).unwrap(),
    )
    .unwrap_err();
    assert!(
        matches!(err, PaceError::Transport(TransportError::Apdu(_))),
        "{err:?}"
    );
}

#[test]
fn tampered_command_is_refused_by_the_card() {
    let mut card = card();
    let params = params_of(&mut card);
    let pin = pin();
    let outcome = pace::establish(
        &mut card,
        Pace::new(&params, Password::Pin(&pin), None).unwrap(),
    )
    .unwrap();
    let mut sm = crate::sm::SecureMessaging::new(outcome.keys);
    let mut wire = sm
        .protect(&CommandApdu::new(0, 0xB0, 0x9C, 0).with_le(16).unwrap())
        .unwrap()
        .to_bytes();
    wire[2] ^= 0x01;
    let raw = card.transmit_raw(&wire).unwrap();
    let resp = ResponseApdu::parse(&raw).unwrap();
    assert_eq!(resp.sw().0, 0x6988);
    assert!(matches!(sm.unprotect(&resp), Err(SmError::Unprotected(_))));
}

#[test]
fn error_messages_for_the_ui() {
    let e = PinError::WrongPin {
        retries_left: Some(2),
    };
    assert!(e.message(Language::German).contains("noch 2 Versuche"));
    assert!(e.message(Language::English).contains("2 tries left"));
    assert!(
        PinError::WrongPin {
            retries_left: Some(1)
        }
        .message(Language::German)
        .contains("CAN")
    );
    assert!(PinError::Blocked.message(Language::English).contains("PUK"));
    // A card that does not report the counter gets no invented number.
    let unknown = PinError::WrongPin { retries_left: None };
    assert_eq!(unknown.message(Language::German), "Die PIN war falsch.");
    assert!(
        !unknown
            .message(Language::English)
            .chars()
            .any(|c| c.is_ascii_digit())
    );
    assert!(
        PinError::PukExhausted
            .message(Language::German)
            .contains("Bürgeramt")
    );
    assert_ne!(
        PinError::Deactivated.message(Language::German),
        PinError::Deactivated.message(Language::English)
    );
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

#[test]
fn logs_of_a_full_run_contain_no_secrets() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let mut keys_seen = Vec::new();
    // Global, not scoped: tests run in parallel threads, and a callsite first
    // hit by another thread could otherwise cache "not interested".
    tracing::subscriber::set_global_default(subscriber).unwrap();
    tracing::callsite::rebuild_interest_cache();
    {
        let mut card = FakeCard::new("975312", "864208", PUK);
        let params = params_of(&mut card);
        let can = Can::new("864208").unwrap();
        let pin = Pin::new("975312").unwrap();
        let outcome = pin::resume_pin(&mut card, &params, &can, &pin).unwrap();
        keys_seen.push(outcome.keys.enc().to_vec());
        keys_seen.push(outcome.keys.mac().to_vec());
        tracing::debug!(?outcome, ?pin, ?can, "outcome");
        let mut channel = SecureChannel::new(&mut card, outcome.keys);
        channel
            .transmit(&CommandApdu::new(0, 0xB0, 0x9C, 0).with_le(256).unwrap())
            .unwrap();
        pin::change_pin(&mut card, &params, None, &pin, &Pin::new("135799").unwrap()).unwrap();
    }
    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("PACE: established"),
        "logging was captured: {logs}"
    );
    assert!(logs.contains("Pin(***)") && logs.contains("SessionKeys(***)"));
    for secret in ["975312", "864208", "135799"] {
        assert!(!logs.contains(secret), "{secret} leaked");
    }
    for key in keys_seen {
        let h = hex_upper(&key);
        assert!(
            !logs.contains(&h) && !logs.contains(&h.to_lowercase()),
            "key leaked"
        );
        assert!(!logs.contains(&format!("{:?}", key)), "key bytes leaked");
    }
}

mod eac {
    use super::*;
    use crate::card_security::CardSecurityError;
    use crate::cvc::AccessRight;
    use crate::eac::{
        Batch, EacConfig, EacError, EacSession, EacStep, PassiveAuthentication, Protection,
    };
    use crate::fake_card::FakeEac;
    use crate::relay::{ClientRelay, RelayError};
    use crate::ri::SectorPseudonym;
    use crate::test_pki::{CardSecurityFixture, TestKey, TestPki};

    struct World {
        pki: TestPki,
        chip: CardSecurityFixture,
        sector: TestKey,
    }

    fn world() -> World {
        World {
            pki: TestPki::generate(Curve::BrainpoolP256r1),
            chip: CardSecurityFixture::generate(Curve::BrainpoolP256r1),
            sector: TestKey::generate(Curve::BrainpoolP256r1),
        }
    }

    fn config(w: &World, trust: Vec<x509_cert::Certificate>) -> EacConfig {
        EacConfig {
            chain: w.pki.chain(),
            terminal_key: w.pki.terminal_key(),
            auxiliary_data: None,
            sector_public_key: w.sector.public.clone(),
            passive_authentication: PassiveAuthentication::TrustList(trust),
        }
    }

    /// Client: PACE with the PIN and `chat`; service: TA → CA → RI through the relay.
    fn login(
        w: &World,
        card: &mut FakeCard,
        chat: &crate::cvc::Chat,
        config: EacConfig,
    ) -> Result<SectorPseudonym, EacError> {
        let card_access = read_card_access(card);
        let params = PaceParameters::select(&SecurityInfos::parse(&card_access).unwrap()).unwrap();
        let pin = pin();
        let outcome = pace::establish(
            card,
            Pace::new(&params, Password::Pin(&pin), Some(&chat.to_tlv())).unwrap(),
        )
        .unwrap();
        let info = outcome.session_info();
        assert_eq!(info.id_picc.len(), 32);
        let mut relay = ClientRelay::new(card, outcome.keys);
        let (mut session, mut batch) = EacSession::begin(config, &info, &card_access)?;
        let _ = w;
        let mut protections = Vec::new();
        loop {
            protections.push(batch.protection);
            let responses = relay.run(&batch).unwrap();
            match session.step(&responses)? {
                EacStep::Transmit(b) => batch = b,
                EacStep::Done(result) => {
                    assert_eq!(&result.terminal, w.pki.terminal.chr());
                    assert_eq!(
                        protections,
                        [
                            Protection::Client,
                            Protection::Client,
                            Protection::Client,
                            Protection::Service,
                            Protection::Service
                        ]
                    );
                    return Ok(result.pseudonym);
                }
            }
        }
    }

    fn expected_pseudonym(w: &World, sector: &TestKey) -> Vec<u8> {
        use sha2::Digest;
        let shared = crate::ec::ecdh(
            Curve::BrainpoolP256r1,
            w.chip.ri_key.secret(),
            &sector.public,
        )
        .unwrap();
        sha2::Sha256::digest(shared.as_slice()).to_vec()
    }

    fn eac_card(w: &World) -> FakeCard {
        FakeCard::with_eac(PIN, CAN, PUK, FakeEac::from_fixture(&w.pki, &w.chip))
    }

    #[test]
    fn pace_ta_ca_ri_through_the_relay() {
        let w = world();
        let mut card = eac_card(&w);
        let chat = w.pki.terminal.body.chat.clone();
        let p1 = login(
            &w,
            &mut card,
            &chat,
            config(&w, vec![w.chip.csca_certificate()]),
        )
        .unwrap();
        assert_eq!(p1.as_bytes(), expected_pseudonym(&w, &w.sector).as_slice());
        assert_eq!(p1.to_string().len(), 64);
        // Same card, same sector, new session: the same pseudonym.
        let p2 = login(
            &w,
            &mut card,
            &chat,
            config(&w, vec![w.chip.csca_certificate()]),
        )
        .unwrap();
        assert_eq!(p1, p2);
        // Another sector: another pseudonym.
        let mut other = config(&w, vec![w.chip.csca_certificate()]);
        let sector2 = TestKey::generate(Curve::BrainpoolP256r1);
        other.sector_public_key = sector2.public.clone();
        let p3 = login(&w, &mut card, &chat, other).unwrap();
        assert_ne!(p1, p3);
        assert_eq!(p3.as_bytes(), expected_pseudonym(&w, &sector2).as_slice());
    }

    #[test]
    fn untrusted_document_signer_is_refused() {
        let w = world();
        let mut card = eac_card(&w);
        let chat = w.pki.terminal.body.chat.clone();
        let stranger = CardSecurityFixture::generate(Curve::BrainpoolP256r1);
        let err = login(
            &w,
            &mut card,
            &chat,
            config(&w, vec![stranger.csca_certificate()]),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            EacError::CardSecurity(CardSecurityError::UntrustedSigner)
        ));
    }

    #[test]
    fn wrong_terminal_key_fails_ta() {
        let w = world();
        let mut card = eac_card(&w);
        let chat = w.pki.terminal.body.chat.clone();
        let mut cfg = config(&w, vec![w.chip.csca_certificate()]);
        let impostor = TestKey::generate(Curve::BrainpoolP256r1);
        cfg.terminal_key = crate::ta::TerminalKey::new(
            Curve::BrainpoolP256r1,
            crate::cvc::ID_TA_ECDSA_SHA_256,
            impostor.secret(),
        )
        .unwrap();
        let err = login(&w, &mut card, &chat, cfg).unwrap_err();
        assert!(
            matches!(
                err,
                EacError::Ta(crate::ta::TaError::Card {
                    step: "EXTERNAL AUTHENTICATE",
                    ..
                })
            ),
            "{err}"
        );
    }

    #[test]
    fn chat_without_restricted_identification_refuses_ri() {
        let w = world();
        let mut card = eac_card(&w);
        let chat = w
            .pki
            .terminal
            .body
            .chat
            .restrict_to(&[AccessRight::AgeVerification]);
        let err = login(
            &w,
            &mut card,
            &chat,
            config(&w, vec![w.chip.csca_certificate()]),
        )
        .unwrap_err();
        assert!(
            matches!(err, EacError::Ri(crate::ri::RiError::Card { sw, .. }) if sw.0 == 0x6982),
            "{err}"
        );
    }

    #[test]
    fn relay_refuses_other_commands_in_the_pace_channel() {
        let w = world();
        let mut card = eac_card(&w);
        let card_access = read_card_access(&mut card);
        let params = PaceParameters::select(&SecurityInfos::parse(&card_access).unwrap()).unwrap();
        let pin = pin();
        let outcome = pace::establish(
            &mut card,
            Pace::new(&params, Password::Pin(&pin), None).unwrap(),
        )
        .unwrap();
        let mut relay = ClientRelay::new(&mut card, outcome.keys);
        // CHANGE REFERENCE DATA (new PIN) is not relayed.
        let batch = Batch {
            protection: Protection::Client,
            commands: vec![
                CommandApdu::new(0, 0x2C, 0x02, 0x03)
                    .with_data(b"000000".to_vec())
                    .unwrap()
                    .to_bytes(),
            ],
        };
        assert!(matches!(
            relay.run(&batch),
            Err(RelayError::Forbidden(0x2C))
        ));
        // After a service-protected batch the PACE channel is gone.
        let raw = Batch {
            protection: Protection::Service,
            commands: vec![vec![0x00, 0xA4, 0x00, 0x00]],
        };
        relay.run(&raw).unwrap();
        let read = Batch {
            protection: Protection::Client,
            commands: vec![vec![0x00, 0xB0, 0x9C, 0x00, 0x00]],
        };
        assert!(matches!(relay.run(&read), Err(RelayError::ChannelClosed)));
        assert!(card.pin_is(PIN));
    }
}
