#!/usr/bin/env bash
# The README's demo command: installs what it needs, builds the UI and the
# app, and opens the app window. Without a display it runs the window under
# Xvfb and saves a screenshot to demo-screenshot.png instead.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh

bash scripts/setup.sh
npm run --silent build --workspace ui
cargo build -p amtsbote --quiet
app="$(cargo_target_dir)/debug/amtsbote"

# The app needs a D-Bus session bus (single instance, notifications, keychain).
run_with_session_bus() {
    if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then "$@"; else dbus-run-session -- "$@"; fi
}

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "Opening Amtsbote. Close the window to end the demo."
    run_with_session_bus "$app"
    exit 0
fi

echo "No display: running the window under Xvfb."
shot="$ROOT/demo-screenshot.png"
run_with_session_bus xvfb-run --auto-servernum --server-args="-screen 0 1280x900x24" bash -c '
    app=$1 shot=$2
    "$app" & pid=$!
    trap "kill $pid 2>/dev/null" EXIT
    for _ in $(seq 1 300); do
        xwininfo -root -tree 2>/dev/null | grep -q "\"Amtsbote\"" && break
        sleep 0.1
    done
    sleep 5   # let WebKit paint and app_info answer; a demo, not a test
    import -window root "$shot"
    echo "Screenshot of the running app: $shot"
' _ "$app" "$shot"
