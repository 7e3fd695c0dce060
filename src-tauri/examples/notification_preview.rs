//! Shows the notification Amtsbote sends for a new prompt, through the same
//! decision ([`Watcher`]) and the same Linux notification as the app, for
//! screenshots (scripts/desktop-screenshots.sh) and for checking what a
//! notification server makes of it. Linux only.
//!
//! `cargo run -p amtsbote --example notification_preview [-- --with-authority]`

#[cfg(target_os = "linux")]
fn main() -> anyhow::Result<()> {
    use amtsbote_lib::notifications::{
        Language, NotificationSettings, RequestSnapshot, Watcher, desktop_notification,
    };
    use g2c_core::requests::RequestStatus;

    let settings = NotificationSettings {
        show_authority_name: std::env::args().any(|argument| argument == "--with-authority"),
        language: Language::from_environment(),
        ..NotificationSettings::default()
    };
    let request = |open_prompts| RequestSnapshot {
        room_id: "!preview:amtsbote.invalid".to_owned(),
        authority: "Landratsamt Musterkreis".to_owned(),
        status: Some(RequestStatus::ActionRequired),
        open_prompts,
        needs_action: true,
    };
    let mut watcher = Watcher::default();
    watcher.observe(&[request(0)], &settings);
    for notification in watcher.observe(&[request(1)], &settings) {
        println!("{}: {}", notification.title, notification.body);
        desktop_notification(&notification).show()?;
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("notification_preview shows Linux notifications only");
}
