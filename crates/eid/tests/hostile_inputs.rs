//! Hostile card input on stable Rust: the cargo-fuzz harness bodies
//! (`crates/eid/fuzz/src/lib.rs`, compiled in here) fed with a few thousand
//! deterministic pseudo-random and mutated inputs each, plus the `g2c-eid`
//! tool's own parsers of reader and card answers. A failure prints the seed
//! and the input so it can be replayed; nothing here depends on timing.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod harness;

#[allow(dead_code)]
#[path = "../src/bin/g2c_eid/card.rs"]
mod tool_card;

use std::panic::{AssertUnwindSafe, catch_unwind};

use fastrand::Rng;
use g2c_eid::apdu::{CommandApdu, ResponseApdu, StatusWord};
use g2c_eid::tlv;

/// `len` seeded pseudo-random bytes.
fn random_bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    rng.fill(&mut bytes);
    bytes
}

/// Bytes that matter to TLV/DER/APDU parsers: lengths, long-form markers, tags.
const INTERESTING: [u8; 18] = [
    0x00, 0x01, 0x02, 0x06, 0x1F, 0x30, 0x31, 0x7C, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x87,
    0x8E, 0xFF,
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.usize(..4) {
        let len = v.len();
        match rng.usize(..8) {
            0 if len > 0 => {
                let i = rng.usize(..len);
                v[i] ^= 1 << rng.usize(..8);
            }
            1 if len > 0 => {
                let i = rng.usize(..len);
                v[i] = INTERESTING[rng.usize(..INTERESTING.len())];
            }
            2 => v.truncate(rng.usize(..len + 1)),
            3 => {
                let i = rng.usize(..len + 1);
                v.insert(i, rng.u8(..));
            }
            4 if len > 0 => {
                v.remove(rng.usize(..len));
            }
            5 if len > 0 => {
                let start = rng.usize(..len);
                let end = start + rng.usize(..len - start + 1);
                let chunk = v[start..end].to_vec();
                let at = rng.usize(..v.len() + 1);
                v.splice(at..at, chunk);
            }
            6 if len > 0 => {
                let i = rng.usize(..len);
                let n = rng.usize(..len - i + 1);
                for b in &mut v[i..i + n] {
                    *b = rng.u8(..);
                }
            }
            _ => v.push(rng.u8(..)),
        }
    }
    v
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Runs `target` on `random` random inputs (lengths up to `max_len`) and
/// `mutations` mutations of the seeds; returns how many inputs ran.
fn drive(
    name: &str,
    seed: u64,
    seeds: &[Vec<u8>],
    random: usize,
    mutations: usize,
    max_len: usize,
    target: fn(&[u8]),
) -> usize {
    let mut rng = Rng::with_seed(seed);
    let mut inputs: Vec<Vec<u8>> = seeds.to_vec();
    for _ in 0..random {
        let len = rng.usize(..max_len + 1);
        inputs.push(random_bytes(&mut rng, len));
    }
    for _ in 0..mutations {
        let base = &seeds[rng.usize(..seeds.len())];
        inputs.push(mutate(&mut rng, base));
    }
    for input in &inputs {
        if catch_unwind(AssertUnwindSafe(|| target(input))).is_err() {
            panic!(
                "{name}: property failed (seed {seed:#x}) on input {}",
                hex(input)
            );
        }
    }
    inputs.len()
}

/// vicc's default EF.CardAccess (read with `g2c-eid info --json`): PACE, TA,
/// CA and a CardInfo locator.
const VICC_CARD_ACCESS: &str = concat!(
    "3181b3300d060804007f00070202020201023012060a04007f000702020302020201020201413012",
    "060a04007f000702020302020201020201453012060a04007f0007020204020202010202010d301c",
    "060904007f000702020302300c060704007f0007010202010d020141301c060904007f0007020203",
    "02300c060704007f0007010202010d020145302a060804007f0007020206161e687474703a2f2f62",
    "73692e62756e642e64652f6369662f6e70612e786d6c",
);

fn card_access_seeds() -> Vec<Vec<u8>> {
    let mut two = harness::card_access_seed();
    // Two PACEInfos (P-384/AES-256 and brainpoolP256r1/AES-128).
    let mut info = tlv::encode(
        0x06,
        &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x04],
    );
    info.extend(tlv::encode(0x02, &[2]));
    info.extend(tlv::encode(0x02, &[15]));
    let mut set = tlv::Tlv::parse(&two).expect("seed").0.value.to_vec();
    set.extend(tlv::encode(0x30, &info));
    two = tlv::encode(0x31, &set);
    vec![
        harness::card_access_seed(),
        two,
        unhex(VICC_CARD_ACCESS),
        tlv::encode(0x31, &[]),
    ]
}

#[test]
fn vicc_card_access_seed_is_what_the_card_serves() {
    let bytes = unhex(VICC_CARD_ACCESS);
    assert_eq!(
        bytes.len(),
        182,
        "as `g2c-eid info` reports for the virtual card"
    );
    let infos = g2c_eid::card_access::SecurityInfos::parse(&bytes).expect("parses");
    assert_eq!(infos.pace_infos().count(), 1);
}

#[test]
fn tlv_parser() {
    let mut seeds = card_access_seeds();
    let nonce = tlv::encode(0x7C, &tlv::encode(0x80, &[0xA5; 16]));
    seeds.push(nonce);
    let mut pk = tlv::encode(
        0x06,
        &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02],
    );
    pk.extend(tlv::encode(0x86, &[0x04; 65]));
    seeds.push(tlv::encode(0x7F49, &pk));
    seeds.push(vec![0x5F, 0x37, 0x82, 0x01, 0x00]);
    seeds.push(vec![0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]);
    let n = drive("tlv", 0x7157_0001, &seeds, 3000, 4000, 64, harness::tlv);
    assert!(n >= 7000);
}

#[test]
fn card_access_parser() {
    let n = drive(
        "card_access",
        0xCA_0002,
        &card_access_seeds(),
        1000,
        5000,
        200,
        harness::card_access,
    );
    assert!(n >= 6000);
}

#[test]
fn sm_response_unprotect() {
    let seeds = vec![
        // Mode 0: raw responses.
        vec![
            0x00, 0x99, 0x02, 0x90, 0x00, 0x8E, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00,
        ],
        vec![0x00, 0x6A, 0x82],
        // Mode 1: DOs with a valid MAC.
        vec![0x01, 0x99, 0x02, 0x90, 0x00],
        vec![
            0x01, 0x87, 0x11, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99, 0x02,
            0x90, 0x00,
        ],
        // Mode 2: genuine responses (DO 87, DO 85).
        vec![0x02, 0x90, 0x00, 0x31, 0x14, 0x30, 0x12],
        vec![0x06, 0x62, 0x82, 0xAA, 0xBB],
        vec![0x02, 0x63, 0xC2],
        // Mode 3: arbitrary cryptograms.
        vec![
            0x03, 0x90, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    ];
    let n = drive(
        "sm_unprotect",
        0x5E_0003,
        &seeds,
        2000,
        4000,
        120,
        harness::sm_unprotect,
    );
    assert!(n >= 6000);
}

#[test]
fn sm_genuine_responses_round_trip() {
    // Mode 2 checks the decrypted data and status word: every length around the block size.
    for len in 0..70usize {
        let mut input = vec![0x02, 0x90, 0x00];
        input.extend((0..len).map(|i| i as u8));
        harness::sm_unprotect(&input);
        input[0] = 0x06;
        harness::sm_unprotect(&input);
    }
}

#[test]
fn apdu_parsers() {
    let seeds = vec![
        vec![0x90, 0x00],
        vec![0x63, 0xC1],
        vec![0x00, 0xB0, 0x9C, 0x00, 0x00],
        vec![0x00, 0xB0, 0x9C, 0x00, 0x00, 0x00, 0x00],
        vec![0x00, 0x22, 0xC1, 0xA4, 0x03, 0x83, 0x01, 0x03],
        vec![0x10, 0x86, 0x00, 0x00, 0x02, 0x7C, 0x00, 0x00],
        vec![
            0x0C, 0x2C, 0x02, 0x03, 0x00, 0x00, 0x03, 0x87, 0x01, 0x01, 0x00, 0x00,
        ],
    ];
    let n = drive(
        "apdu_response",
        0xAD_0004,
        &seeds,
        3000,
        4000,
        300,
        harness::apdu_response,
    );
    assert!(n >= 7000);
}

fn pace_seeds() -> Vec<Vec<u8>> {
    let chunk = |data: Vec<u8>, sw: [u8; 2]| {
        let mut v = vec![(data.len() + 2) as u8];
        v.extend(data);
        v.extend(sw);
        v
    };
    let nonce = tlv::encode(0x7C, &tlv::encode(0x80, &[0x5A; 16]));
    let mut point = vec![0x04];
    point.extend([0x11; 64]);
    let mapping = tlv::encode(0x7C, &tlv::encode(0x82, &point));
    let mut full = chunk(vec![], [0x90, 0x00]);
    full.extend(chunk(nonce.clone(), [0x90, 0x00]));
    full.extend(chunk(mapping, [0x90, 0x00]));
    let mut retries = chunk(vec![], [0x63, 0xC2]);
    retries.extend(chunk(nonce, [0x90, 0x00]));
    vec![full, retries, chunk(vec![], [0x62, 0x83])]
}

#[test]
fn pace_terminal_with_forged_card_responses() {
    // Fewer inputs: each reaching the mapping step costs elliptic-curve operations.
    let n = drive(
        "pace_responses",
        0x9A_0005,
        &pace_seeds(),
        200,
        600,
        120,
        harness::pace_responses,
    );
    assert!(n >= 800);
}

#[test]
fn reader_feature_lists() {
    let mut rng = Rng::with_seed(0xFE_0006);
    for _ in 0..3000 {
        let len = rng.usize(..64);
        let bytes = random_bytes(&mut rng, len);
        let features = tool_card::parse_features(&bytes);
        // Each feature consumed six bytes.
        assert!(features.len() * 6 <= bytes.len(), "{}", hex(&bytes));
    }
}

/// The tool's EF.CardAccess reader against a card answering nonsense: it ends,
/// never panics, and never returns more than the file could hold.
#[test]
fn card_access_reader_against_a_hostile_card() {
    const SWS: [u16; 9] = [
        0x9000, 0x6282, 0x6A82, 0x6B00, 0x6C00, 0x6C10, 0x6CFF, 0x6982, 0x6700,
    ];
    let mut rng = Rng::with_seed(0xCA7D_0007);
    for round in 0..500 {
        let mut calls = 0usize;
        let result =
            g2c_eid::read_file::read_card_access(|cmd: &CommandApdu| -> Result<ResponseApdu, ()> {
                calls += 1;
                if round % 50 == 0 && calls > 3 {
                    return Err(());
                }
                let len = if rng.usize(..3) == 0 {
                    cmd.le().unwrap_or(0)
                } else {
                    rng.usize(..300)
                };
                let data = if rng.usize(..4) == 0 {
                    let mut d = vec![0x31, 0x83, 0xFF, 0xFF, 0xFF];
                    d.truncate(len);
                    d
                } else {
                    random_bytes(&mut rng, len)
                };
                Ok(ResponseApdu::new(
                    data,
                    StatusWord(SWS[rng.usize(..SWS.len())]),
                ))
            });
        assert!(calls <= 2000, "round {round}: {calls} READ BINARY commands");
        if let g2c_eid::read_file::FileRead::Data(d) = result {
            assert!(
                d.len() <= 16 * 1024 + 300,
                "round {round}: {} bytes",
                d.len()
            );
        }
    }
}
