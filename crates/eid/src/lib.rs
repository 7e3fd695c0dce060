//! The German eID card (nPA) and eID-capable residence permits, over PC/SC.
//!
//! This crate talks to the card: it finds readers, recognises eID cards by
//! their EF.CardAccess, runs PACE with PIN, CAN, PUK or MRZ, wraps APDUs in
//! ISO 7816-4 secure messaging, manages the PIN (retry counter, suspension,
//! blocking, transport PIN change) and relays Terminal and Chip
//! Authentication for an eID service.
//!
//! It must not depend on Matrix, Tauri or any network code: it is the
//! auditable component that touches the card, and nothing else.

pub mod apdu;
pub mod ca;
pub mod card_access;
pub mod card_security;
pub mod crypto;
pub mod cvc;
#[cfg(test)]
mod e2e_tests;
pub mod eac;
pub mod ec;
#[cfg(any(test, feature = "fake-card"))]
pub mod fake_card;
pub mod online;
pub mod pace;
pub mod pin;
pub mod read_file;
pub mod reader;
pub mod relay;
pub mod ri;
pub mod secrets;
pub mod sm;
pub mod ta;
#[cfg(any(test, feature = "fake-card"))]
pub mod test_pki;
pub mod tlv;
pub mod transport;
