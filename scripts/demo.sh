#!/usr/bin/env bash
# The README's demo command: the app's main job on a local world. It
# installs what it needs, builds the UI, the app and g2c-stack, starts the
# stack (a local Synapse, the virtual ID card behind pcscd, the eID login
# service; scripts/demo.sh needs root for pcscd), and opens the app pointed
# at it. Log in with the virtual card (PIN 111111): the authority then plays
# the fishing-permit case (scenarios/fishing-permit.toml) and the request
# appears; its answers are printed here as the authority receives them.
#
# Without a display, the app runs under Xvfb and a WebDriver script
# (tests/e2e/demo.mjs) logs in with the card, answers the case to its
# decision and checks each screen and each answer the authority received,
# leaving screenshots in demo-screenshots/; it exits non-zero, naming the
# step, when something does not arrive. That build has the `dev-login`
# feature: WebDriver cannot answer the native file dialog, and such builds
# take the answer from AMTSBOTE_TEST_PICK_PATHS.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh

bash scripts/setup.sh
npm run --silent build --workspace ui
headless=""
[ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && headless=1
if [ -n "$headless" ]; then
    cargo build -p amtsbote --features dev-login -p g2c-stack --quiet
else
    cargo build -p amtsbote -p g2c-stack --quiet
fi
target=$(cargo_target_dir)
app="$target/debug/amtsbote"

work=$(mktemp -d)
stack_pid=""
cleanup() {
    # Closing the stack's stdin is its signal to stop everything it started.
    exec 3>&- 2>/dev/null || true
    [ -n "$stack_pid" ] && wait "$stack_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

mkfifo "$work/stack-in"
"$target/debug/g2c-stack" --eid --scenario scenarios/fishing-permit.toml \
    <"$work/stack-in" >"$work/stack-out" 2>"$work/stack-log" &
stack_pid=$!
exec 3>"$work/stack-in"

# The stack prints one "ready" line when everything is up (bounded wait).
for _ in $(seq 1 6000); do   # up to 10 min: another test may hold the virtual card
    grep -q '"event":"ready"' "$work/stack-out" 2>/dev/null && break
    kill -0 "$stack_pid" 2>/dev/null || { cat "$work/stack-log" >&2; exit 1; }
    sleep 0.1
done
ready=$(grep -m1 '"event":"ready"' "$work/stack-out") || { cat "$work/stack-log" >&2; exit 1; }
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval("d"+sys.argv[2]))' "$ready" "$1"; }
homeserver=$(field '["homeserver"]')
export AMTSBOTE_HOMESERVER="$homeserver"
export AMTSBOTE_IDP=$(field '["eid"]["identity_provider"]')
export SSL_CERT_FILE=$(field '["eid"]["ca_file"]')
# The test government root the stack generated: the scenario's authority
# publishes a certificate under it, so the app shows it verified.
export AMTSBOTE_TRUST_ROOTS=$(field '["trust"]["roots_file"]')
echo "Local homeserver: $homeserver; virtual ID card on '$(field '["eid"]["reader"]')', PIN $(field '["eid"]["pin"]')."
# The authority's view: every answer it receives, as it arrives.
tail -n +1 -f "$work/stack-out" | grep --line-buffered '"event":"authority"' &
tail_pid=$!
trap 'kill $tail_pid 2>/dev/null; cleanup' EXIT

if [ -z "$headless" ]; then
    echo "Opening Amtsbote: log in with the ID card. Close the window to end the demo."
    if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then "$app"; else dbus-run-session -- "$app"; fi
    exit 0
fi

echo "No display: the app runs under Xvfb and logs in with the virtual card by itself."
shots="$ROOT/demo-screenshots"
rm -rf "$shots"
mkdir -p "$shots"
status=0
AMTSBOTE_BINARY="$app" scripts/with-keychain.sh xvfb-run --auto-servernum \
    --server-args="-screen 0 1280x900x24" node tests/e2e/demo.mjs "$shots" "$ready" "$work/stack-out" ||
    status=$?
echo "Screenshots of the demo: $shots"
if [ "$status" -ne 0 ]; then
    echo "The demo failed; g2c-stack's log:" >&2
    tail -n 40 "$work/stack-log" >&2
fi
exit "$status"
