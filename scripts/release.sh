#!/usr/bin/env bash
# Builds Amtsbote's Linux release on this machine: the .deb and .rpm
# bundles, their updater signatures (.sig, minisign) and latest.json for
# the updater. The same steps run in .github/workflows/release.yml for
# Windows, macOS and Linux. Details and key handling: docs/release.md.
#
#   TAURI_SIGNING_PRIVATE_KEY=/path/to/amtsbote.key bash scripts/release.sh
#
# Environment:
#   TAURI_SIGNING_PRIVATE_KEY           the project's minisign secret key: the
#                                       key text or an absolute path (required)
#   TAURI_SIGNING_PRIVATE_KEY_PASSWORD  its password (default: empty)
#   AMTSBOTE_RELEASE_BASE_URL           where the bundles will be downloaded
#                                       from (default: the GitHub release of
#                                       the version's tag, see docs/release.md)
#   AMTSBOTE_RELEASE_NOTES              release notes for latest.json
#   AMTSBOTE_RELEASE_DIR                output directory (default: dist/)
#   CARGO_TARGET_DIR                    default: ~/.cache/amtsbote/release-target,
#                                       kept apart from the dev/test target
#
# The build runs under `nice -n 19`: release builds (LTO, one codegen unit)
# take long and must not starve other work on the machine.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh

log() { printf '\033[1m[release]\033[0m %s\n' "$*"; }

if [ -z "${TAURI_SIGNING_PRIVATE_KEY:-}" ]; then
    echo "TAURI_SIGNING_PRIVATE_KEY is not set: the updater artifacts must be signed (docs/release.md)" >&2
    exit 1
fi
export TAURI_SIGNING_PRIVATE_KEY_PASSWORD=${TAURI_SIGNING_PRIVATE_KEY_PASSWORD:-}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/amtsbote/release-target}
OUT=${AMTSBOTE_RELEASE_DIR:-$ROOT/dist}

VERSION=$(cargo metadata --no-deps --format-version 1 |
    python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "amtsbote"))')
BASE_URL=${AMTSBOTE_RELEASE_BASE_URL:-https://example.invalid/amtsbote/releases/download/v$VERSION}
NOTES=${AMTSBOTE_RELEASE_NOTES:-Amtsbote $VERSION}

# Reproducibility: one fixed timestamp (the newest commit's) for the tools
# that honour it, and latest.json's pub_date. What still differs between two
# builds is in docs/release.md.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

if [ ! -x node_modules/.bin/tauri ]; then
    log "the Tauri CLI is missing: running scripts/setup.sh"
    bash scripts/setup.sh
fi

log "building Amtsbote $VERSION (deb, rpm; target dir $CARGO_TARGET_DIR)"
# The tauri CLI runs the UI build (beforeBuildCommand), builds the binary
# with the release profile and tauri/custom-protocol, bundles, and signs
# each bundle for the updater (bundle.createUpdaterArtifacts).
nice -n 19 npx --no-install tauri build --ci --bundles deb,rpm

BUNDLE="$CARGO_TARGET_DIR/release/bundle"
rm -rf "$OUT"
mkdir -p "$OUT"
cp "$BUNDLE"/deb/*.deb "$BUNDLE"/deb/*.deb.sig "$BUNDLE"/rpm/*.rpm "$BUNDLE"/rpm/*.rpm.sig "$OUT"/
cp "$CARGO_TARGET_DIR/release/amtsbote" "$OUT/amtsbote-$VERSION-linux-$(uname -m)"

log "writing latest.json"
python3 - "$OUT" "$VERSION" "$BASE_URL" "$NOTES" "$SOURCE_DATE_EPOCH" <<'PY'
import datetime, glob, json, os, platform, sys

out, version, base_url, notes, epoch = sys.argv[1:]
arch = {"x86_64": "x86_64", "aarch64": "aarch64", "armv7l": "armv7"}.get(platform.machine(), platform.machine())
platforms = {}
for kind in ("deb", "rpm"):
    (bundle,) = glob.glob(os.path.join(out, f"*.{kind}"))
    with open(bundle + ".sig") as sig:
        signature = sig.read().strip()
    name = os.path.basename(bundle)
    platforms[f"linux-{arch}-{kind}"] = {"signature": signature, "url": f"{base_url}/{name}"}
manifest = {
    "version": version,
    "notes": notes,
    "pub_date": datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "platforms": platforms,
}
with open(os.path.join(out, "latest.json"), "w") as f:
    json.dump(manifest, f, indent=2)
    f.write("\n")
PY

(cd "$OUT" && sha256sum -- * >SHA256SUMS)
log "done: $OUT"
ls -l "$OUT"
