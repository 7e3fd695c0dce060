#!/usr/bin/env bash
# Installs everything Amtsbote's demo and tests need on Debian 12, and does
# nothing where it is already installed. Run as root (or with sudo present).
#
#   system packages   apt: the Tauri/WebKitGTK build set, Xvfb and
#                     WebKitWebDriver, D-Bus and gnome-keyring, pcscd with the
#                     vsmartcard virtual reader and OpenPACE
#   Synapse           a pinned matrix-synapse in a virtualenv
#   cargo tools       tauri-driver and cargo-deny, pinned, --locked
#   npm packages      `npm ci` for ui/, tests/e2e/ and the Tauri CLI
#   virtual nPA       vsmartcard's vicc with OpenPACE's Python bindings and
#                     the project's patches (scripts/virtual-card/setup.sh)
#
# Tools go to $G2C_TOOLS_DIR (default: ~/.cache/amtsbote/tools), outside the
# checkout, so a fresh clone reuses them. Prerequisites that no package
# registry here provides: Rust >= 1.95 (rustup) and Node.js >= 20 with npm.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${G2C_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/amtsbote/tools}
SYNAPSE_VERSION=1.163.2
TAURI_DRIVER_VERSION=2.1.0
CARGO_DENY_VERSION=0.20.2

APT_PACKAGES=(
    # Tauri 2 on Linux
    build-essential pkg-config curl file libssl-dev
    libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev
    # the real window in tests: X server, WebKit's WebDriver, screenshots
    xvfb x11-utils webkit2gtk-driver imagemagick librsvg2-bin
    # the OS keychain in tests: Secret Service on a private session bus
    dbus dbus-x11 gnome-keyring keyutils libsecret-tools
    # the card: PC/SC, the virtual reader and nPA, OpenPACE
    pcscd libpcsclite-dev vsmartcard-vpcd vsmartcard-vpicc python3-virtualsmartcard
    openpace libeac-dev opensc pcsc-tools
    # building OpenPACE's Python bindings for the virtual nPA
    swig dpkg-dev python3-pyscard
    # screenshots of notifications and the tray under Xvfb: a notification
    # server, an XEmbed tray host, and clicks (docs/release.md)
    dunst trayer xdotool
    # Synapse's virtualenv
    python3-venv python3-dev
)

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_apt_packages() {
    local missing=()
    for package in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
            missing+=("$package")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        log "system packages: all installed"
        return
    fi
    log "system packages: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

check_prerequisites() {
    command -v cargo >/dev/null || { echo "Rust is missing: install rustup, then Rust >= 1.95" >&2; exit 1; }
    command -v npm >/dev/null || { echo "Node.js >= 20 with npm is missing" >&2; exit 1; }
}

install_synapse() {
    local venv="$TOOLS/synapse-venv"
    if [ -x "$venv/bin/python" ] &&
        [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("matrix-synapse"))' 2>/dev/null)" = "$SYNAPSE_VERSION" ]; then
        log "Synapse $SYNAPSE_VERSION: installed"
        return
    fi
    log "Synapse $SYNAPSE_VERSION: installing into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "matrix-synapse[oidc]==$SYNAPSE_VERSION"
}

install_cargo_tool() {
    local crate=$1 version=$2 binary=$3
    if [ -x "$TOOLS/cargo/bin/$binary" ] &&
        grep -q "^\"$crate $version " "$TOOLS/cargo/.crates.toml" 2>/dev/null; then
        log "$crate $version: installed"
        return
    fi
    log "$crate $version: building (cargo install --locked)"
    # Its own target dir, so the workspace's CARGO_TARGET_DIR stays ours.
    CARGO_TARGET_DIR="$TOOLS/cargo-build" \
        cargo install --quiet --locked --root "$TOOLS/cargo" "$crate" --version "=$version"
    rm -rf "$TOOLS/cargo-build"
}

install_npm_packages() {
    local stamp="$ROOT/node_modules/.amtsbote-lock.sha256"
    local want
    want=$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        log "npm packages: up to date"
        return
    fi
    log "npm packages: npm ci"
    # --ignore-scripts: no package may run code at install time (webdriverio's
    # optional browser drivers would try to download browsers).
    (cd "$ROOT" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
}

main() {
    mkdir -p "$TOOLS"
    install_apt_packages
    check_prerequisites
    install_synapse
    install_cargo_tool tauri-driver "$TAURI_DRIVER_VERSION" tauri-driver
    install_cargo_tool cargo-deny "$CARGO_DENY_VERSION" cargo-deny
    install_npm_packages
    # The virtual nPA (vicc + OpenPACE bindings, patched): docs/virtual-card.md
    bash "$ROOT/scripts/virtual-card/setup.sh"
}

main "$@"
