// The names of every command the app registers, in one place: the build
// script includes this file to generate one `allow-<name>` permission per
// command, the app checks its handler against it, and a test checks that
// ui/src/ipc/commands.ts wraps exactly these.
/// Every IPC command of the app, by its wire name. `login_with_password`
/// is registered only in builds with the `dev-login` feature (development
/// and demos); without it the UI's call fails as an unknown command.
pub const COMMAND_NAMES: &[&str] = &[
    "app_info",
    "session_state",
    "list_requests",
    "eid_readers",
    "eid_login_start",
    "eid_login_cancel",
    "eid_login_authenticate",
    "eid_unblock_pin",
    "eid_attestation_start",
    "eid_attestation_renew",
    "eid_attestation_state",
    "get_request",
    "answer_inquiry",
    "select_appointment",
    "select_choice",
    "prepare_documents",
    "submit_documents",
    "acknowledge_notice",
    "retry_send",
    "cancel_send",
    "open_attachment",
    "pick_documents",
    "login_with_password",
    "check_update",
    "install_update",
    "account_overview",
    "preferences",
    "set_preferences",
    "export_recovery_key",
    "reveal_recovery_key",
    "log_out",
];
