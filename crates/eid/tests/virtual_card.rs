//! PACE over real PC/SC against the virtual nPA (vsmartcard `vicc -t nPA` behind pcscd),
//! started per test by `g2c_testkit::VirtualCard` (needs `scripts/virtual-card/setup.sh`).

use g2c_eid::apdu::CommandApdu;
use g2c_eid::card_access::SecurityInfos;
use g2c_eid::pace::{self, Pace, PaceError, PaceParameters};
use g2c_eid::reader::{PcscCard, ReaderContext};
use g2c_eid::secrets::{Can, Password, Pin};
use g2c_eid::sm::SecureChannel;
use g2c_eid::transport::CardTransport;
use g2c_testkit::VirtualCard;

fn connect(card: &VirtualCard) -> PcscCard {
    let ctx = ReaderContext::establish().expect("pcscd");
    let readers = ctx.list_readers().expect("readers");
    assert!(
        readers.iter().any(|r| r == card.reader_name()),
        "{readers:?}"
    );
    ctx.connect(card.reader_name()).expect("connect")
}

fn card_access(t: &mut dyn CardTransport) -> Vec<u8> {
    let r = t
        .transmit(&CommandApdu::new(0, 0xB0, 0x9C, 0).with_le(256).unwrap())
        .unwrap();
    assert!(r.sw().is_success() || r.sw().0 == 0x6282, "{}", r.sw());
    r.into_data()
}

fn params(t: &mut dyn CardTransport) -> (Vec<u8>, PaceParameters) {
    let bytes = card_access(t);
    let p = PaceParameters::select(&SecurityInfos::parse(&bytes).unwrap()).unwrap();
    (bytes, p)
}

#[test]
fn pace_with_pin_111111_then_secure_messaging() {
    let vcard = VirtualCard::start().expect("virtual card");
    let mut card = connect(&vcard);
    let (plain_access, p) = params(&mut card);
    let pin = Pin::new("111111").unwrap();
    let out = pace::establish(&mut card, Pace::new(&p, Password::Pin(&pin), None).unwrap())
        .expect("PACE with PIN");
    assert_eq!(out.card_ephemeral_key.len(), 65);
    assert_eq!(out.session_info().id_picc.len(), 32);
    // The channel works: EF.CardAccess again, now under secure messaging.
    let mut channel = SecureChannel::new(&mut card, out.keys);
    let r = channel
        .transmit(&CommandApdu::new(0, 0xB0, 0x9C, 0).with_le(256).unwrap())
        .expect("SM read");
    assert_eq!(r.data(), plain_access.as_slice());
}

#[test]
fn wrong_pin_is_a_typed_error() {
    let vcard = VirtualCard::start().expect("virtual card");
    let mut card = connect(&vcard);
    let (_, p) = params(&mut card);
    let pin = Pin::new("123456").unwrap();
    let err =
        pace::establish(&mut card, Pace::new(&p, Password::Pin(&pin), None).unwrap()).unwrap_err();
    assert!(
        matches!(err, PaceError::WrongPassword { .. }),
        "unexpected error: {err:?}"
    );
}

#[test]
fn pace_with_can_222222() {
    let vcard = VirtualCard::start().expect("virtual card");
    let mut card = connect(&vcard);
    let (_, p) = params(&mut card);
    let can = Can::new("222222").unwrap();
    let out = pace::establish(&mut card, Pace::new(&p, Password::Can(&can), None).unwrap())
        .expect("PACE with CAN");
    let mut channel = SecureChannel::new(&mut card, out.keys);
    let r = channel
        .transmit(&CommandApdu::new(0, 0xB0, 0x9C, 0).with_le(256).unwrap())
        .expect("SM read");
    assert!(r.sw().is_success() || r.sw().0 == 0x6282);
}
