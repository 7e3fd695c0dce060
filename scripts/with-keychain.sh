#!/usr/bin/env bash
# Runs a command with a real, unlocked OS keychain on Linux: a private
# session keyring (keyutils), a private D-Bus session bus, and gnome-keyring
# serving the Secret Service on it. Nothing touches the user's own keychain:
# the keyring files live in a temporary XDG_DATA_HOME that is removed after.
#
#   scripts/with-keychain.sh cargo test -p g2c-core
set -euo pipefail

if [ -z "${G2C_KEYCHAIN_SESSION:-}" ]; then
    export G2C_KEYCHAIN_SESSION=1
    exec keyctl session - dbus-run-session -- "$0" "$@"
fi

data_home=$(mktemp -d -t g2c-keychain-XXXXXX)
trap 'rm -rf "$data_home"' EXIT
# Not HOME: rustup and cargo find their toolchain through it.
export XDG_DATA_HOME="$data_home"
# The daemon prints GNOME_KEYRING_CONTROL=...; the password only unlocks the
# throwaway login keyring created in $data_home.
eval "export $(printf 'g2c-test-keyring' | gnome-keyring-daemon --unlock --components=secrets)"
"$@"
