//! The citizen's Matrix client.
//!
//! Login (SSO login token from the eID login), the session kept in the OS
//! keychain, sync, end-to-end encryption and trust, the model of the
//! citizen's requests and their documents. It turns what the homeserver
//! sends into typed events for a UI, and the UI's intents into Matrix sends.
//!
//! It must not depend on Tauri or any UI toolkit, nor on the card: the eID
//! login hands it a login token, nothing more.
//!
//! # Modules
//!
//! - [`account`]: the account's devices and this computer's preferences.
//! - [`attestation`]: the eID attestation of the citizen's master key,
//!   published in every request room for the authorities.
//! - [`keychain`]: secrets (session, store key, recovery key) in the OS
//!   keychain, never anywhere else.
//! - [`session`]: [`CitizenClient`]: login, offline restore, logout.
//! - [`e2ee`]: cross-signing, key backup and recovery by default.
//! - `room_events`: a room's events from the event cache (store first).
//! - [`rooms`]: encrypted request rooms; refusing unencrypted ones.
//! - [`sync`]: the sync loop, reconnects and the connection state.
//! - [`send`]: sending through the persistent send queue.
//! - [`document_outbox`]: documents answered offline, stored encrypted
//!   and uploaded when the network returns.
//! - [`request_page`]: one request's page and the citizen's answers.
//! - `summary_store`: request summaries kept in the encrypted store and
//!   reused while a room's latest event is unchanged.
//! - [`events`]: the serde-serializable event stream for the UI.
//! - [`trust`]: authorities verified by X.509, room keys only to
//!   verified devices, marked senders.
//! - [`error`]: the error type, [`CoreError`].

pub mod account;
pub mod attestation;
mod cache_updates;
pub mod document_outbox;
pub mod documents;
pub mod e2ee;
pub mod error;
pub mod events;
mod invites;
pub mod keychain;
pub mod request_page;
pub mod requests;
mod room_events;
pub mod rooms;
pub mod send;
pub mod session;
mod summary_store;
pub mod sync;
pub mod trust;

pub use e2ee::RecoveryStatus;
pub use error::CoreError;
pub use events::{ConnectionState, CoreEvent, SendState};
pub use keychain::{Keychain, KeychainError, SecretString, StoreKey, StoredSession};
pub use rooms::{Membership, RoomSummary};
pub use send::OutgoingMessage;
pub use session::{CitizenClient, LogoutReport, Profile};
pub use sync::SyncOptions;
