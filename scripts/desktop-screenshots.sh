#!/usr/bin/env bash
# Screenshots of Amtsbote's tray icon (with its menu open) and of a
# notification, under Xvfb with a real notification server (dunst) and an
# XEmbed tray host (trayer), into docs/screenshots/. Needs the packages that
# scripts/setup.sh installs and a built app binary:
#
#   cargo build -p amtsbote --example notification_preview --bin amtsbote
#   bash scripts/desktop-screenshots.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh
TARGET=$(cargo_target_dir)
APP="$TARGET/debug/amtsbote"
PREVIEW="$TARGET/debug/examples/notification_preview"
OUT="$ROOT/docs/screenshots"
[ -x "$APP" ] && [ -x "$PREVIEW" ] || {
    echo "build first: cargo build -p amtsbote --example notification_preview --bin amtsbote" >&2
    exit 1
}

if [ -z "${AMTSBOTE_IN_SESSION:-}" ]; then
    # A private X server and session bus, so nothing of the caller's
    # desktop shows up and nothing is left running.
    export AMTSBOTE_IN_SESSION=1
    exec xvfb-run --auto-servernum --server-args="-screen 0 1024x640x24" \
        dbus-run-session -- bash "$0" "$@"
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# Polls (at most ~10 s) until a window matching `xdotool search ARGS` exists.
wait_for_window() {
    for _ in $(seq 100); do
        xdotool search "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "no window: $*" >&2
    return 1
}

xsetroot -solid '#dfe6ee' 2>/dev/null || true
cat >"$work/dunstrc" <<'EOF'
[global]
    origin = top-right
    offset = 12x48
    width = 360
    font = DejaVu Sans 10
    frame_width = 1
    frame_color = "#1f4e8c"
    padding = 12
    horizontal_padding = 12
    icon_position = left
    max_icon_size = 48
    show_indicators = no
    icon_path = ICON_DIR
[urgency_normal]
    background = "#ffffff"
    foreground = "#1b1b1b"
    timeout = 0
EOF
# The icon as the package installs it (hicolor theme, named amtsbote).
mkdir -p "$work/icons"
cp "$ROOT/icons/48x48.png" "$work/icons/amtsbote.png"
sed -i "s|ICON_DIR|$work/icons|" "$work/dunstrc"
dunst -config "$work/dunstrc" &
pids+=($!)
trayer --edge top --align right --widthtype pixel --width 96 --heighttype pixel --height 32 \
    --SetDockType true --transparent false --tint 0x1f4e8c &
pids+=($!)
wait_for_window --class trayer

# The app itself, with its own data directory and no session, started as
# at login: window hidden, only the tray icon (which shows the menu with
# nothing to do).
export XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config"
"$APP" --hidden &
pids+=($!)
# The tray icon is an XEmbed child of trayer's window once it is docked.
for _ in $(seq 100); do
    [ "$(xwininfo -children -id "$(xdotool search --class trayer | head -1)" | grep -c 'child')" -gt 0 ] && break
    sleep 0.1
done
sleep 1

# Right-click the tray icon (trayer packs icons to its right end). Under
# Xvfb with appindicator's XEmbed fallback the menu does not open (no
# StatusNotifier host); the screenshot shows the docked icon.
read -r tray_x tray_y tray_w < <(xdotool search --class trayer | head -1 |
    xargs xdotool getwindowgeometry --shell |
    awk -F= '/^X=/{x=$2} /^Y=/{y=$2} /^WIDTH=/{w=$2} END{print x, y, w}')
xdotool mousemove $((tray_x + tray_w - 10)) $((tray_y + 16)) click 3
sleep 1
# The tray's corner of the screen, enlarged.
import -window root "$work/screen.png"
convert "$work/screen.png" -crop 320x120+704+0 +repage -scale 200% "$OUT/tray.png"
xdotool key Escape

"$PREVIEW"
wait_for_window --class Dunst
sleep 0.5
import -window root "$OUT/notification.png"
echo "wrote $OUT/tray.png and $OUT/notification.png"
