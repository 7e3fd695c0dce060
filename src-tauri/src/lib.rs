//! The Tauri shell of Amtsbote: windows, IPC commands and events, and (in
//! later steps) tray, notifications and updater.
//!
//! This crate is thin on purpose. It wires the application crates (`core`,
//! `eid`, `protocol`) to the web UI in `ui/` through a typed contract
//! ([`ipc`]) and holds no business logic: anything that could be tested
//! without a window belongs in `crates/`. The UI never holds a secret; the
//! card, the keychain, the disk and the network are reached only from Rust.

pub mod commands;
pub mod ipc;

use tauri::Manager as _;

/// The label of the app's one window, as in `Tauri.conf.json`.
pub const MAIN_WINDOW: &str = "main";

/// Builds and runs the app until its last window closes.
pub fn run() -> tauri::Result<()> {
    tauri::Builder::default()
        // First, so a second start hands over to the running instance
        // before anything else happens.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("second start: focusing the running instance");
            focus_main_window(app);
        }))
        .invoke_handler(tauri::generate_handler![commands::app_info])
        .run(tauri::generate_context!())
}

fn focus_main_window<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        // Best effort: a window manager may refuse focus, which is no error.
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
