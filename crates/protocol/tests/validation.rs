//! Validation rules that the example files do not cover: hostile input,
//! time zone offsets, control characters, and responses checked against
//! their prompts.

mod common;

use g2c_protocol::event::{APPOINTMENT_OFFER, CHOICE, INQUIRY, STATUS};
use g2c_protocol::prompt::{
    AppointmentOfferEventContent, ChoiceEventContent, DocumentRequestEventContent,
    InquiryEventContent, NoticeEventContent, Prompt,
};
use g2c_protocol::response::{
    AppointmentSelectionEventContent, ChoiceSelectionEventContent, DocumentsSubmissionEventContent,
    InquiryAnswerEventContent, NoticeAcknowledgementEventContent, Response,
};
use g2c_protocol::{G2cEvent, ParseError, Validate, ValidationError, parse_event};
use ruma::{OwnedEventId, owned_event_id};
use serde_json::{Value, json};

fn example(short: &str) -> Value {
    let path = common::examples_dir().join(format!("valid/{short}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn parse(short: &str, value: &Value) -> Result<G2cEvent, ParseError> {
    parse_event(&common::full_type(short), &value.to_string())
}

fn invalid(result: Result<G2cEvent, ParseError>) -> ValidationError {
    match result {
        Err(ParseError::Invalid { source, .. }) => source,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn prompt_event() -> OwnedEventId {
    owned_event_id!("$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg")
}

#[test]
fn unknown_event_type_is_unsupported() {
    let err = parse_event("de.amtsbote.g2c.v1.teleport", "{}").unwrap_err();
    assert!(matches!(err, ParseError::UnknownEventType(_)));
    assert!(err.is_unsupported());
    let err = parse_event("m.room.message", "{}").unwrap_err();
    assert!(matches!(err, ParseError::UnknownEventType(_)));
}

#[test]
fn deep_nesting_is_rejected_before_parsing() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let json = format!(r#"{{"status":"submitted","x":{deep}}}"#);
    let err = parse_event(STATUS, &json[..json.len().min(60_000)]).unwrap_err();
    assert!(matches!(err, ParseError::TooDeep { .. }), "{err:?}");
    // Brackets inside strings do not count.
    let ok = format!(
        r#"{{"status":"submitted","note":"{}"}}"#,
        "[[[[".repeat(100)
    );
    parse_event(STATUS, &ok).unwrap();
}

#[test]
fn huge_input_is_rejected_by_limits() {
    let huge = format!(
        r#"{{"status":"submitted","note":"{}"}}"#,
        "a".repeat(100_000)
    );
    assert!(matches!(
        parse_event(STATUS, &huge).unwrap_err(),
        ParseError::TooLarge { .. }
    ));
    let long = format!(r#"{{"status":"submitted","note":"{}"}}"#, "ä".repeat(4_001));
    assert!(matches!(
        invalid(parse_event(STATUS, &long)),
        ValidationError::TooLong { max: 4_000, .. }
    ));
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "",
        "null",
        "[]",
        "\"x\"",
        "{",
        "}}}}",
        "{\"status\":",
        "\u{0}",
        "{\"status\":1}",
        "{\"status\":\"submitted\",\"note\":\"\\ud800\"}",
    ];
    for ty in g2c_protocol::G2cEventType::ALL {
        for input in inputs {
            assert!(parse_event(ty.as_str(), input).is_err(), "{ty}: {input:?}");
        }
    }
}

#[test]
fn control_characters_are_rejected() {
    let mut value = example("request");
    value["service_name"] = json!("Angel\u{7}schein");
    assert!(matches!(
        invalid(parse("request", &value)),
        ValidationError::ControlCharacters { .. }
    ));
    // A line break is fine in a multi-line text, not in a one-line label.
    value["service_name"] = json!("Angel\nschein");
    assert!(parse("request", &value).is_err());
    let mut value = example("request");
    value["description"] = json!("Zeile 1\nZeile 2");
    parse("request", &value).unwrap();
}

#[test]
fn request_language_is_a_bcp47_tag_and_defaults_to_german() {
    use g2c_protocol::language::DEFAULT_LANGUAGE;
    use g2c_protocol::request::RequestEventContent;

    // An event from before the field existed: valid, German, and the
    // language stays absent on the wire.
    let mut old = example("request");
    old.as_object_mut().unwrap().remove("language");
    let Ok(G2cEvent::Request(request)) = parse("request", &old) else {
        panic!("an event without language is refused");
    };
    assert_eq!(request.language, None);
    assert_eq!(request.language_or_default(), DEFAULT_LANGUAGE);
    assert_eq!(DEFAULT_LANGUAGE, "de");
    assert_eq!(serde_json::to_value(&request).unwrap(), old);

    let mut english = example("request");
    english["language"] = json!("en-GB");
    let Ok(G2cEvent::Request(request)) = parse("request", &english) else {
        panic!("en-GB is refused");
    };
    let request: RequestEventContent = request;
    assert_eq!(request.language_or_default(), "en-GB");

    for bad in [
        "",
        "deutsch",
        "de_DE",
        "de-",
        "<span>",
        "de-CH-1996-abcdefghi",
    ] {
        let mut value = example("request");
        value["language"] = json!(bad);
        assert!(
            matches!(
                invalid(parse("request", &value)),
                ValidationError::InvalidLanguageTag { ref field, .. } if field == "language"
            ),
            "{bad:?}"
        );
    }
    let mut value = example("request");
    value["language"] = json!(42);
    assert!(matches!(
        parse("request", &value),
        Err(ParseError::Malformed { .. })
    ));
}

#[test]
fn timestamps_are_strict_rfc3339() {
    for bad in [
        "2025-09-01 10:15:00+02:00",
        "2025-09-01T10:15:00+0200",
        "2025-09-01t10:15:00z",
        "2025-02-30T10:15:00Z",
        "2025-09-01T25:15:00Z",
        "20250901T101500Z",
        "2025-09-01T10:15:00.1234567890Z",
    ] {
        let mut value = example("request");
        value["submitted_at"] = json!(bad);
        assert!(
            matches!(
                invalid(parse("request", &value)),
                ValidationError::InvalidTimestamp { .. }
            ),
            "{bad} accepted"
        );
    }
    for good in ["2025-09-01T08:15:00Z", "2025-09-01T10:15:00.250+02:00"] {
        let mut value = example("request");
        value["submitted_at"] = json!(good);
        parse("request", &value).unwrap();
    }
}

#[test]
fn slot_offset_must_match_its_time_zone() {
    // September in Berlin is +02:00, not +01:00.
    let mut value = example("appointment_offer");
    value["slots"][0]["start"] = json!("2025-09-19T09:00:00+01:00");
    value["slots"][0]["end"] = json!("2025-09-19T09:30:00+01:00");
    assert!(matches!(
        invalid(parse_event(APPOINTMENT_OFFER, &value.to_string())),
        ValidationError::OffsetMismatch { .. }
    ));
    // Time zone names are spelled exactly.
    let mut value = example("appointment_offer");
    value["slots"][0]["time_zone"] = json!("europe/berlin");
    assert!(matches!(
        invalid(parse_event(APPOINTMENT_OFFER, &value.to_string())),
        ValidationError::UnknownTimeZone { .. }
    ));
}

#[test]
fn encrypted_file_must_be_v2_with_sha256() {
    let mut value = example("notice");
    value["attachments"][0]["file"]["v"] = json!("v3");
    assert!(matches!(
        invalid(parse("notice", &value)),
        ValidationError::Inconsistent { .. }
    ));
    let mut value = example("notice");
    value["attachments"][0]["file"]["hashes"] = json!({});
    assert!(parse("notice", &value).is_err());
    let mut value = example("notice");
    value["attachments"][0]["file"]["key"]["alg"] = json!("A128CBC");
    assert!(matches!(
        parse("notice", &value).unwrap_err(),
        ParseError::Malformed { .. }
    ));
}

#[test]
fn list_limits_are_enforced() {
    let mut value = example("choice");
    let options: Vec<Value> = (0..51)
        .map(|i| json!({"id": format!("o{i}"), "label": "x"}))
        .collect();
    value["options"] = json!(options);
    assert!(matches!(
        invalid(parse_event(CHOICE, &value.to_string())),
        ValidationError::TooMany { max: 50, .. }
    ));
}

#[test]
fn max_answer_length_must_be_positive() {
    let mut value = example("inquiry");
    value["max_answer_length"] = json!(0);
    assert!(parse_event(INQUIRY, &value.to_string()).is_err());
    value["max_answer_length"] = json!(20_000);
    assert!(parse_event(INQUIRY, &value.to_string()).is_err());
}

#[test]
fn file_names_are_not_paths() {
    let mut value = example("documents_submission");
    value["documents"][0]["files"][0]["name"] = json!("../../etc/passwd");
    assert!(matches!(
        invalid(parse("documents_submission", &value)),
        ValidationError::Inconsistent { .. }
    ));
}

#[test]
fn acknowledgement_must_name_the_related_notice() {
    let mut value = example("notice_acknowledgement");
    value["notice_event_id"] = json!("$Bx9kQ2vWm3Zp8LrT5yN1aHcE7uJ4sDfG6oKiP0qXtVw");
    assert!(matches!(
        invalid(parse("notice_acknowledgement", &value)),
        ValidationError::InvalidRelation { .. }
    ));
}

fn typed<T: serde::de::DeserializeOwned + Validate>(short: &str) -> T {
    let value: T = serde_json::from_value(example(short)).unwrap();
    value.validate().unwrap();
    value
}

#[test]
fn answers_are_checked_against_the_inquiry() {
    let mut inquiry: InquiryEventContent = typed("inquiry");
    inquiry.max_answer_length = Some(5);
    let answer: InquiryAnswerEventContent = typed("inquiry_answer");
    assert!(matches!(
        answer.check_against(&inquiry),
        Err(ValidationError::TooLong { max: 5, .. })
    ));
    inquiry.max_answer_length = None;
    answer.check_against(&inquiry).unwrap();

    let file = typed::<NoticeEventContent>("notice").attachments[0].clone();
    let with_file = InquiryAnswerEventContent::new(
        prompt_event(),
        "siehe Anlage",
        vec![file],
        Default::default(),
    );
    inquiry.attachments_allowed = false;
    assert!(with_file.check_against(&inquiry).is_err());
    inquiry.attachments_allowed = true;
    with_file.check_against(&inquiry).unwrap();
}

#[test]
fn selections_are_checked_against_the_offer() {
    let mut offer: AppointmentOfferEventContent = typed("appointment_offer");
    let lang = Default::default();
    let pick = |id: Option<&str>, offer: &AppointmentOfferEventContent| {
        AppointmentSelectionEventContent::new(prompt_event(), offer, id.map(Into::into), lang)
    };
    pick(Some("s2"), &offer).check_against(&offer).unwrap();
    assert!(matches!(
        pick(Some("s9"), &offer).check_against(&offer),
        Err(ValidationError::UnknownId { .. })
    ));
    pick(None, &offer).check_against(&offer).unwrap();
    offer.none_of_the_above_allowed = false;
    assert!(pick(None, &offer).check_against(&offer).is_err());

    let choice: ChoiceEventContent = typed("choice");
    let select = |ids: &[&str]| {
        ChoiceSelectionEventContent::new(
            prompt_event(),
            &choice,
            ids.iter().map(|&i| i.into()).collect(),
            lang,
        )
    };
    select(&["mail"]).check_against(&choice).unwrap();
    assert!(select(&["mail", "pickup"]).check_against(&choice).is_err());
    assert!(select(&["drone"]).check_against(&choice).is_err());
}

#[test]
fn submissions_are_checked_against_the_request() {
    let request: DocumentRequestEventContent = typed("document_request");
    let submission: DocumentsSubmissionEventContent = typed("documents_submission");
    submission.check_against(&request).unwrap();

    let mut wrong_type = submission.clone();
    wrong_type.documents[0].files[0].mimetype = "application/zip".into();
    assert!(matches!(
        wrong_type.check_against(&request),
        Err(ValidationError::InvalidMimeType { .. })
    ));
    let mut too_big = submission.clone();
    too_big.documents[0].files[0].size = 10_485_761;
    assert!(matches!(
        too_big.check_against(&request),
        Err(ValidationError::InvalidSize { .. })
    ));
    let mut only_optional = submission.clone();
    only_optional.documents[0].document_id = "course-cert".into();
    only_optional.documents[0]
        .files
        .iter_mut()
        .for_each(|f| f.mimetype = "application/pdf".into());
    assert!(matches!(
        only_optional.check_against(&request),
        Err(ValidationError::Missing { .. })
    ));
    let mut unknown = submission;
    unknown.documents[0].document_id = "passport".into();
    assert!(matches!(
        unknown.check_against(&request),
        Err(ValidationError::UnknownId { .. })
    ));
}

#[test]
fn acknowledgement_hashes_must_match_the_notice() {
    let notice: NoticeEventContent = typed("notice");
    let ack: NoticeAcknowledgementEventContent = typed("notice_acknowledgement");
    let prompt = Prompt::Notice(notice.clone());
    Response::NoticeAcknowledgement(ack.clone())
        .check_against(&prompt)
        .unwrap();
    let mut tampered = ack.clone();
    tampered.attachment_sha256 =
        vec!["60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752".into()];
    assert!(tampered.check_against(&notice).is_err());
    // A response to a prompt of another kind is refused.
    let choice: ChoiceEventContent = typed("choice");
    assert!(matches!(
        Response::NoticeAcknowledgement(ack).check_against(&Prompt::Choice(choice)),
        Err(ValidationError::InvalidRelation { .. })
    ));
}
