#!/usr/bin/env bash
# Replays the committed fuzz corpora once (libFuzzer -runs=0: no new inputs), so every
# input that ever found a bug, and every interesting input the fuzzer kept, is re-checked
# on each test run. Long fuzzing runs are done by hand (fuzz/README.md), never in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
  printf 'fuzz-replay: FAILED: %s\n' "$*" >&2
  exit 1
}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install --locked cargo-fuzz || die "cargo install cargo-fuzz failed"
fi

# cargo-fuzz needs nightly-only flags (sanitizers); RUSTC_BOOTSTRAP lets the stable
# toolchain accept them.
export RUSTC_BOOTSTRAP=1
targets=(xml_front redirect_decode post_decode verify)
for t in "${targets[@]}"; do
  corpus="fuzz/corpus/$t"
  [ -d "$corpus" ] || die "no committed corpus for $t at $corpus"
  n=$(find "$corpus" -type f | wc -l)
  echo "==> fuzz replay: $t ($n inputs)"
  cargo fuzz run --fuzz-dir fuzz "$t" "$corpus" -- -runs=0 >"target/fuzz-replay-$t.log" 2>&1 \
    || { tail -40 "target/fuzz-replay-$t.log" >&2; die "$t crashed on its corpus"; }
done
echo "fuzz-replay: ${#targets[@]} passed, 0 failed"
