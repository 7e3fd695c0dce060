//! Harness bodies for the eID crate's parsers of card input.
//!
//! Each function takes arbitrary bytes, feeds them to one parser and checks
//! properties that must hold for every input: no panic, and where the input
//! determines the answer (a round trip, a correctly protected response), the
//! answer. The cargo-fuzz targets in `fuzz_targets/` call them; the same file
//! is compiled into `crates/eid/tests/hostile_inputs.rs`, which feeds them
//! deterministic pseudo-random and mutated inputs on stable Rust in CI.
//!
//! Only `g2c_eid::` paths are used, so this file works as a crate root and as
//! a module of a test.

use g2c_eid::apdu::{CommandApdu, ResponseApdu, StatusWord};
use g2c_eid::card_access::SecurityInfos;
use g2c_eid::crypto;
use g2c_eid::pace::{self, Curve, Pace, PaceParameters, PaceStep, PasswordKind};
use g2c_eid::secrets::{Can, Password};
use g2c_eid::sm::{SecureMessaging, SessionKeys};
use g2c_eid::tlv::{self, Tlv};

/// The fixed K_enc of the secure-messaging target (AES-128).
pub const K_ENC: [u8; 16] = [
    0x68, 0x40, 0x6B, 0x41, 0x62, 0x09, 0x7D, 0x0E, 0x23, 0x40, 0xF0, 0x6A, 0xB7, 0x7D, 0xE3, 0x9F,
];
/// The fixed K_mac of the secure-messaging target (AES-128).
pub const K_MAC: [u8; 16] = [
    0x73, 0xFF, 0x26, 0x87, 0x84, 0xF7, 0x2A, 0xF8, 0x33, 0xFD, 0xC9, 0x46, 0x40, 0x49, 0xAF, 0xC9,
];

fn walk(t: &Tlv<'_>, depth: usize) {
    assert!(t.raw.ends_with(t.value), "value is the tail of raw");
    assert!(t.value.len() <= tlv::MAX_VALUE_LEN);
    if depth < 16
        && t.tag.is_constructed()
        && let Ok(children) = t.children()
    {
        let total: usize = children.iter().map(|c| c.raw.len()).sum();
        assert_eq!(total, t.value.len(), "children fill the value exactly");
        for c in &children {
            walk(c, depth + 1);
        }
    }
}

/// BER-TLV: parse, walk constructed objects, and re-encode.
pub fn tlv(data: &[u8]) {
    if let Ok((t, rest)) = Tlv::parse(data) {
        assert_eq!(t.raw.len() + rest.len(), data.len());
        walk(&t, 0);
        // Re-encoded in the shortest form, it parses back to the same object.
        let encoded = tlv::encode(t.tag.0, t.value);
        let (again, tail) = Tlv::parse(&encoded).expect("a re-encoded TLV parses");
        assert_eq!((again.tag, again.value), (t.tag, t.value));
        assert!(tail.is_empty());
        assert!(encoded.len() <= t.raw.len(), "shortest form is not longer");
    }
    if let Ok(all) = tlv::parse_all(data) {
        assert_eq!(all.iter().map(|t| t.raw.len()).sum::<usize>(), data.len());
    }
}

/// EF.CardAccess: SecurityInfos, PACE parameter selection, MSE:Set AT.
pub fn card_access(data: &[u8]) {
    let Ok(infos) = SecurityInfos::parse(data) else {
        return;
    };
    for info in infos.pace_infos() {
        if let Ok(p) = PaceParameters::from_info(info) {
            pace::mse_set_at(&p, PasswordKind::Pin, None)
                .expect("MSE:Set AT for supported parameters");
        }
    }
    if let Ok(p) = PaceParameters::select(&infos) {
        assert!(infos.pace_infos().count() > 0);
        let cmd = pace::mse_set_at(&p, PasswordKind::Can, None).expect("MSE:Set AT");
        assert!(cmd.data().len() < 256);
    }
}

/// The SSC of the first response of a session: 1, as 16 big-endian bytes.
fn first_response_ssc() -> [u8; 16] {
    let mut ssc = [0u8; 16];
    ssc[15] = 1;
    ssc
}

/// `objects || 8E(MAC)` with the MAC a genuine card would compute for the first response.
fn with_valid_mac(objects: &[u8]) -> Vec<u8> {
    let mut input = first_response_ssc().to_vec();
    if !objects.is_empty() {
        input.extend(crypto::pad(objects));
    }
    let mac = crypto::cmac(&K_MAC, &input).expect("AES-128 CMAC");
    let mut out = objects.to_vec();
    out.extend(tlv::encode(0x8E, mac.get(..8).expect("16-byte CMAC")));
    out
}

fn encrypt(plain_padded: &[u8]) -> Vec<u8> {
    let iv = crypto::aes_block(&K_ENC, &first_response_ssc()).expect("AES-128");
    crypto::cbc_encrypt(&K_ENC, &iv, plain_padded).expect("whole blocks")
}

fn unprotect(body: Vec<u8>, sw: StatusWord) -> Result<ResponseApdu, g2c_eid::sm::SmError> {
    let keys = SessionKeys::from_keys(&K_ENC, &K_MAC).expect("AES-128 keys");
    SecureMessaging::new(keys).unprotect(&ResponseApdu::new(body, sw))
}

/// Secure-messaging response unprotection with fixed keys. The first byte
/// picks the mode, the rest is the input:
/// - 0: a raw response (data || SW); it must be refused (no valid MAC);
/// - 1: arbitrary data objects with a valid MAC appended (reaches DO parsing);
/// - 2: `SW1 SW2 plain…` sent as a genuine protected response (DO 87 or, with
///   bit 2 of the mode byte, DO 85): it must come back exactly;
/// - 3: `SW1 SW2 cryptogram…` as DO 87 with a valid MAC (reaches decryption
///   and unpadding of arbitrary cryptograms).
pub fn sm_unprotect(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => {
            if let Ok(resp) = ResponseApdu::parse(body) {
                let result = unprotect(resp.data().to_vec(), resp.sw());
                assert!(
                    result.is_err(),
                    "a response without a valid MAC was accepted"
                );
            }
        }
        1 => {
            let result = unprotect(with_valid_mac(body), StatusWord::SUCCESS);
            if let Ok(resp) = result {
                // Accepted: the status word is the authenticated DO 99.
                let objects = tlv::parse_all(body).expect("accepted objects parse");
                let sw = tlv::find(&objects, 0x99).expect("DO 99 present");
                assert_eq!(resp.sw().to_bytes().as_slice(), sw.value);
            }
        }
        2 => {
            let [sw1, sw2, plain @ ..] = body else {
                return;
            };
            let sw = StatusWord::from_bytes(*sw1, *sw2);
            let mut objects = Vec::new();
            if !plain.is_empty() {
                let cryptogram = encrypt(&crypto::pad(plain));
                if mode & 4 != 0 {
                    objects.extend(tlv::encode(0x85, &cryptogram));
                } else {
                    let mut v = vec![0x01];
                    v.extend(cryptogram);
                    objects.extend(tlv::encode(0x87, &v));
                }
            }
            objects.extend(tlv::encode(0x99, &sw.to_bytes()));
            let resp = unprotect(with_valid_mac(&objects), sw).expect("a genuine response");
            assert_eq!(resp.data(), plain);
            assert_eq!(resp.sw(), sw);
        }
        _ => {
            let [sw1, sw2, cryptogram @ ..] = body else {
                return;
            };
            let mut v = vec![0x01];
            v.extend_from_slice(cryptogram);
            let mut objects = tlv::encode(0x87, &v);
            objects.extend(tlv::encode(0x99, &[*sw1, *sw2]));
            let _ = unprotect(with_valid_mac(&objects), StatusWord::SUCCESS);
        }
    }
}

/// Response APDUs (and command APDUs, parsed as the card side does): split,
/// classify the status word, re-encode.
pub fn apdu_response(data: &[u8]) {
    match ResponseApdu::parse(data) {
        Ok(resp) => {
            assert_eq!(resp.to_bytes(), data);
            let _ = resp.sw().status();
            let _ = format!("{resp:?} {}", resp.sw());
        }
        Err(_) => assert!(data.len() < 2),
    }
    if let Ok(cmd) = CommandApdu::parse(data) {
        let again = CommandApdu::parse(&cmd.to_bytes()).expect("a re-encoded command parses");
        assert_eq!(
            (again.cla(), again.ins(), again.p1(), again.p2()),
            (cmd.cla(), cmd.ins(), cmd.p1(), cmd.p2())
        );
        assert_eq!(again.data(), cmd.data());
        assert_eq!(again.le(), cmd.le());
    }
}

/// The PACE terminal fed with hostile card responses: the input is a sequence
/// of `len(1) response(len)` chunks answering MSE:Set AT and the GENERAL
/// AUTHENTICATE steps. It must end in an error, never in a session (the card
/// cannot know the keys), and never panic.
pub fn pace_responses(data: &[u8]) {
    let params = brainpool_p256_aes128();
    let can = Can::new("123456").expect("CAN");
    let mut pace = Pace::new(&params, Password::Can(&can), None).expect("PACE");
    if pace.start().is_err() {
        return;
    }
    let mut rest = data;
    while let [len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (chunk, next) = tail.split_at(len);
        rest = next;
        let Ok(resp) = ResponseApdu::parse(chunk) else {
            return;
        };
        match pace.on_response(&resp) {
            Ok(PaceStep::Send(_)) => {}
            Ok(PaceStep::Done(_)) => panic!("PACE completed against forged responses"),
            Err(_) => return,
        }
    }
}

/// id-PACE-ECDH-GM-AES-CBC-CMAC-128 on brainpoolP256r1, as the German eID card offers it.
pub fn brainpool_p256_aes128() -> PaceParameters {
    let params = PaceParameters::select(
        &SecurityInfos::parse(&card_access_seed()).expect("seed EF.CardAccess"),
    )
    .expect("supported parameters");
    assert_eq!(params.curve, Curve::BrainpoolP256r1);
    params
}

/// A minimal EF.CardAccess: one PACEInfo (ECDH-GM-AES-128, version 2, parameter id 13).
pub fn card_access_seed() -> Vec<u8> {
    let oid = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02];
    let mut info = tlv::encode(0x06, &oid);
    info.extend(tlv::encode(0x02, &[2]));
    info.extend(tlv::encode(0x02, &[13]));
    tlv::encode(0x31, &tlv::encode(0x30, &info))
}
