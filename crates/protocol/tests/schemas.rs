//! The committed schemas in `docs/schemas/` equal the generated ones, and
//! the examples validate (or fail) against them.
//!
//! Regenerate with `UPDATE_SCHEMAS=1 cargo test -p g2c-protocol --test schemas`.

mod common;

use std::path::PathBuf;

use g2c_protocol::G2cEventType;
use g2c_protocol::schema::{file_name, schema_file_text, schema_for_event};
use serde_json::Value;

fn schemas_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas")
}

#[test]
fn committed_schemas_are_up_to_date() {
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for &ty in G2cEventType::ALL {
        let path = schemas_dir().join(file_name(ty));
        let generated = schema_file_text(ty);
        if update {
            std::fs::create_dir_all(schemas_dir()).unwrap();
            std::fs::write(&path, &generated).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(generated.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "schemas differ from the code; run UPDATE_SCHEMAS=1 cargo test -p g2c-protocol --test schemas: {stale:?}"
    );
}

fn validator(short: &str) -> jsonschema::Validator {
    let ty = G2cEventType::ALL
        .iter()
        .copied()
        .find(|t| t.short_name() == short)
        .unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema_for_event(ty))
        .unwrap_or_else(|e| panic!("schema of {short} does not compile: {e}"))
}

#[test]
fn valid_examples_match_their_schema() {
    for (short, stem, json) in common::examples("valid") {
        let value: Value = serde_json::from_str(&json).unwrap();
        let validator = validator(&short);
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{stem}: {errors:?}");
    }
}

/// Invalid examples whose fault only `Validate` can see (rules across
/// fields or against the time zone database).
const NOT_SCHEMA_CHECKABLE: &[&str] = &[
    "appointment_offer__duplicate_slot_id",
    "appointment_offer__end_before_start",
    "appointment_offer__unknown_time_zone",
    "request__blank_service_name",
];

#[test]
fn invalid_examples_fail_their_schema() {
    for (short, stem, json) in common::examples("invalid") {
        let value: Value = serde_json::from_str(&json).unwrap();
        let valid = validator(&short).is_valid(&value);
        if NOT_SCHEMA_CHECKABLE.contains(&stem.as_str()) {
            assert!(valid, "{stem} is now caught by the schema: update the list");
        } else {
            assert!(!valid, "{stem} passes its schema");
        }
    }
}
