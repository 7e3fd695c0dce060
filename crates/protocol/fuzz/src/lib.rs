//! Harness body for the G2C protocol parser, `g2c_protocol::parse_event`.
//!
//! Input: one selector byte choosing the event type (the 13 known types in
//! protocol order, then one unknown type), followed by the content as bytes
//! (decoded lossily as UTF-8, as a Matrix client would hand over text).
//! Properties checked for every input: no panic; an unknown type is refused
//! as such; an accepted content has the selected type, validates again,
//! re-serializes to JSON that parses to the same JSON (a fixed point), and
//! has a non-empty plain-text fallback; an error's message is bounded, so
//! hostile input quoted in it cannot flood a log or the UI.
//!
//! The cargo-fuzz target in `fuzz_targets/` calls [`parse_event`]; the same
//! file is compiled into `crates/protocol/tests/fuzz_replay.rs`, which
//! replays the seed corpus and deterministic pseudo-random inputs on stable
//! Rust in CI. Only `g2c_protocol` and `serde_json` paths are used, so this
//! file works as a crate root and as a module of a test.

use g2c_protocol::prompt::Prompt;
use g2c_protocol::response::Response;
use g2c_protocol::{
    FallbackText, G2cEvent, G2cEventType, Language, ParseError, Validate, parse_event as parse,
};

/// The event type a selector byte chooses; `None` for the unknown type.
pub fn selected_type(selector: u8) -> Option<G2cEventType> {
    let all = G2cEventType::ALL;
    all.get(usize::from(selector) % (all.len() + 1)).copied()
}

/// The selector byte of a known event type (its index in protocol order).
pub fn selector_of(ty: G2cEventType) -> u8 {
    G2cEventType::ALL
        .iter()
        .position(|t| *t == ty)
        .expect("a known type") as u8
}

/// An event type this protocol version does not know.
pub const UNKNOWN_TYPE: &str = "de.amtsbote.g2c.v2.inquiry";

/// Longest error message, in characters, for any input.
pub const MAX_ERROR_CHARS: usize = 1_024;

/// Re-serializes an accepted content after validating it again.
fn reserialize(event: &G2cEvent) -> String {
    fn check<T: serde::Serialize + Validate>(c: &T) -> String {
        c.validate().expect("an accepted content validates again");
        serde_json::to_string(c).expect("an accepted content serializes")
    }
    match event {
        G2cEvent::Request(c) => check(c),
        G2cEvent::Status(c) => check(c),
        G2cEvent::Prompt(Prompt::Inquiry(c)) => check(c),
        G2cEvent::Prompt(Prompt::AppointmentOffer(c)) => check(c),
        G2cEvent::Prompt(Prompt::DocumentRequest(c)) => check(c),
        G2cEvent::Prompt(Prompt::Choice(c)) => check(c),
        G2cEvent::Prompt(Prompt::Notice(c)) => check(c),
        G2cEvent::Response(Response::InquiryAnswer(c)) => check(c),
        G2cEvent::Response(Response::AppointmentSelection(c)) => check(c),
        G2cEvent::Response(Response::DocumentsSubmission(c)) => check(c),
        G2cEvent::Response(Response::ChoiceSelection(c)) => check(c),
        G2cEvent::Response(Response::NoticeAcknowledgement(c)) => check(c),
        G2cEvent::DocumentsReceived(c) => check(c),
    }
}

/// The generated plain-text fallback of a message-like content (state
/// events have none).
fn fallback(event: &G2cEvent) -> Option<String> {
    let lang = Language::De;
    Some(match event {
        G2cEvent::Request(_) | G2cEvent::Status(_) => return None,
        G2cEvent::Prompt(Prompt::Inquiry(c)) => c.fallback_text(lang),
        G2cEvent::Prompt(Prompt::AppointmentOffer(c)) => c.fallback_text(lang),
        G2cEvent::Prompt(Prompt::DocumentRequest(c)) => c.fallback_text(lang),
        G2cEvent::Prompt(Prompt::Choice(c)) => c.fallback_text(lang),
        G2cEvent::Prompt(Prompt::Notice(c)) => c.fallback_text(lang),
        G2cEvent::Response(Response::InquiryAnswer(c)) => c.fallback_text(lang),
        G2cEvent::Response(Response::AppointmentSelection(c)) => c.fallback_text(lang),
        G2cEvent::Response(Response::DocumentsSubmission(c)) => c.fallback_text(lang),
        G2cEvent::Response(Response::ChoiceSelection(c)) => c.fallback_text(lang),
        G2cEvent::Response(Response::NoticeAcknowledgement(c)) => c.fallback_text(lang),
        G2cEvent::DocumentsReceived(c) => c.fallback_text(lang),
    })
}

fn check_error(error: &ParseError) {
    let message = error.to_string();
    assert!(!message.is_empty(), "an error says why");
    assert!(
        message.chars().count() <= MAX_ERROR_CHARS,
        "error message of {} chars",
        message.chars().count()
    );
}

/// Selector byte + content bytes → `parse_event`, with the properties above.
pub fn parse_event(data: &[u8]) {
    let Some((&selector, content)) = data.split_first() else {
        return;
    };
    let content = String::from_utf8_lossy(content);
    let Some(ty) = selected_type(selector) else {
        let error = parse(UNKNOWN_TYPE, &content).expect_err("an unknown type is refused");
        assert!(matches!(error, ParseError::UnknownEventType(_)));
        check_error(&error);
        return;
    };
    match parse(ty.as_str(), &content) {
        Ok(event) => {
            assert_eq!(event.event_type(), ty, "the selected type");
            let json = reserialize(&event);
            let again = parse(ty.as_str(), &json).expect("a re-serialized content parses");
            assert_eq!(reserialize(&again), json, "re-serializing is a fixed point");
            if let Some(text) = fallback(&event) {
                assert!(!text.trim().is_empty(), "a readable fallback");
            }
        }
        Err(error) => check_error(&error),
    }
}
