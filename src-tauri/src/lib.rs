//! The Tauri shell of Amtsbote: windows, IPC commands and events, and (in
//! later steps) tray, notifications and updater.
//!
//! This crate is thin on purpose. It wires the application crates (`core`,
//! `eid`, `protocol`) to the web UI in `ui/` through a typed contract
//! ([`ipc`]) and holds no business logic: anything that could be tested
//! without a window belongs in `crates/`. The UI never holds a secret; the
//! card, the keychain, the disk and the network are reached only from Rust.

pub mod commands;
pub mod config;
pub mod ipc;
pub mod notifications;
pub mod readers;
pub mod request_list;
pub mod session;
pub mod tray;
pub mod updater;

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
        .plugin(tauri_plugin_updater::Builder::new().build())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![tray::START_HIDDEN]),
        ))
        .on_window_event(tray::hide_instead_of_closing)
        .manage(updater::OfferedUpdate::default())
        .setup(|app| {
            let data_dir = app.path().app_data_dir()?;
            let profile = g2c_core::Profile::new(session::profile_name(), data_dir);
            let (core, restoring) = session::Core::new(profile.clone());
            app.manage(core);
            let readers = readers::Readers::default();
            readers.watch(app.handle().clone());
            app.manage(readers);
            app.manage(config::LoginConfig::from_env());
            app.manage(config::TrustRoots::from_env());
            app.manage(commands::login::PendingLogin::default());
            tauri::async_runtime::spawn(session::restore(app.handle().clone(), profile, restoring));
            updater::spawn_periodic_check(app.handle().clone());
            tray::setup_background(app.handle())?;
            Ok(())
        })
        .invoke_handler(handler())
        .run(tauri::generate_context!())
}

/// The app's command handler over `$extra` plus every command all builds
/// register. A macro rather than two lists, so the builds with and without
/// `dev-login` cannot drift apart (`generate_handler!` needs the paths
/// literally, hence no function taking a list).
macro_rules! app_handler {
    ($($extra:path),* $(,)?) => {
        tauri::generate_handler![
            commands::app_info,
            commands::session_state,
            commands::list_requests,
            commands::login::eid_readers,
            commands::login::eid_login_start,
            commands::login::eid_login_cancel,
            commands::login::eid_login_authenticate,
            commands::login::eid_unblock_pin,
            commands::login::eid_attestation_start,
            commands::login::eid_attestation_renew,
            commands::login::eid_attestation_state,
            updater::check_update,
            updater::install_update,
            commands::request::get_request,
            commands::request::answer_inquiry,
            commands::request::select_appointment,
            commands::request::select_choice,
            commands::request::prepare_documents,
            commands::request::submit_documents,
            commands::request::acknowledge_notice,
            commands::request::retry_send,
            commands::request::cancel_send,
            commands::request::open_attachment,
            commands::request::pick_documents,
            commands::settings::account_overview,
            commands::settings::preferences,
            commands::settings::set_preferences,
            commands::settings::export_recovery_key,
            commands::settings::reveal_recovery_key,
            commands::settings::log_out,
            $($extra),*
        ]
    };
}

#[cfg(feature = "dev-login")]
fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    app_handler![commands::login_with_password]
}

#[cfg(not(feature = "dev-login"))]
fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    app_handler![]
}

fn focus_main_window<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        // Best effort: a window manager may refuse focus, which is no error.
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
