//! The values commands return and events carry.

use serde::Serialize;
use ts_rs::TS;

/// What the app is: shown in the UI's footer and the about dialog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppInfo {
    /// The product name, e.g. "Amtsbote".
    pub name: String,
    /// The app's version, from its Cargo package.
    pub version: String,
    /// The reverse-DNS application identifier.
    pub identifier: String,
}

/// An error a command returns to the UI: a stable code the UI translates,
/// never a secret or a raw internal message meant for developers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[serde(tag = "code", rename_all = "camelCase")]
#[ts(export)]
pub enum CommandError {
    /// Something failed that the UI cannot help with; details are in the log.
    #[error("internal error")]
    Internal,
}
