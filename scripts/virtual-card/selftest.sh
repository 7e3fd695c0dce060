#!/usr/bin/env bash
# Proves the virtual nPA works end to end through PC/SC: starts it (unless it
# already runs), runs PACE against it from selftest.py (OpenPACE's `eac`
# bindings as the terminal, pyscard as the PC/SC client) and stops it again if
# this script started it.
#
#   scripts/virtual-card/selftest.sh [vicc options...]
#
# Checks: EF.CardAccess readable; PACE with a wrong PIN fails with a status
# word; PACE with PIN 111111 succeeds; a READ BINARY through secure messaging
# decrypts and its MAC verifies; PACE with CAN 222222 succeeds.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=${G2C_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/amtsbote/tools}
STATE=${VCARD_STATE_DIR:-/tmp/amtsbote-vcard}
READER=${VCARD_READER:-Virtual PCD 00 00}
# shellcheck source=common.sh
. "$HERE/common.sh"

# One card per machine: wait for the lock g2c_testkit::VirtualCard takes
# (flock on the same file), so the self-test never stops a test's card.
exec 9>>"/tmp/amtsbote-vcard.lock"
flock -w 300 9 || { echo "selftest: another process held /tmp/amtsbote-vcard.lock for 300 s" >&2; exit 3; }

started=no
if ! { alive pcscd "$STATE/pcscd.pid" && alive vicc "$STATE/vicc.pid"; }; then
    "$HERE/start.sh" "$@" >/dev/null
    started=yes
fi
cleanup() { [ "$started" = yes ] && "$HERE/stop.sh"; }
trap cleanup EXIT

status=0
(cd / && VCARD_READER="$READER" "$TOOLS/vicc-venv/bin/python" "$HERE/selftest.py") || status=$?
if [ "$status" -ne 0 ]; then
    echo "selftest: FAILED; the card's log:" >&2
    tail -n 30 "$STATE/vicc.log" >&2
fi
exit "$status"
