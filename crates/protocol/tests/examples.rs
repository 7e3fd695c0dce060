//! Every valid example parses, validates and round-trips; every invalid
//! example is rejected with the expected error.

mod common;

use g2c_protocol::{G2cEventType, ParseError, ValidationError, parse_event};
use serde_json::Value;

fn reserialize(event: &g2c_protocol::G2cEvent) -> Value {
    use g2c_protocol::G2cEvent as E;
    use g2c_protocol::prompt::Prompt as P;
    use g2c_protocol::response::Response as R;
    match event {
        E::Request(c) => serde_json::to_value(c),
        E::Status(c) => serde_json::to_value(c),
        E::Prompt(P::Inquiry(c)) => serde_json::to_value(c),
        E::Prompt(P::AppointmentOffer(c)) => serde_json::to_value(c),
        E::Prompt(P::DocumentRequest(c)) => serde_json::to_value(c),
        E::Prompt(P::Choice(c)) => serde_json::to_value(c),
        E::Prompt(P::Notice(c)) => serde_json::to_value(c),
        E::Response(R::InquiryAnswer(c)) => serde_json::to_value(c),
        E::Response(R::AppointmentSelection(c)) => serde_json::to_value(c),
        E::Response(R::DocumentsSubmission(c)) => serde_json::to_value(c),
        E::Response(R::ChoiceSelection(c)) => serde_json::to_value(c),
        E::Response(R::NoticeAcknowledgement(c)) => serde_json::to_value(c),
        E::DocumentsReceived(c) => serde_json::to_value(c),
    }
    .expect("serialize")
}

#[test]
fn every_event_type_has_a_valid_example() {
    let valid = common::examples("valid");
    for ty in G2cEventType::ALL {
        assert!(
            valid.iter().any(|(short, _, _)| short == ty.short_name()),
            "no valid example for {ty}"
        );
    }
}

#[test]
fn valid_examples_parse_and_round_trip() {
    for (short, stem, json) in common::examples("valid") {
        let event = parse_event(&common::full_type(&short), &json)
            .unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert_eq!(event.event_type().short_name(), short);
        let original: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(reserialize(&event), original, "{stem} does not round-trip");
    }
}

#[test]
fn unknown_extra_fields_are_tolerated() {
    for (short, stem, json) in common::examples("valid") {
        let mut value: Value = serde_json::from_str(&json).unwrap();
        value["org.example.future_field"] = serde_json::json!({"nested": [1, 2, 3]});
        parse_event(&common::full_type(&short), &value.to_string())
            .unwrap_or_else(|e| panic!("{stem} with an extra field: {e}"));
    }
}

/// The expected rejection of each invalid example.
fn expected(stem: &str, err: &ParseError) -> bool {
    use ValidationError as V;
    let invalid = |pred: &dyn Fn(&ValidationError) -> bool| matches!(err, ParseError::Invalid { source, .. } if pred(source));
    match stem {
        "status__unknown_status" | "choice__unknown_mode" => {
            err.is_unsupported() && invalid(&|v| matches!(v, V::UnknownValue { .. }))
        }
        "status__missing_status"
        | "inquiry__missing_body"
        | "inquiry_answer__bad_event_id"
        | "inquiry_answer__missing_relation" => matches!(err, ParseError::Malformed { .. }),
        "request__blank_service_name"
        | "appointment_offer__no_slots"
        | "documents_submission__no_files"
        | "choice_selection__empty"
        | "documents_received__no_hashes"
        | "choice__one_option" => invalid(&|v| matches!(v, V::Missing { .. })),
        "request__date_without_offset" => invalid(&|v| matches!(v, V::InvalidTimestamp { .. })),
        "request__reference_too_long" | "inquiry__question_too_long" => {
            invalid(&|v| matches!(v, V::TooLong { .. }))
        }
        "appointment_offer__end_before_start" => {
            invalid(&|v| matches!(v, V::EndNotAfterStart { .. }))
        }
        "appointment_offer__duplicate_slot_id" | "choice_selection__duplicate_option" => {
            invalid(&|v| matches!(v, V::DuplicateId { .. }))
        }
        "appointment_offer__unknown_time_zone" => {
            invalid(&|v| matches!(v, V::UnknownTimeZone { .. }))
        }
        "appointment_offer__bad_slot_id" => invalid(&|v| matches!(v, V::InvalidId { .. })),
        "document_request__zero_max_size" => invalid(&|v| matches!(v, V::InvalidSize { .. })),
        "document_request__bad_mime" => invalid(&|v| matches!(v, V::InvalidMimeType { .. })),
        "notice__bad_sha256" => invalid(&|v| matches!(v, V::InvalidHash { .. })),
        "notice__bad_mxc" => invalid(&|v| matches!(v, V::InvalidMxcUri { .. })),
        "request__bad_language" => invalid(&|v| matches!(v, V::InvalidLanguageTag { .. })),
        "inquiry_answer__wrong_rel_type" => invalid(&|v| matches!(v, V::InvalidRelation { .. })),
        "appointment_selection__both" | "appointment_selection__neither" => {
            invalid(&|v| matches!(v, V::Inconsistent { .. }))
        }
        other => panic!("no expectation for invalid example {other}"),
    }
}

#[test]
fn invalid_examples_are_rejected_with_the_expected_error() {
    let invalid = common::examples("invalid");
    assert!(invalid.len() >= 20);
    for (short, stem, json) in invalid {
        let err = parse_event(&common::full_type(&short), &json)
            .expect_err(&format!("{stem} was accepted"));
        assert!(expected(&stem, &err), "{stem}: unexpected error {err:?}");
    }
}
