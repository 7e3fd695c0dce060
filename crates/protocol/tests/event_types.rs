//! The event type strings: one namespace, and the `#[ruma_event]` attributes
//! agree with the constants.

use g2c_protocol::G2cEventType;
use g2c_protocol::prompt::*;
use g2c_protocol::receipt::DocumentsReceivedEventContent;
use g2c_protocol::request::{RequestEventContent, StatusEventContent};
use g2c_protocol::response::*;
use ruma::events::StaticEventContent;

#[test]
fn derived_types_match_the_constants() {
    let derived = [
        (G2cEventType::Request, RequestEventContent::TYPE),
        (G2cEventType::Status, StatusEventContent::TYPE),
        (G2cEventType::Inquiry, InquiryEventContent::TYPE),
        (
            G2cEventType::AppointmentOffer,
            AppointmentOfferEventContent::TYPE,
        ),
        (
            G2cEventType::DocumentRequest,
            DocumentRequestEventContent::TYPE,
        ),
        (G2cEventType::Choice, ChoiceEventContent::TYPE),
        (G2cEventType::Notice, NoticeEventContent::TYPE),
        (G2cEventType::InquiryAnswer, InquiryAnswerEventContent::TYPE),
        (
            G2cEventType::AppointmentSelection,
            AppointmentSelectionEventContent::TYPE,
        ),
        (
            G2cEventType::DocumentsSubmission,
            DocumentsSubmissionEventContent::TYPE,
        ),
        (
            G2cEventType::ChoiceSelection,
            ChoiceSelectionEventContent::TYPE,
        ),
        (
            G2cEventType::NoticeAcknowledgement,
            NoticeAcknowledgementEventContent::TYPE,
        ),
        (
            G2cEventType::DocumentsReceived,
            DocumentsReceivedEventContent::TYPE,
        ),
    ];
    assert_eq!(derived.len(), G2cEventType::ALL.len());
    for (ty, derived) in derived {
        assert_eq!(ty.as_str(), derived);
        assert!(derived.starts_with(g2c_protocol::NAMESPACE));
        assert_eq!(&derived[g2c_protocol::NAMESPACE.len()..], ty.short_name());
        assert_eq!(G2cEventType::from_event_type(derived), Some(ty));
    }
}
