//! Build script: checks that the app config is the repository's single
//! `Tauri.conf.json`, then lets tauri-build generate the context and the
//! permissions of the app's own commands.

use std::path::Path;

// Every command the app registers. Each gets an `allow-<name>` permission;
// `capabilities/main.json` grants only those the UI uses.
include!("src/ipc/command_names.rs");

fn main() {
    check_config_is_the_root_file();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMAND_NAMES)),
    )
    .expect("tauri-build failed");
}

/// Tauri's tools only look for a lowercase `tauri.conf.json` beside the app
/// crate. The repository keeps one config, `Tauri.conf.json` at the root, and
/// `src-tauri/tauri.conf.json` is a symlink to it (see
/// docs/decisions/tauri-config.md). A checkout without symlink support gets
/// a plain file holding the link's target: say so instead of a parse error.
fn check_config_is_the_root_file() {
    let link = Path::new("tauri.conf.json");
    let root = Path::new("../Tauri.conf.json");
    println!("cargo:rerun-if-changed=tauri.conf.json");
    println!("cargo:rerun-if-changed=../Tauri.conf.json");
    let same = match (std::fs::canonicalize(link), std::fs::canonicalize(root)) {
        (Ok(link), Ok(root)) => link == root || case_insensitive_same(&link, &root),
        _ => false,
    };
    if !same {
        panic!(
            "src-tauri/tauri.conf.json must be a symlink to ../Tauri.conf.json; \
             on Windows enable symlinks (git config core.symlinks true) and check out again"
        );
    }
}

/// On case-insensitive file systems both names may canonicalise to the same
/// file with different spellings.
fn case_insensitive_same(a: &Path, b: &Path) -> bool {
    a.to_string_lossy()
        .eq_ignore_ascii_case(&b.to_string_lossy())
}
