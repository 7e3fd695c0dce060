#!/usr/bin/env bash
# Runs every check and test of Amtsbote, after installing what they need.
# This is the README's test command and exactly what CI (.ci/run) runs.
#
#   1. set-up (scripts/setup.sh; quick when everything is there), and the
#      checks of the virtual card's patches that PC/SC cannot force
#   2. quality gates: rustfmt, the UI's type check and unit tests; the UI bundle (the app
#      embeds it, so it precedes every Rust build); clippy with -D warnings,
#      the dependency policy (cargo-deny: licences, bans, sources; offline)
#   3. all Rust tests, with a real Synapse and a real Secret Service keychain;
#      the IPC bindings they regenerate must equal the committed ones
#   4. the app's end-to-end tests: the real window under Xvfb, driven through
#      tauri-driver and WebKitWebDriver
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "set-up"
bash scripts/setup.sh

step "virtual card: checks of the vicc patches (OpenPACE in-process)"
(cd / && "$G2C_TOOLS_DIR/vicc-venv/bin/python" "$ROOT/scripts/virtual-card/patch_checks.py")

step "rustfmt"
cargo fmt --all --check

step "UI type check"
npm run --silent typecheck --workspace ui

step "UI unit tests"
npm run --silent test --workspace ui

step "UI bundle"
npm run --silent build --workspace ui

step "clippy"
cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings

step "dependency policy (cargo-deny, offline)"
cargo deny --offline --log-level error check bans licenses sources

step "Rust tests (real Synapse, real keychain)"
scripts/with-keychain.sh cargo test --workspace --all-features --no-fail-fast

step "IPC bindings are up to date"
if [ -n "$(git status --porcelain -- ui/src/ipc/bindings)" ]; then
    git status --short -- ui/src/ipc/bindings
    git diff -- ui/src/ipc/bindings
    echo "The TypeScript bindings differ from the Rust types: commit the regenerated files." >&2
    exit 1
fi

step "end-to-end tests of the app (Xvfb, tauri-driver, WebKitWebDriver)"
# The binaries with the features the Rust tests built them with (a no-op
# for the app; g2c-stack and g2c-authority, which the journey starts, have
# no integration tests that would have built them).
cargo build --workspace --all-features --bins --quiet
CARGO_TARGET_DIR="$(cargo_target_dir)"
export CARGO_TARGET_DIR
AMTSBOTE_BINARY="$CARGO_TARGET_DIR/debug/amtsbote"
[ -x "$AMTSBOTE_BINARY" ] || { echo "no app binary at $AMTSBOTE_BINARY" >&2; exit 1; }
export AMTSBOTE_BINARY
scripts/with-keychain.sh xvfb-run --auto-servernum --server-args="-screen 0 1280x900x24" \
    npm test --workspace tests/e2e
