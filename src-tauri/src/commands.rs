//! The app's IPC commands: thin adapters from the UI's intents to the
//! application crates. No business logic lives here.

use crate::ipc::AppInfo;

/// Tells the UI which app and version it runs in.
#[tauri::command]
pub fn app_info<R: tauri::Runtime>(app: tauri::AppHandle<R>) -> AppInfo {
    let package = app.package_info();
    AppInfo {
        name: package.name.clone(),
        version: package.version.to_string(),
        identifier: app.config().identifier.clone(),
    }
}
