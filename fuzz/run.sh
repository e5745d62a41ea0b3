#!/usr/bin/env bash
# Builds the cargo-fuzz targets (stable Rust, no sanitizer: libFuzzer's coverage-guided search
# with Rust's own checks, debug assertions and overflow checks on) and runs each for a bounded
# time, starting from its seed corpus in fuzz/corpus/<target>/. Fails on the first crash,
# panic, timeout (10 s per input) or out-of-memory (2 GiB); the input that did it is left in
# target/fuzz/artifacts/<target>/ (minimise it with `cargo fuzz tmin`, then keep it in
# fuzz/regressions/<target>/ and fix the code: `cargo test -p dojang-fuzz` replays it).
#
#   fuzz/run.sh [seconds-per-target] [target...]     # CI: fuzz/run.sh 20
#
# New inputs the fuzzer finds go to target/fuzz/new-corpus/<target>/, not into the repository;
# add the interesting ones to fuzz/corpus/ by hand (`cargo fuzz cmin` keeps it small).
set -euo pipefail
cd "$(dirname "$0")"

CARGO_FUZZ_VERSION=0.13.2
seconds="${1:-20}"
shift || true

if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
  echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

out="$(cd .. && pwd)/target/fuzz"
flags=(--sanitizer none --target-dir "$out/build")
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi

start=$SECONDS
cargo fuzz build "${flags[@]}"
echo "fuzz: built ${#targets[@]} targets in $((SECONDS - start)) s"

for t in "${targets[@]}"; do
  mkdir -p "$out/new-corpus/$t" "$out/artifacts/$t" "$out/logs"
  echo "fuzz: $t for ${seconds} s"
  status=0
  cargo fuzz run "${flags[@]}" "$t" "$out/new-corpus/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$out/artifacts/$t/" -print_final_stats=1 >"$out/logs/$t.log" 2>&1 ||
    status=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$out/logs/$t.log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$out/logs/$t.log"
    echo "fuzz: $t FAILED (exit $status); the input is in $out/artifacts/$t/"
    exit 1
  fi
done
echo "fuzz: ${#targets[@]} targets ran ${seconds} s each; $((SECONDS - start)) s in all"
