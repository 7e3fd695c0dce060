# Sourced by the scripts: where the project's tools are, and build settings
# shared by the demo and the tests.

G2C_TOOLS_DIR=${G2C_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/amtsbote/tools}
export G2C_TOOLS_DIR
export G2C_SYNAPSE_PYTHON="$G2C_TOOLS_DIR/synapse-venv/bin/python"
export PATH="$G2C_TOOLS_DIR/cargo/bin:$PATH"

# The workspace's target directory, wherever CARGO_TARGET_DIR puts it.
cargo_target_dir() {
    cargo metadata --no-deps --format-version 1 |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}
