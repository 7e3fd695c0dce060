//! Shared helpers for the integration tests: the example files.

#![allow(dead_code)]

use std::path::PathBuf;

/// The directory of example contents.
pub fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/examples")
}

/// `(short event type, file stem, JSON text)` of every file in `valid/` or `invalid/`.
pub fn examples(kind: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(examples_dir().join(kind)).expect("examples dir") {
        let path = entry.expect("dir entry").path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let short = stem.split("__").next().unwrap().to_owned();
        out.push((
            short,
            stem,
            std::fs::read_to_string(&path).expect("read example"),
        ));
    }
    out.sort();
    out
}

/// The full event type for a short name.
pub fn full_type(short: &str) -> String {
    format!("{}{short}", g2c_protocol::NAMESPACE)
}
