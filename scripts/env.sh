# Sourced by the scripts: where the project's tools are, and build settings
# shared by the demo and the tests.

G2C_TOOLS_DIR=${G2C_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/amtsbote/tools}
export G2C_TOOLS_DIR
export G2C_SYNAPSE_PYTHON="$G2C_TOOLS_DIR/synapse-venv/bin/python"
export PATH="$G2C_TOOLS_DIR/cargo/bin:$PATH"
# The virtual card's scripts of this checkout, for g2c-stack and the tests
# (crates/testkit): a binary in a shared target directory may have been
# built from another checkout, whose compiled-in path is gone.
G2C_VIRTUAL_CARD_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/virtual-card
export G2C_VIRTUAL_CARD_SCRIPTS

# The workspace's target directory, wherever CARGO_TARGET_DIR puts it.
cargo_target_dir() {
    cargo metadata --no-deps --format-version 1 |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}
