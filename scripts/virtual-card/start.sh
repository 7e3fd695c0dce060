#!/usr/bin/env bash
# Starts the virtual nPA: pcscd with only the vpcd reader, and `vicc -t nPA`
# in it, both inside a private network namespace with only `lo` up (vpcd
# listens on 0.0.0.0:35963; here nobody outside can reach it). Clients reach
# pcscd through its unix socket /run/pcscd/pcscd.comm as usual.
#
#   scripts/virtual-card/start.sh [vicc options...]
#
# Extra arguments go to vicc (e.g. --cvca FILE --disable-ta-checks,
# --ef-cardaccess FILE, --ef-cardsecurity FILE, --ca-key FILE, -d DATASET).
# Secrets are vicc's: PIN 111111, CAN 222222, PUK 3333333333.
#
# Waits (bounded, VCARD_START_TIMEOUT seconds, default 20) until the card is
# present in the reader, then returns, leaving both processes running. Prints
# `reader: NAME` as its last line. State (pid files, reader.conf, logs) is in
# VCARD_STATE_DIR (default /tmp/amtsbote-vcard). Only one pcscd can run per
# machine: if ours runs with a card already, this reuses it (exit 0, prints
# the reader); if another pcscd runs, it refuses (exit 3). stop.sh ends it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=${G2C_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/amtsbote/tools}
VENV=$TOOLS/vicc-venv
STATE=${VCARD_STATE_DIR:-/tmp/amtsbote-vcard}
TIMEOUT=${VCARD_START_TIMEOUT:-20}
READER=${VCARD_READER:-Virtual PCD 00 00}
VPCD_PORT=35963
SOCKET=/run/pcscd/pcscd.comm

# shellcheck source=common.sh
. "$HERE/common.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "start.sh: needs root (pcscd's socket in /run/pcscd, unshare --net)" >&2
    exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
    echo "start.sh: $VENV missing: run scripts/virtual-card/setup.sh" >&2
    exit 1
fi

mkdir -p "$STATE"

# Already running (ours)?
if alive pcscd "$STATE/pcscd.pid" && alive vicc "$STATE/vicc.pid"; then
    if card_present; then
        echo "start.sh: reusing the running virtual card (pcscd $(cat "$STATE/pcscd.pid"), vicc $(cat "$STATE/vicc.pid"))" >&2
        echo "reader: $READER"
        exit 0
    fi
    echo "start.sh: our pcscd runs but has no card: restarting" >&2
    "$HERE/stop.sh"
fi

# Someone else's pcscd?
if other=$(pgrep -x pcscd); then
    echo "start.sh: another pcscd runs (pid $(echo "$other" | tr '\n' ' ')), not ours: refusing." >&2
    echo "  stop it first (systemd: systemctl stop pcscd.socket pcscd.service)" >&2
    exit 3
fi
# A socket left behind by a pcscd that died makes the new one refuse to start.
rm -f "$SOCKET" /run/pcscd/pcscd.pid
rm -f "$STATE"/*.pid

mkdir -p "$STATE/reader.conf.d"
driver=$(dpkg -L vsmartcard-vpcd | grep '/libifdvpcd\.so$' | head -n1)
cat >"$STATE/reader.conf.d/vpcd" <<EOF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x8C7B
LIBPATH      $driver
CHANNELID    0x8C7B
EOF

vicc_args=(-t nPA -vvvv)
[ "$#" -gt 0 ] && vicc_args+=("$@")

# The namespace wrapper: lo up, pcscd, wait for vpcd's port, then the card.
# It writes the pids and waits for both; stop.sh kills them by pid.
cat >"$STATE/netns.sh" <<'EOF'
#!/usr/bin/env bash
set -u
state=$1 port=$2 python=$3
shift 3
ip link set lo up
pcscd --foreground --config "$state/reader.conf.d" >"$state/pcscd.log" 2>&1 &
echo $! >"$state/pcscd.pid"
for _ in $(seq 200); do
    ss -ltnH "sport = :$port" | grep -q . && break
    kill -0 "$(cat "$state/pcscd.pid")" 2>/dev/null || exit 1
    sleep 0.05
done
"$python" -u /usr/bin/vicc "$@" >"$state/vicc.log" 2>&1 &
echo $! >"$state/vicc.pid"
wait
EOF
chmod +x "$STATE/netns.sh"

t0=$(date +%s.%N)
setsid unshare --net "$STATE/netns.sh" "$STATE" "$VPCD_PORT" "$VENV/bin/python" "${vicc_args[@]}" \
    </dev/null >"$STATE/netns.log" 2>&1 &
echo $! >"$STATE/netns.pid"

deadline=$((SECONDS + TIMEOUT))
until card_present; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "start.sh: no card in '$READER' after ${TIMEOUT} s" >&2
        show_logs >&2
        "$HERE/stop.sh" >&2 || true
        exit 1
    fi
    if ! kill -0 "$(cat "$STATE/netns.pid")" 2>/dev/null ||
        { [ -f "$STATE/vicc.pid" ] && ! kill -0 "$(cat "$STATE/vicc.pid")" 2>/dev/null; }; then
        echo "start.sh: pcscd or vicc exited during start-up" >&2
        show_logs >&2
        "$HERE/stop.sh" >&2 || true
        exit 1
    fi
    sleep 0.05
done
echo "start.sh: card present after $(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.2f", t1 - t0 }') s (logs: $STATE)" >&2
echo "reader: $READER"
