//! Generated plain-text fallbacks: content, language, `m.text`.

mod common;

use g2c_protocol::fallback::TextFallback;
use g2c_protocol::ids::LocalId;
use g2c_protocol::prompt::*;
use g2c_protocol::receipt::DocumentsReceivedEventContent;
use g2c_protocol::response::*;
use g2c_protocol::{FallbackText, Language, Validate};
use ruma::owned_event_id;

fn offer(lang: Language) -> AppointmentOfferEventContent {
    let slot = |id: &str, start: &str, end: &str| AppointmentSlot {
        id: id.into(),
        start: start.into(),
        end: end.into(),
        time_zone: "Europe/Berlin".into(),
        place: "Fischereiamt Berlin".into(),
        address: None,
    };
    AppointmentOfferEventContent::new(
        "Ihr Angelschein kann abgeholt werden.",
        vec![
            slot(
                "a",
                "2025-09-19T09:00:00+02:00",
                "2025-09-19T09:30:00+02:00",
            ),
            slot("b", "2025-09-21T10:00:00Z", "2025-09-21T10:30:00Z"),
        ],
        true,
        lang,
    )
}

#[test]
fn appointment_offer_fallback_lists_local_times() {
    let content = offer(Language::De);
    content.validate().unwrap_err(); // slot b: Z is not Berlin's offset
    let body = &content.fallback.body;
    assert!(body.starts_with("Terminangebot der Behörde:"), "{body}");
    assert!(
        body.contains("1. 19.09.2025 09:00–09:30 (Europe/Berlin), Fischereiamt Berlin"),
        "{body}"
    );
    // 10:00Z is shown in the slot's zone: 12:00 in Berlin.
    assert!(body.contains("2. 21.09.2025 12:00–12:30"), "{body}");
    assert!(body.contains("Keiner dieser Termine passt"));
    assert_eq!(content.fallback.text.len(), 1);
    assert_eq!(content.fallback.text[0].body, *body);

    let english = offer(Language::En).fallback.body;
    assert!(english.contains("1. 2025-09-19 09:00–09:30"), "{english}");
    assert!(english.contains("None of these appointments"));
}

#[test]
fn selection_fallback_names_the_slot() {
    let content = offer(Language::De);
    let event = owned_event_id!("$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg");
    let pick = AppointmentSelectionEventContent::new(
        event.clone(),
        &content,
        Some(LocalId::from("a")),
        Language::De,
    );
    assert_eq!(
        pick.fallback.body,
        "Gewählter Termin: 19.09.2025 09:00–09:30 (Europe/Berlin), Fischereiamt Berlin"
    );
    let none = AppointmentSelectionEventContent::new(event, &content, None, Language::En);
    assert_eq!(
        none.fallback.body,
        "None of the offered appointments suits me."
    );
    assert!(none.none_of_the_above && none.slot_id.is_none());
    none.validate().unwrap();
}

#[test]
fn choice_fallbacks_use_labels() {
    let choice = ChoiceEventContent::new(
        "Wie möchten Sie den Angelschein erhalten?",
        ChoiceMode::Single,
        vec![
            ChoiceOption {
                id: "pickup".into(),
                label: "Abholung vor Ort".into(),
            },
            ChoiceOption {
                id: "mail".into(),
                label: "Zustellung per Post".into(),
            },
        ],
        Language::De,
    );
    choice.validate().unwrap();
    assert!(choice.fallback.body.contains("(eine Auswahl)"));
    assert!(
        choice
            .fallback
            .body
            .contains("\n1. Abholung vor Ort\n2. Zustellung per Post")
    );
    let event = owned_event_id!("$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg");
    let pick = ChoiceSelectionEventContent::new(event, &choice, vec!["mail".into()], Language::De);
    assert_eq!(pick.fallback.body, "Auswahl: Zustellung per Post");
}

#[test]
fn inquiry_and_document_request_fallbacks() {
    let mut inquiry = InquiryEventContent::new("Seit wann angeln Sie?", Language::En);
    assert!(
        inquiry
            .fallback
            .body
            .starts_with("Question from the authority:\n\nSeit wann angeln Sie?")
    );
    inquiry.max_answer_length = Some(300);
    inquiry.fill_fallback(Language::De);
    assert!(
        inquiry.fallback.body.contains("höchstens 300 Zeichen"),
        "{}",
        inquiry.fallback.body
    );

    let request = DocumentRequestEventContent::new(
        "Bitte reichen Sie ein:",
        vec![RequestedDocument {
            id: "id-card".into(),
            title: "Personalausweis".into(),
            description: Some("Vorder- und Rückseite".into()),
            accepted_mimetypes: vec!["image/*".into()],
            max_size: 1_000_000,
            required: true,
        }],
        Language::De,
    );
    request.validate().unwrap();
    assert!(
        request
            .fallback
            .body
            .contains("• Personalausweis (erforderlich): Vorder- und Rückseite")
    );
}

#[test]
fn notice_and_receipt_fallbacks_show_hashes() {
    let notice: NoticeEventContent = serde_json::from_str(
        &std::fs::read_to_string(common::examples_dir().join("valid/notice.json")).unwrap(),
    )
    .unwrap();
    let text = notice.fallback_text(Language::De);
    assert!(text.starts_with("Bescheid: Bescheid über die Erteilung"));
    assert!(text.contains("• Bescheid.pdf (SHA-256 9f86d081"));
    assert!(text.contains("Bitte bestätigen Sie den Empfang"));

    let receipt = DocumentsReceivedEventContent::new(
        owned_event_id!("$Bx9kQ2vWm3Zp8LrT5yN1aHcE7uJ4sDfG6oKiP0qXtVw"),
        vec![notice.attachments[0].sha256.clone()],
        Language::En,
    );
    receipt.validate().unwrap();
    assert!(
        receipt
            .fallback
            .body
            .starts_with("Receipt: 1 file(s) received.\nSHA-256 9f86d081")
    );
}

#[test]
fn blank_body_is_invalid() {
    let mut inquiry = InquiryEventContent::new("Frage?", Language::De);
    inquiry.validate().unwrap();
    inquiry.fallback = TextFallback::default();
    assert!(inquiry.validate().is_err());
}
