//! Hostile input to `parse_event` on stable Rust: the cargo-fuzz harness
//! body (`crates/protocol/fuzz/src/lib.rs`, compiled in here) replayed over
//! the committed seed corpus (the valid examples of `tests/examples/valid/`,
//! one per event type), over whatever else lies in the corpus directory, and
//! over a few thousand deterministic pseudo-random and mutated inputs. A
//! failure prints the seed and the input so it can be replayed; nothing here
//! depends on timing.

mod common;

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use fastrand::Rng;
use g2c_protocol::{G2cEventType, parse_event};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/parse_event")
}

/// The seed of a valid example: its type's selector byte, then the JSON.
fn seed_bytes(short: &str, json: &str) -> Vec<u8> {
    let ty = G2cEventType::from_event_type(&common::full_type(short)).expect("known type");
    let mut seed = vec![harness::selector_of(ty)];
    seed.extend_from_slice(json.as_bytes());
    seed
}

/// The committed seeds, `(file name, bytes)`.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("seed-"))
        })
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_owned();
            (name, std::fs::read(&p).expect("read seed"))
        })
        .collect();
    out.sort();
    out
}

/// Fragments that matter to a JSON parser and to the validation rules.
const TOKENS: &[&str] = &[
    "\"",
    "\\",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "true",
    "-1",
    "0",
    "1e999",
    "18446744073709551616",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"<script>alert(1)</script>\"",
    "\"$x\"",
    "\"mxc://\"",
    "\"9999-99-99T99:99:99Z\"",
    "\"0000-01-01T00:00:00Z\"",
    "\"../../etc/passwd\"",
    "\u{202e}",
    "\u{0085}",
    "\"s1\"",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.usize(..4) {
        let len = v.len();
        match rng.usize(..7) {
            // The selector byte: the same content as another type.
            0 => v[0] = rng.u8(..),
            1 if len > 1 => {
                let i = 1 + rng.usize(..len - 1);
                v[i] ^= 1 << rng.usize(..8);
            }
            2 => v.truncate(1 + rng.usize(..len)),
            3 if len > 1 => {
                let at = 1 + rng.usize(..len - 1);
                let token = TOKENS[rng.usize(..TOKENS.len())].as_bytes();
                v.splice(at..at, token.iter().copied());
            }
            4 if len > 1 => {
                v.remove(1 + rng.usize(..len - 1));
            }
            5 if len > 1 => {
                // Duplicate a chunk (a second option, slot, field, ...).
                let start = 1 + rng.usize(..len - 1);
                let end = start + rng.usize(..len - start + 1);
                let chunk = v[start..end].to_vec();
                let at = 1 + rng.usize(..v.len() - 1);
                v.splice(at..at, chunk);
            }
            _ => v.push(rng.u8(..)),
        }
    }
    v
}

fn run(name: &str, seed: u64, input: &[u8]) {
    if catch_unwind(AssertUnwindSafe(|| harness::parse_event(input))).is_err() {
        panic!(
            "{name}: property failed (seed {seed:#x}) on input {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn seed_corpus_is_the_valid_examples() {
    let expected: Vec<(String, Vec<u8>)> = common::examples("valid")
        .into_iter()
        .map(|(short, _, json)| (format!("seed-{short}"), seed_bytes(&short, &json)))
        .collect();
    if std::env::var_os("G2C_WRITE_FUZZ_SEEDS").is_some() {
        for (name, bytes) in &expected {
            std::fs::write(corpus_dir().join(name), bytes).expect("write seed");
        }
    }
    let mut expected = expected;
    expected.sort();
    assert_eq!(
        seeds(),
        expected,
        "fuzz/corpus/parse_event/seed-* are stale: rerun with G2C_WRITE_FUZZ_SEEDS=1"
    );
    assert_eq!(expected.len(), G2cEventType::ALL.len(), "one seed per type");
}

#[test]
fn every_seed_is_accepted_as_its_type() {
    for (name, bytes) in seeds() {
        let ty = harness::selected_type(bytes[0]).expect("a known type");
        let content = std::str::from_utf8(&bytes[1..]).expect("UTF-8");
        parse_event(ty.as_str(), content).unwrap_or_else(|e| panic!("{name}: {e}"));
        run(&name, 0, &bytes);
    }
}

#[test]
fn the_whole_corpus_directory_replays() {
    let mut n = 0;
    for entry in std::fs::read_dir(corpus_dir()).expect("corpus dir") {
        let path = entry.expect("dir entry").path();
        run(
            &path.display().to_string(),
            0,
            &std::fs::read(&path).expect("read"),
        );
        n += 1;
    }
    assert!(n >= G2cEventType::ALL.len());
}

#[test]
fn mutated_seeds_and_random_inputs() {
    let seed = 0x6_2c00_0001;
    let mut rng = Rng::with_seed(seed);
    let seeds: Vec<Vec<u8>> = seeds().into_iter().map(|(_, b)| b).collect();
    let mut accepted = 0;
    for _ in 0..4_000 {
        let base = rng.usize(..seeds.len());
        let input = mutate(&mut rng, &seeds[base]);
        run("mutation", seed, &input);
        let ty = harness::selected_type(input[0]);
        if ty
            .is_some_and(|t| parse_event(t.as_str(), &String::from_utf8_lossy(&input[1..])).is_ok())
        {
            accepted += 1;
        }
    }
    // Some mutations (a changed character inside a text) stay valid: the
    // accepted path with its round-trip checks is exercised too.
    assert!(accepted > 0, "no mutation stayed valid");
    for _ in 0..1_000 {
        let len = rng.usize(..256);
        let input: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        run("random", seed, &input);
    }
}

#[test]
fn hostile_shapes_are_refused_without_panicking() {
    let choice = harness::selector_of(G2cEventType::Choice);
    let options: Vec<String> = (0..10_000)
        .map(|i| format!(r#"{{"id":"o{i}","label":"Option {i}"}}"#))
        .collect();
    let many_options = format!(
        r#"{{"body":"b","question":"q","mode":"single","options":[{}]}}"#,
        options.join(",")
    );
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let inputs = [many_options, deep, "\"".repeat(70_000), "{".to_owned()];
    for content in inputs {
        let mut input = vec![choice];
        input.extend_from_slice(content.as_bytes());
        run("hostile shape", 0, &input);
        assert!(parse_event(G2cEventType::Choice.as_str(), &content).is_err());
    }
}
