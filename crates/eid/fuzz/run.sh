#!/usr/bin/env bash
# Bounded cargo-fuzz run of every target, on stable Rust through RUSTC_BOOTSTRAP
# (cargo-fuzz passes -Z flags for the sanitizer and coverage instrumentation).
#
#   crates/eid/fuzz/run.sh [seconds per target, default 60] [target ...]
#
# Needs cargo-fuzz (cargo install cargo-fuzz --locked --root DIR, DIR/bin on
# PATH) and a C++ compiler (libfuzzer-sys builds libFuzzer). Seeds are written
# into corpus/<target>/ first; findings land in artifacts/<target>/, the last
# lines of each run in logs/<target>.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
secs=${1:-60}
shift || true
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${G2C_FUZZ_TARGET_DIR:-$HOME/.cache/amtsbote-target-eidfuzz}

seed() { # target name hex
    mkdir -p "corpus/$1"
    printf '%s' "$3" | sed 's/../\\x&/g' | xargs -0 printf '%b' > "corpus/$1/seed-$2"
}
# EF.CardAccess of the virtual nPA and a minimal one (one PACEInfo).
vicc=3181b3300d060804007f00070202020201023012060a04007f000702020302020201020201413012060a04007f000702020302020201020201453012060a04007f0007020204020202010202010d301c060904007f000702020302300c060704007f0007010202010d020141301c060904007f000702020302300c060704007f0007010202010d020145302a060804007f0007020206161e687474703a2f2f6273692e62756e642e64652f6369662f6e70612e786d6c
minimal=31143012060a04007f0007020204020202010202010d
seed card_access minimal "$minimal"
seed card_access vicc "$vicc"
seed tlv vicc "$vicc"
seed tlv nonce 7c12801000112233445566778899aabbccddeeff
seed apdu_response sw 9000
seed apdu_response read 00b09c0000
seed sm_unprotect genuine 0290003114
seed sm_unprotect macced 0199029000
seed pace_responses mse 0290001479127c108010a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a59000

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
mkdir -p logs
for t in "${targets[@]}"; do
    echo "== $t ($secs s)"
    cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -print_final_stats=1 \
        > "logs/$t.log" 2>&1 || { tail -n 40 "logs/$t.log"; exit 1; }
    # The final status line (executions, coverage, corpus) and the crash count.
    grep -aE '^#[0-9]+[[:space:]]+DONE' "logs/$t.log" | tail -n 1 || true
    echo "crash/leak/timeout artifacts: $(find "artifacts/$t" -type f 2>/dev/null | wc -l)"
done
