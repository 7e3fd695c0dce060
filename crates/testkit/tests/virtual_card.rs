//! The virtual nPA through the real PC/SC stack: pcscd lists the vpcd reader
//! with a card in it, the card answers SELECT MF and READ BINARY of
//! EF.CardAccess, and dropping the fixture takes pcscd down.
//!
//! Needs root and `scripts/virtual-card/setup.sh`.

use std::ffi::CString;
use std::path::Path;

use g2c_testkit::VirtualCard;
use pcsc::{Context, Protocols, Scope, ShareMode};

/// SELECT MF by file id 3F00, no response data.
const SELECT_MF: [u8; 7] = [0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00];
/// READ BINARY of the file with short id 0x1C (EF.CardAccess), Le = 256.
const READ_EF_CARDACCESS: [u8; 5] = [0x00, 0xB0, 0x9C, 0x00, 0x00];

fn readers(ctx: &Context) -> Vec<String> {
    let mut buf = vec![0u8; ctx.list_readers_len().expect("readers' length")];
    ctx.list_readers(&mut buf)
        .expect("list readers")
        .map(|r| r.to_string_lossy().into_owned())
        .collect()
}

fn transmit(card: &pcsc::Card, apdu: &[u8]) -> (Vec<u8>, u16) {
    let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
    let resp = card.transmit(apdu, &mut buf).expect("transmit");
    assert!(resp.len() >= 2, "response without status word: {resp:02X?}");
    let (data, sw) = resp.split_at(resp.len() - 2);
    (data.to_vec(), u16::from_be_bytes([sw[0], sw[1]]))
}

/// Reads EF.CardAccess from the card in `reader`.
fn read_ef_cardaccess(ctx: &Context, reader: &str) -> Vec<u8> {
    let name = CString::new(reader).expect("reader name");
    let card = ctx
        .connect(&name, ShareMode::Shared, Protocols::ANY)
        .expect("connect to the card");
    let (_, sw) = transmit(&card, &SELECT_MF);
    assert_eq!(sw, 0x9000, "SELECT MF");
    let (data, sw) = transmit(&card, &READ_EF_CARDACCESS);
    assert_eq!(sw, 0x9000, "READ BINARY EF.CardAccess");
    data
}

#[test]
fn vpcd_reader_holds_an_npa_and_pcscd_goes_with_the_fixture() {
    let vcard = VirtualCard::start().expect("start the virtual card");
    let pcscd = vcard.pcscd_pid().expect("pcscd's pid");
    assert!(Path::new(&format!("/proc/{pcscd}")).exists());

    let ctx = Context::establish(Scope::User).expect("PC/SC context");
    let names = readers(&ctx);
    assert!(
        names.iter().any(|r| r == vcard.reader_name()),
        "{} not among {names:?}",
        vcard.reader_name()
    );

    let ef = read_ef_cardaccess(&ctx, vcard.reader_name());
    // SecurityInfos: a SET OF, naming id-PACE (0.4.0.127.0.7.2.2.4).
    assert_eq!(ef.first(), Some(&0x31), "EF.CardAccess: {ef:02X?}");
    let id_pace = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04];
    assert!(
        ef.windows(id_pace.len()).any(|w| w == id_pace),
        "no PACEInfo in EF.CardAccess: {ef:02X?}"
    );

    drop(ctx);
    drop(vcard);
    assert!(
        !Path::new(&format!("/proc/{pcscd}")).exists(),
        "pcscd {pcscd} still runs after drop"
    );
    assert!(!Path::new("/run/pcscd/pcscd.comm").exists());
}

/// Runs in parallel with the test above (cargo's test threads): the fixture
/// must serialise them, each getting a fresh card.
#[test]
fn a_second_card_waits_for_the_first() {
    let vcard = VirtualCard::start().expect("start the virtual card");
    let ctx = Context::establish(Scope::User).expect("PC/SC context");
    let ef = read_ef_cardaccess(&ctx, vcard.reader_name());
    assert_eq!(ef.first(), Some(&0x31));
    drop(ctx);
    vcard.stop().expect("stop the virtual card");
}
