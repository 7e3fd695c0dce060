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
//! Features: `server` (default) is the provider with the real eID step
//! ([`eac::EacAuthenticator`] on g2c-eid); `client` (default) is the app's
//! side of the relay protocol (HTTP around g2c-eid's card-side relay) and
//! [`sso`], the app's whole login walk through the homeserver. The app
//! depends on this crate with
//! `default-features = false, features = ["client"]`.

#[cfg(feature = "server")]
pub mod attestation;
pub mod authenticator;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "server")]
pub mod clock;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod eac;
#[cfg(feature = "server")]
pub mod http;
#[cfg(feature = "server")]
pub mod pkce;
#[cfg(feature = "server")]
pub mod provider;
pub mod pseudonym;
pub mod relay;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod signing;
#[cfg(feature = "client")]
pub mod sso;
#[cfg(all(test, feature = "server", feature = "client"))]
mod sso_tests;
#[cfg(all(test, feature = "server"))]
mod test_support;
