//! The IPC contract seen from both ends: the commands the app registers are
//! exactly the ones ui/ wraps. (That each answers what the UI relies on is
//! checked end to end in tests/e2e, through the real IPC.)

use std::collections::BTreeSet;

use amtsbote_lib::ipc::COMMAND_NAMES;

/// The command names `ui/src/ipc/commands.ts` passes to `invoke`.
fn commands_wrapped_by_the_ui() -> BTreeSet<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/ipc/commands.ts");
    let source = std::fs::read_to_string(path).expect("ui/src/ipc/commands.ts exists");
    source
        .split("invoke<")
        .skip(1)
        .filter_map(|call| {
            let after_paren = call.split_once(">(\"")?.1;
            Some(after_paren.split_once('"')?.0.to_owned())
        })
        .collect()
}

#[test]
fn the_ui_wraps_exactly_the_registered_commands() {
    let registered: BTreeSet<String> = COMMAND_NAMES
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    assert_eq!(commands_wrapped_by_the_ui(), registered);
}
