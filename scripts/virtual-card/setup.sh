#!/usr/bin/env bash
# Installs the virtual nPA (German eID card) for tests: vsmartcard's `vicc -t nPA`
# with OpenPACE's Python bindings, run by start.sh behind pcscd + vpcd.
# Idempotent: a second run checks a stamp and returns in well under a second.
#
#   apt        pcscd, vpcd, vicc, OpenPACE (also listed in scripts/setup.sh),
#              plus swig and python3-pyscard (for the bindings and selftest)
#   venv       $TOOLS/vicc-venv from Debian's /usr/bin/python3
#              (--system-site-packages for pyscard) with pycryptodome (`Crypto`)
#   eac        OpenPACE's Python bindings (eac, chat, pace_entity), built with
#              swig from Debian's `openpace` source package against the
#              installed libeac, into the venv
#   vicc-lib   $TOOLS/vicc-lib: a copy of Debian's virtualsmartcard package with
#              patches/*.patch applied; a .pth file puts it on the venv's path
#
# Run as root (or with sudo). Nothing under /usr is edited; the only file
# written outside $TOOLS is /etc/apt/sources.list.d/amtsbote-deb-src.*,
# deb-src entries derived from the machine's own apt sources.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=${G2C_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/amtsbote/tools}
VENV=$TOOLS/vicc-venv
LIB=$TOOLS/vicc-lib
STAMP=$TOOLS/vicc.stamp
PYTHON=/usr/bin/python3
PYCRYPTODOME_VERSION=4.4.0

APT_PACKAGES=(
    pcscd libpcsclite-dev vsmartcard-vpcd vsmartcard-vpicc python3-virtualsmartcard
    openpace libeac-dev opensc pcsc-tools
    python3-venv python3-dev python3-pyscard swig dpkg-dev build-essential
    iproute2 patch
)

log() { printf '\033[1m[virtual-card]\033[0m %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_apt_packages() {
    local missing=() package installed
    installed=" $(dpkg-query -W -f='${db:Status-Status}:${Package} ' "${APT_PACKAGES[@]}" 2>/dev/null || true)"
    for package in "${APT_PACKAGES[@]}"; do
        [[ "$installed" == *" installed:$package "* ]] || missing+=("$package")
    done
    [ "${#missing[@]}" -eq 0 ] && return
    log "apt: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What the installation depends on: when any of it changes, rebuild.
wanted_stamp() {
    {
        dpkg-query -W -f='${Package} ${Version}\n' python3-virtualsmartcard vsmartcard-vpicc libeac-dev python3-pyscard
        "$PYTHON" -c 'import sys; print(sys.version)'
        echo "pycryptodome $PYCRYPTODOME_VERSION"
        cat "$HERE/setup.sh" "$HERE"/patches/*.patch
    } | sha256sum | cut -d' ' -f1
}

site_packages() {
    "$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'
}

make_venv() {
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.base_prefix != "/usr")'; then
        log "venv: creating $VENV from $PYTHON"
        rm -rf "$VENV"
        "$PYTHON" -m venv --system-site-packages "$VENV"
    fi
    if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('pycryptodome') != '$PYCRYPTODOME_VERSION')" 2>/dev/null; then
        log "venv: pycryptodome $PYCRYPTODOME_VERSION"
        "$VENV/bin/pip" install -q --disable-pip-version-check "pycryptodome==$PYCRYPTODOME_VERSION"
    fi
}

# deb-src entries for this release, derived from the machine's own apt sources
# (deb822 .sources stanzas and one-line .list entries whose suite names the
# release codename), into a file of their own.
enable_deb_src() {
    local codename dir=/etc/apt/sources.list.d
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    local tmp
    tmp=$(mktemp)
    if compgen -G "$dir/*.sources" >/dev/null; then
        for f in "$dir"/*.sources; do
            [ "$f" = "$dir/amtsbote-deb-src.sources" ] && continue
            awk -v RS= -v ORS='\n\n' -v cn="$codename" '
                /(^|\n)Types:[^\n]*deb([ \t\n]|$)/ && $0 ~ ("\nSuites:[^\n]*" cn) {
                    sub(/Types:[^\n]*/, "Types: deb-src"); print
                }' "$f"
        done >"$tmp"
        if [ -s "$tmp" ]; then
            as_root cp "$tmp" "$dir/amtsbote-deb-src.sources"
            SRC_LIST="$dir/amtsbote-deb-src.sources"
        fi
    fi
    if [ -z "${SRC_LIST:-}" ]; then
        cat /etc/apt/sources.list "$dir"/*.list 2>/dev/null |
            awk -v cn="$codename" '$1 == "deb" && $0 ~ (" " cn "[ -]") { $1 = "deb-src"; print }' >"$tmp" || true
        [ -s "$tmp" ] || { rm -f "$tmp"; echo "no apt source for $codename to derive deb-src entries from" >&2; exit 1; }
        as_root cp "$tmp" "$dir/amtsbote-deb-src.list"
        SRC_LIST="$dir/amtsbote-deb-src.list"
    fi
    rm -f "$tmp"
    # Refresh only these source indexes, leave the other lists alone.
    as_root apt-get update -qq -o Dir::Etc::SourceList="$SRC_LIST" -o Dir::Etc::SourceParts=- \
        -o APT::Get::List-Cleanup=0
}

build_eac_bindings() {
    local version work site
    version=$(dpkg-query -W -f='${source:Version}' libeac-dev)
    work=$(mktemp -d)
    log "eac: building OpenPACE $version Python bindings (swig)"
    if ! (cd "$work" && apt-get source -qq "openpace=$version" >apt-source.log 2>&1); then
        enable_deb_src
        (cd "$work" && apt-get source -qq "openpace=$version" >apt-source.log 2>&1) ||
            { cat "$work/apt-source.log" >&2; exit 1; }
    fi
    local src
    src=$(find "$work" -maxdepth 1 -type d -name 'openpace-*' | head -n1)
    mkdir -p "$work/out"
    swig -python -I"$src/bindings" -outdir "$work/out" -o "$work/out/eac_wrap.c" "$src/bindings/eac.i"
    local suffix
    suffix=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
    # shellcheck disable=SC2046
    gcc -O2 -shared -fPIC -w $("$PYTHON"-config --includes) "$work/out/eac_wrap.c" \
        $(pkg-config --cflags --libs libeac) -o "$work/out/_eac$suffix"
    site=$(site_packages)
    # New files, not overwritten ones: a process that has the old shared
    # object mapped keeps it.
    cp --remove-destination "$work/out/eac.py" "$work/out/_eac$suffix" "$src/bindings/python/chat.py" \
        "$src/bindings/python/pace_entity.py" "$site/"
    rm -rf "$work"
}

install_vicc_lib() {
    local init debian_pkg site
    init=$(dpkg -L python3-virtualsmartcard | grep '/virtualsmartcard/__init__.py$' | head -n1)
    debian_pkg=$(dirname "$init")
    log "vicc: copying $debian_pkg to $LIB and applying patches"
    rm -rf "$LIB.new"
    mkdir -p "$LIB.new"
    cp -a "$debian_pkg" "$LIB.new/virtualsmartcard"
    find "$LIB.new" -name __pycache__ -prune -exec rm -rf {} +
    for p in "$HERE"/patches/*.patch; do
        patch -s -p1 --forward --batch -d "$LIB.new" <"$p" || { echo "patch $p failed" >&2; exit 1; }
    done
    rm -rf "$LIB"
    mv "$LIB.new" "$LIB"
    site=$(site_packages)
    echo "$LIB" >"$site/amtsbote-vicc.pth"
}

check() {
    (cd / && "$VENV/bin/python" -c 'import Crypto, eac, chat, smartcard, virtualsmartcard.cards.nPA')
}

main() {
    install_apt_packages
    mkdir -p "$TOOLS"
    local want
    want=$(wanted_stamp)
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && check 2>/dev/null; then
        log "virtual nPA: installed ($VENV)"
        return
    fi
    # A running card (a test's, g2c-stack's) loads these libraries lazily:
    # rebuild only while none runs, under the lock they hold
    # (crates/testkit's LOCK_FILE), as selftest.sh does.
    exec 9>/tmp/amtsbote-vcard.lock
    flock -w 600 9 || { echo "virtual-card setup: a card held /tmp/amtsbote-vcard.lock for 600 s" >&2; exit 3; }
    local start=$SECONDS
    rm -f "$STAMP"
    make_venv
    build_eac_bindings
    install_vicc_lib
    check
    echo "$want" >"$STAMP"
    log "virtual nPA: installed in $((SECONDS - start)) s ($VENV)"
}

main "$@"
