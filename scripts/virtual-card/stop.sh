#!/usr/bin/env bash
# Stops the virtual nPA started by start.sh: vicc, pcscd and the namespace
# wrapper, by the pids start.sh recorded (checked against their command lines,
# so nothing else is hit), waits (bounded) until they are gone and removes
# pcscd's socket. Safe to run when nothing runs. Exit 1 if something would not
# die within VCARD_STOP_TIMEOUT seconds (default 10).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${VCARD_STATE_DIR:-/tmp/amtsbote-vcard}
READER=${VCARD_READER:-Virtual PCD 00 00}
TIMEOUT=${VCARD_STOP_TIMEOUT:-10}

# shellcheck source=common.sh
. "$HERE/common.sh"

pids=()
# vicc first (the card leaves the reader), then pcscd, then the wrapper.
for entry in vicc:vicc.pid pcscd:pcscd.pid netns.sh:netns.pid; do
    pattern=${entry%%:*}
    file=$STATE/${entry#*:}
    if alive "$pattern" "$file"; then
        pid=$(cat "$file")
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid")
    fi
done

gone() {
    local pid
    for pid in "${pids[@]}"; do
        # a zombie (state Z) is gone as far as we care
        if [ -r "/proc/$pid/stat" ] && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
            return 1
        fi
    done
    return 0
}

if [ "${#pids[@]}" -gt 0 ]; then
    deadline=$((SECONDS + TIMEOUT))
    killed=no
    until gone; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            if [ "$killed" = yes ]; then
                echo "stop.sh: pids ${pids[*]} did not exit" >&2
                exit 1
            fi
            kill -KILL "${pids[@]}" 2>/dev/null || true
            killed=yes
            deadline=$((SECONDS + 2))
        fi
        sleep 0.05
    done
fi

rm -f "$STATE"/*.pid
# pcscd removes its socket on a clean exit; after a KILL it stays behind.
if ! pgrep -x pcscd >/dev/null; then
    rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid
fi
[ "${#pids[@]}" -gt 0 ] && echo "stop.sh: stopped (pids ${pids[*]})" >&2
exit 0
