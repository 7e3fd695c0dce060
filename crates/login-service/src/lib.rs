//! The relying party that turns a successful eID authentication into a
//! Matrix login.
//!
//! An OpenID Connect provider for the homeserver whose user authentication
//! is an online eID authentication: it holds the terminal certificate and
//! key, runs Terminal and Chip Authentication through the citizen's relay,
//! reads the sector-specific pseudonym (Restricted Identification) and maps
//! it to a Matrix localpart.
//!
//! It must not depend on the citizen's app, the Matrix client or Tauri, and
//! never sees the PIN.
//!
//! Features: `server` (default) is the provider; `client` (default) is the
//! app's side of the relay protocol. The app depends on this crate with
//! `default-features = false, features = ["client"]`.

pub mod authenticator;
pub mod pseudonym;
pub mod relay;
