//! Property tests of `parse_event`: generated valid contents of every type
//! round-trip (JSON → `parse_event` → JSON is the identity) and validate;
//! arbitrary JSON values and byte strings never panic and either parse to
//! something that validates or return a typed error; mutations of valid
//! contents (a removed required field, an over-long text, a duplicate id)
//! are refused. Case counts are modest for the 2-core CI machine.

mod common;

use g2c_protocol::G2cEvent;
use g2c_protocol::limits::{
    MAX_ANSWER_CHARS, MAX_FILE_BYTES, MAX_LABEL_CHARS, MAX_NOTICE_TEXT_CHARS, MAX_TEXT_CHARS,
};
use g2c_protocol::{G2cEventType, ParseError, Validate, ValidationError, parse_event};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(64)
}

fn ty(short: &str) -> String {
    common::full_type(short)
}

/// Serializes a parsed content back to JSON and validates it again.
fn reserialize_and_validate(event: &G2cEvent) -> Value {
    use g2c_protocol::prompt::Prompt as P;
    use g2c_protocol::response::Response as R;
    fn both<T: serde::Serialize + Validate>(c: &T) -> Value {
        c.validate().expect("a parsed content validates again");
        serde_json::to_value(c).expect("serialize")
    }
    match event {
        G2cEvent::Request(c) => both(c),
        G2cEvent::Status(c) => both(c),
        G2cEvent::Prompt(P::Inquiry(c)) => both(c),
        G2cEvent::Prompt(P::AppointmentOffer(c)) => both(c),
        G2cEvent::Prompt(P::DocumentRequest(c)) => both(c),
        G2cEvent::Prompt(P::Choice(c)) => both(c),
        G2cEvent::Prompt(P::Notice(c)) => both(c),
        G2cEvent::Response(R::InquiryAnswer(c)) => both(c),
        G2cEvent::Response(R::AppointmentSelection(c)) => both(c),
        G2cEvent::Response(R::DocumentsSubmission(c)) => both(c),
        G2cEvent::Response(R::ChoiceSelection(c)) => both(c),
        G2cEvent::Response(R::NoticeAcknowledgement(c)) => both(c),
        G2cEvent::DocumentsReceived(c) => both(c),
    }
}

// ---------------------------------------------------------------- strategies

/// One line of text: any characters but controls (markup and script
/// included, which is text like any other), not blank.
fn line(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[^\\p{{Cc}}]{{1,{max}}}"))
        .expect("regex")
        .prop_filter("not blank", |s| !s.trim().is_empty())
}

/// Multi-line text: line feeds and tabs allowed.
fn multiline(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("([^\\p{{Cc}}]|\n|\t){{1,{max}}}"))
        .expect("regex")
        .prop_filter("not blank", |s| !s.trim().is_empty())
}

fn local_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~-]{1,64}"
}

/// Between `min` and `max` distinct local ids.
fn unique_ids(min: usize, max: usize) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::btree_set(local_id(), min..=max).prop_map(|s| s.into_iter().collect())
}

fn event_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{43}".prop_map(|s| format!("${s}"))
}

fn sha256() -> impl Strategy<Value = String> {
    "[0-9a-f]{64}"
}

fn mxc() -> impl Strategy<Value = String> {
    ("[a-z0-9]{1,20}\\.example", "[A-Za-z0-9_-]{1,40}")
        .prop_map(|(server, media)| format!("mxc://{server}/{media}"))
}

/// An instant between 1990 and 2100, in seconds.
fn instant() -> impl Strategy<Value = i64> {
    631_152_000i64..4_102_444_800i64
}

const ZONES: &[&str] = &["Europe/Berlin", "UTC", "America/New_York", "Asia/Kolkata"];

/// An RFC 3339 timestamp written with the offset `zone` has at that instant.
fn rfc3339_in(seconds: i64, zone: &str) -> String {
    let ts = jiff::Timestamp::from_second(seconds).expect("in range");
    let tz = jiff::tz::TimeZone::get(zone).expect("bundled zone");
    let offset = tz.to_offset(ts).seconds();
    g2c_protocol::datetime::Rfc3339::from_timestamp(ts, offset)
        .as_str()
        .to_owned()
}

fn rfc3339() -> impl Strategy<Value = String> {
    (instant(), proptest::sample::select(ZONES)).prop_map(|(s, z)| rfc3339_in(s, z))
}

const MIME_TYPES: &[&str] = &[
    "application/pdf",
    "image/*",
    "image/jpeg",
    "image/png",
    "text/plain",
];

/// The `body` / `m.text` fallback every message-like content carries.
fn with_fallback(body: String, mut fields: Map<String, Value>) -> Value {
    fields.insert("body".into(), json!(body));
    fields.insert("m.text".into(), json!([{ "body": body }]));
    Value::Object(fields)
}

fn relation(event_id: &str) -> Value {
    json!({ "rel_type": "m.reference", "event_id": event_id })
}

fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("an object literal"),
    }
}

/// An unencrypted file reference (`url` form).
fn file_ref() -> impl Strategy<Value = Value> {
    (
        mxc(),
        // A file name: one line, no path separators.
        proptest::string::string_regex("[^\\p{Cc}/\\\\]{1,60}")
            .expect("regex")
            .prop_filter("not blank", |s| !s.trim().is_empty()),
        proptest::sample::select(MIME_TYPES),
        1..=MAX_FILE_BYTES,
        sha256(),
    )
        .prop_map(|(url, name, mime, size, hash)| {
            let mime = if mime == "image/*" { "image/png" } else { mime };
            json!({ "url": url, "name": name, "mimetype": mime, "size": size, "sha256": hash })
        })
}

fn request() -> impl Strategy<Value = Value> {
    (
        line(80),
        line(80),
        "[A-Za-z0-9/ ._-]{0,30}[A-Za-z0-9]",
        rfc3339(),
        proptest::option::of(multiline(300)),
        // A BCP 47 tag: 2-3 letters, up to three subtags (at most 30 chars).
        proptest::option::of("[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}"),
    )
        .prop_map(
            |(service, authority, reference, at, description, language)| {
                let mut v = json!({
                    "service_name": service,
                    "authority_name": authority,
                    "reference_number": reference,
                    "submitted_at": at,
                });
                if let Some(d) = description {
                    v["description"] = json!(d);
                }
                if let Some(l) = language {
                    v["language"] = json!(l);
                }
                v
            },
        )
}

fn status() -> impl Strategy<Value = Value> {
    (
        proptest::sample::select(g2c_protocol::request::Status::KNOWN),
        proptest::option::of(multiline(200)),
    )
        .prop_map(|(status, note)| {
            let mut v = json!({ "status": status });
            if let Some(n) = note {
                v["note"] = json!(n);
            }
            v
        })
}

fn inquiry() -> impl Strategy<Value = Value> {
    (
        multiline(200),
        multiline(300),
        any::<bool>(),
        proptest::option::of(1..=MAX_ANSWER_CHARS as u32),
        proptest::option::of(rfc3339()),
    )
        .prop_map(|(body, question, attachments, max, expires)| {
            let mut f = obj(json!({ "question": question, "attachments_allowed": attachments }));
            if let Some(m) = max {
                f.insert("max_answer_length".into(), json!(m));
            }
            if let Some(e) = expires {
                f.insert("expires_at".into(), json!(e));
            }
            with_fallback(body, f)
        })
}

fn slot(id: String) -> impl Strategy<Value = Value> {
    (
        instant(),
        1i64..(8 * 3600),
        proptest::sample::select(ZONES),
        line(80),
        proptest::option::of(multiline(120)),
    )
        .prop_map(move |(start, minutes, zone, place, address)| {
            let mut v = json!({
                "id": id,
                "start": rfc3339_in(start, zone),
                "end": rfc3339_in(start + minutes, zone),
                "time_zone": zone,
                "place": place,
            });
            if let Some(a) = address {
                v["address"] = json!(a);
            }
            v
        })
}

fn appointment_offer() -> impl Strategy<Value = Value> {
    (
        multiline(200),
        multiline(300),
        unique_ids(1, 8).prop_flat_map(|ids| ids.into_iter().map(slot).collect::<Vec<_>>()),
        any::<bool>(),
    )
        .prop_map(|(body, text, slots, none)| {
            with_fallback(
                body,
                obj(json!({ "text": text, "slots": slots, "none_of_the_above_allowed": none })),
            )
        })
}

fn requested_document(id: String) -> impl Strategy<Value = Value> {
    (
        line(80),
        proptest::option::of(multiline(200)),
        proptest::sample::subsequence(MIME_TYPES, 1..=MIME_TYPES.len()),
        1..=MAX_FILE_BYTES,
        any::<bool>(),
    )
        .prop_map(move |(title, description, mimes, max_size, required)| {
            let mut v = json!({
                "id": id,
                "title": title,
                "accepted_mimetypes": mimes,
                "max_size": max_size,
                "required": required,
            });
            if let Some(d) = description {
                v["description"] = json!(d);
            }
            v
        })
}

fn document_request() -> impl Strategy<Value = Value> {
    (
        multiline(200),
        multiline(300),
        unique_ids(1, 5)
            .prop_flat_map(|ids| ids.into_iter().map(requested_document).collect::<Vec<_>>()),
    )
        .prop_map(|(body, text, documents)| {
            with_fallback(body, obj(json!({ "text": text, "documents": documents })))
        })
}

fn choice() -> impl Strategy<Value = Value> {
    (
        multiline(200),
        multiline(300),
        proptest::sample::select(&["single", "multiple"][..]),
        unique_ids(2, 10).prop_flat_map(|ids| {
            ids.into_iter()
                .map(|id| {
                    line(MAX_LABEL_CHARS.min(80)).prop_map(move |l| json!({ "id": id, "label": l }))
                })
                .collect::<Vec<_>>()
        }),
    )
        .prop_map(|(body, question, mode, options)| {
            with_fallback(
                body,
                obj(json!({ "question": question, "mode": mode, "options": options })),
            )
        })
}

fn notice() -> impl Strategy<Value = Value> {
    (
        multiline(200),
        proptest::sample::select(g2c_protocol::prompt::notice::NoticeKind::KNOWN),
        line(120),
        multiline(500),
        proptest::collection::vec(file_ref(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(body, kind, title, text, attachments, ack)| {
            let mut f = obj(json!({
                "notice_kind": kind,
                "title": title,
                "text": text,
                "requires_acknowledgement": ack,
            }));
            if !attachments.is_empty() {
                f.insert("attachments".into(), json!(attachments));
            }
            with_fallback(body, f)
        })
}

fn inquiry_answer() -> impl Strategy<Value = Value> {
    (
        multiline(200),
        event_id(),
        multiline(400),
        proptest::collection::vec(file_ref(), 0..3),
    )
        .prop_map(|(body, prompt, text, attachments)| {
            let mut f = obj(json!({ "m.relates_to": relation(&prompt), "text": text }));
            if !attachments.is_empty() {
                f.insert("attachments".into(), json!(attachments));
            }
            with_fallback(body, f)
        })
}

fn appointment_selection() -> impl Strategy<Value = Value> {
    (multiline(200), event_id(), proptest::option::of(local_id())).prop_map(
        |(body, prompt, slot)| {
            let mut f = obj(json!({ "m.relates_to": relation(&prompt) }));
            match slot {
                Some(id) => f.insert("slot_id".into(), json!(id)),
                None => f.insert("none_of_the_above".into(), json!(true)),
            };
            with_fallback(body, f)
        },
    )
}

fn documents_submission() -> impl Strategy<Value = Value> {
    (
        multiline(200),
        event_id(),
        unique_ids(1, 4).prop_flat_map(|ids| {
            ids.into_iter()
                .map(|id| {
                    proptest::collection::vec(file_ref(), 1..3)
                        .prop_map(move |files| json!({ "document_id": id, "files": files }))
                })
                .collect::<Vec<_>>()
        }),
    )
        .prop_map(|(body, prompt, documents)| {
            with_fallback(
                body,
                obj(json!({ "m.relates_to": relation(&prompt), "documents": documents })),
            )
        })
}

fn choice_selection() -> impl Strategy<Value = Value> {
    (multiline(200), event_id(), unique_ids(1, 6)).prop_map(|(body, prompt, ids)| {
        with_fallback(
            body,
            obj(json!({ "m.relates_to": relation(&prompt), "option_ids": ids })),
        )
    })
}

fn notice_acknowledgement() -> impl Strategy<Value = Value> {
    (
        multiline(200),
        event_id(),
        proptest::collection::vec(sha256(), 0..4),
    )
        .prop_map(|(body, notice, hashes)| {
            with_fallback(
                body,
                obj(json!({
                    "m.relates_to": relation(&notice),
                    "notice_event_id": notice,
                    "attachment_sha256": hashes,
                })),
            )
        })
}

fn documents_received() -> impl Strategy<Value = Value> {
    (
        multiline(200),
        event_id(),
        proptest::collection::vec(sha256(), 1..5),
        proptest::option::of(multiline(200)),
    )
        .prop_map(|(body, submission, hashes, note)| {
            let mut f = obj(json!({
                "m.relates_to": relation(&submission),
                "submission_event_id": submission,
                "received_sha256": hashes,
            }));
            if let Some(n) = note {
                f.insert("note".into(), json!(n));
            }
            with_fallback(body, f)
        })
}

/// A valid content of any type, with its short type name.
fn any_valid() -> impl Strategy<Value = (&'static str, Value)> {
    prop_oneof![
        request().prop_map(|v| ("request", v)),
        status().prop_map(|v| ("status", v)),
        inquiry().prop_map(|v| ("inquiry", v)),
        appointment_offer().prop_map(|v| ("appointment_offer", v)),
        document_request().prop_map(|v| ("document_request", v)),
        choice().prop_map(|v| ("choice", v)),
        notice().prop_map(|v| ("notice", v)),
        inquiry_answer().prop_map(|v| ("inquiry_answer", v)),
        appointment_selection().prop_map(|v| ("appointment_selection", v)),
        documents_submission().prop_map(|v| ("documents_submission", v)),
        choice_selection().prop_map(|v| ("choice_selection", v)),
        notice_acknowledgement().prop_map(|v| ("notice_acknowledgement", v)),
        documents_received().prop_map(|v| ("documents_received", v)),
    ]
}

/// Arbitrary JSON, a few levels deep.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        "\\$[A-Za-z0-9]{1,43}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    "[a-z_.]{1,20}",
                    proptest::sample::select(
                        &[
                            "body",
                            "m.text",
                            "m.relates_to",
                            "rel_type",
                            "event_id",
                            "id",
                            "question",
                            "text",
                            "slots",
                            "options",
                            "mode",
                            "documents",
                            "status",
                        ][..]
                    )
                    .prop_map(str::to_owned),
                ],
                inner,
                0..8,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn any_type() -> impl Strategy<Value = G2cEventType> {
    proptest::sample::select(G2cEventType::ALL)
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(config())]

    /// Any JSON value, for every known type: no panic; Ok only for contents
    /// that validate, otherwise a typed error.
    #[test]
    fn arbitrary_json_never_panics(value in arbitrary_json(), event_type in any_type()) {
        match parse_event(event_type.as_str(), &value.to_string()) {
            Ok(event) => {
                prop_assert_eq!(event.event_type(), event_type);
                reserialize_and_validate(&event);
            }
            Err(ParseError::Malformed { .. } | ParseError::Invalid { .. } | ParseError::TooDeep { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }

    /// Any bytes (lossily decoded, as a Matrix client hands over text), for
    /// every known type: no panic, and never accepted unless it validates.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), event_type in any_type()) {
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(event) = parse_event(event_type.as_str(), &text) {
            reserialize_and_validate(&event);
        }
    }

    /// Removing any top-level field the type requires is refused.
    #[test]
    fn a_removed_required_field_is_refused((short, content) in any_valid(), pick in any::<prop::sample::Index>()) {
        let required = required_fields(short);
        let field = required[pick.index(required.len())];
        let mut broken = content.clone();
        broken.as_object_mut().unwrap().remove(field);
        let result = parse_event(&ty(short), &broken.to_string());
        prop_assert!(result.is_err(), "{short} without {field} was accepted");
    }

    /// A text one character over its limit is refused with `TooLong`.
    #[test]
    fn an_over_long_text_is_refused((short, content) in any_valid(), c in "[a-zA-Zäöü<>&]") {
        let Some((field, max)) = long_text_field(short) else { return Ok(()) };
        let mut broken = content.clone();
        broken[field] = json!(c.repeat(max + 1));
        match parse_event(&ty(short), &broken.to_string()) {
            Err(ParseError::Invalid { source: ValidationError::TooLong { max: m, .. }, .. }) => {
                prop_assert_eq!(m, max);
            }
            other => prop_assert!(false, "{short}.{field}: {other:?}"),
        }
    }

    /// Duplicating an id in a list that needs unique ids is refused.
    #[test]
    fn a_duplicate_id_is_refused((short, content) in any_valid(), pick in any::<prop::sample::Index>()) {
        let Some(list) = unique_list(short) else { return Ok(()) };
        let mut broken = content.clone();
        let items = broken[list].as_array_mut().unwrap();
        let copy = items[pick.index(items.len())].clone();
        items.push(copy);
        match parse_event(&ty(short), &broken.to_string()) {
            Err(ParseError::Invalid { source: ValidationError::DuplicateId { .. }, .. }) => {}
            other => prop_assert!(false, "{short}.{list} with a duplicate: {other:?}"),
        }
    }
}

/// JSON → parse_event → JSON is the identity, and the typed content
/// validates; one property (64 cases) per event type.
macro_rules! round_trips {
    ($($test:ident: $short:literal => $strategy:expr,)+) => {
        proptest! {
            #![proptest_config(config())]
            $(
                #[test]
                fn $test(content in $strategy) {
                    round_trip($short, content)?;
                }
            )+
        }
    };
}

fn round_trip(short: &str, content: Value) -> Result<(), TestCaseError> {
    let event = parse_event(&ty(short), &content.to_string())
        .map_err(|e| TestCaseError::fail(format!("{short}: {e}\n{content:#}")))?;
    prop_assert_eq!(event.event_type().short_name(), short);
    prop_assert_eq!(reserialize_and_validate(&event), content);
    Ok(())
}

round_trips! {
    request_round_trips: "request" => request(),
    status_round_trips: "status" => status(),
    inquiry_round_trips: "inquiry" => inquiry(),
    appointment_offer_round_trips: "appointment_offer" => appointment_offer(),
    document_request_round_trips: "document_request" => document_request(),
    choice_round_trips: "choice" => choice(),
    notice_round_trips: "notice" => notice(),
    inquiry_answer_round_trips: "inquiry_answer" => inquiry_answer(),
    appointment_selection_round_trips: "appointment_selection" => appointment_selection(),
    documents_submission_round_trips: "documents_submission" => documents_submission(),
    choice_selection_round_trips: "choice_selection" => choice_selection(),
    notice_acknowledgement_round_trips: "notice_acknowledgement" => notice_acknowledgement(),
    documents_received_round_trips: "documents_received" => documents_received(),
}

/// Top-level fields that must be present (by the protocol, see docs/schemas/).
fn required_fields(short: &str) -> &'static [&'static str] {
    match short {
        "request" => &[
            "service_name",
            "authority_name",
            "reference_number",
            "submitted_at",
        ],
        "status" => &["status"],
        "inquiry" => &["body", "question"],
        "appointment_offer" => &["body", "text", "slots"],
        "document_request" => &["body", "text", "documents"],
        "choice" => &["body", "question", "mode", "options"],
        "notice" => &["body", "notice_kind", "title", "text"],
        "inquiry_answer" => &["body", "m.relates_to", "text"],
        "appointment_selection" => &["body", "m.relates_to"],
        "documents_submission" => &["body", "m.relates_to", "documents"],
        "choice_selection" => &["body", "m.relates_to", "option_ids"],
        "notice_acknowledgement" => &["body", "m.relates_to", "notice_event_id"],
        "documents_received" => &[
            "body",
            "m.relates_to",
            "submission_event_id",
            "received_sha256",
        ],
        other => unreachable!("{other}"),
    }
}

/// One bounded text field per type and its limit.
fn long_text_field(short: &str) -> Option<(&'static str, usize)> {
    Some(match short {
        "request" => ("service_name", MAX_LABEL_CHARS),
        "inquiry" => ("question", MAX_TEXT_CHARS),
        "appointment_offer" => ("text", MAX_TEXT_CHARS),
        "document_request" => ("text", MAX_TEXT_CHARS),
        "choice" => ("question", MAX_TEXT_CHARS),
        "notice" => ("text", MAX_NOTICE_TEXT_CHARS),
        "inquiry_answer" => ("text", MAX_ANSWER_CHARS),
        _ => return None,
    })
}

/// The list whose items must have unique ids, per type.
fn unique_list(short: &str) -> Option<&'static str> {
    Some(match short {
        "appointment_offer" => "slots",
        "document_request" => "documents",
        "choice" => "options",
        "documents_submission" => "documents",
        "choice_selection" => "option_ids",
        _ => return None,
    })
}
