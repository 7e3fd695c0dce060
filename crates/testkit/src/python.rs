//! Where the pinned Synapse virtualenv lives.

use std::path::PathBuf;

/// The Python interpreter of the Synapse virtualenv.
///
/// `G2C_SYNAPSE_PYTHON` wins; otherwise the default that `scripts/setup.sh`
/// installs to: `$XDG_CACHE_HOME/amtsbote/tools/synapse-venv/bin/python`
/// (with `$HOME/.cache` when `XDG_CACHE_HOME` is unset).
pub fn synapse_python() -> PathBuf {
    if let Some(explicit) = std::env::var_os("G2C_SYNAPSE_PYTHON") {
        return PathBuf::from(explicit);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    cache.join("amtsbote/tools/synapse-venv/bin/python")
}
