//! The tray icon: the app keeps syncing while its window is closed, and
//! the tray is where the citizen sees that and gets back in.
//!
//! The menu shows how many requests wait for the citizen (the tooltip too,
//! where the platform has tooltips; on Linux the indicator's label carries
//! the number), opens the window, switches start at login
//! (tauri-plugin-autostart) and quits. Closing the window only hides it
//! (see `lib.rs`); quitting is here. The count comes from the notification
//! worker ([`crate::notifications`]), which re-reads the request list on
//! every change.

use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager as _, Runtime};
use tauri_plugin_autostart::ManagerExt as _;

use crate::notifications::{Language, action_summary};

const OPEN: &str = "tray-open";
const SUMMARY: &str = "tray-summary";
const AUTOSTART: &str = "tray-autostart";
const QUIT: &str = "tray-quit";

/// The tray icon and the menu items that change.
struct Tray<R: Runtime> {
    icon: TrayIcon<R>,
    summary: MenuItem<R>,
}

/// Adds the tray icon with its menu.
pub fn build<R: Runtime>(app: &AppHandle<R>, language: Language) -> tauri::Result<()> {
    let (open, autostart_label, quit) = match language {
        Language::German => ("Amtsbote öffnen", "Beim Anmelden starten", "Beenden"),
        Language::English => ("Open Amtsbote", "Start at login", "Quit"),
    };
    let summary = MenuItem::with_id(
        app,
        SUMMARY,
        action_summary(0, language),
        false,
        None::<&str>,
    )?;
    let autostart_on = app.autolaunch().is_enabled().unwrap_or(false);
    let menu = Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, OPEN, open, true, None::<&str>)?,
            &summary,
            &PredefinedMenuItem::separator(app)?,
            &CheckMenuItem::with_id(
                app,
                AUTOSTART,
                autostart_label,
                true,
                autostart_on,
                None::<&str>,
            )?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, QUIT, quit, true, None::<&str>)?,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("main")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .tooltip(tooltip(0, language))
        .on_menu_event(on_menu_event)
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                crate::focus_main_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let icon = builder.build(app)?;
    app.manage(Tray { icon, summary });
    Ok(())
}

/// Shows `count` requests needing action in the menu and tooltip.
pub fn set_action_count<R: Runtime>(app: &AppHandle<R>, count: usize, language: Language) {
    let Some(tray) = app.try_state::<Tray<R>>() else {
        return;
    };
    let results = [
        tray.summary.set_text(action_summary(count, language)),
        tray.icon.set_tooltip(Some(tooltip(count, language))),
        // The Linux indicator has no tooltip; its label shows the number.
        tray.icon.set_title((count > 0).then(|| count.to_string())),
    ];
    for result in results {
        if let Err(error) = result {
            tracing::debug!(%error, "could not update the tray");
        }
    }
}

fn tooltip(count: usize, language: Language) -> String {
    format!("Amtsbote – {}", action_summary(count, language))
}

fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    match event.id().as_ref() {
        OPEN => crate::focus_main_window(app),
        AUTOSTART => toggle_autostart(app),
        QUIT => {
            tracing::info!("quit from the tray");
            app.exit(0);
        }
        _ => {}
    }
}

fn toggle_autostart<R: Runtime>(app: &AppHandle<R>) {
    let autolaunch = app.autolaunch();
    let result = match autolaunch.is_enabled() {
        Ok(true) => autolaunch.disable(),
        Ok(false) => autolaunch.enable(),
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => tracing::info!(
            enabled = autolaunch.is_enabled().unwrap_or(false),
            "start at login switched"
        ),
        Err(error) => tracing::warn!(%error, "could not switch start at login"),
    }
}

/// The argument the login start passes: start in the tray, window hidden.
pub const START_HIDDEN: &str = "--hidden";

/// Sets up life in the background: the tray icon, the notification worker,
/// and, when started at login, a hidden window.
pub fn setup_background<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let notifier = std::sync::Arc::new(crate::notifications::Notifier::new());
    let language = notifier.settings().language;
    if let Err(error) = build(app, language) {
        // No tray host (some desktops): the app still works, it just cannot
        // be reopened from a tray after its window is closed.
        tracing::warn!(%error, "no tray icon");
    }
    crate::notifications::spawn_worker(app, notifier);
    if std::env::args().any(|argument| argument == START_HIDDEN)
        && let Some(window) = app.get_webview_window(crate::MAIN_WINDOW)
    {
        window.hide()?;
    }
    Ok(())
}

/// Closing the main window hides it: sync and notifications go on, the tray
/// brings it back, and *quit* in the tray ends the app.
pub fn hide_instead_of_closing<R: Runtime>(window: &tauri::Window<R>, event: &tauri::WindowEvent) {
    if let tauri::WindowEvent::CloseRequested { api, .. } = event
        && window.label() == crate::MAIN_WINDOW
        && window.app_handle().try_state::<Tray<R>>().is_some()
    {
        api.prevent_close();
        if let Err(error) = window.hide() {
            tracing::warn!(%error, "could not hide the window");
        }
    }
}
