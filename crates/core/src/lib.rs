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
//! - [`keychain`]: secrets (session, store key, recovery key) in the OS
//!   keychain, never anywhere else.

pub mod keychain;

pub use keychain::{Keychain, KeychainError, SecretString, StoreKey, StoredSession};
