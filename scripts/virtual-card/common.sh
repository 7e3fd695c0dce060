# Helpers shared by start.sh, stop.sh and selftest.sh (sourced, not run).
# Expects STATE and READER to be set.

# alive PATTERN PIDFILE: the pid in PIDFILE runs and its command line
# contains PATTERN (so a recycled pid is not taken for ours).
alive() {
    local pid
    [ -f "$2" ] || return 1
    pid=$(cat "$2" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$1"
}

# card_present: pcscd lists READER with a card in it.
card_present() {
    opensc-tool -l 2>/dev/null |
        awk -v r="$READER" '$2 == "Yes" && index($0, r) == length($0) - length(r) + 1 { found = 1 } END { exit !found }'
}

show_logs() {
    local f
    for f in netns.log pcscd.log vicc.log; do
        [ -s "$STATE/$f" ] || continue
        echo "--- $STATE/$f (last 20 lines)"
        tail -n 20 "$STATE/$f"
    done
}
