#!/usr/bin/env bash
# Runs one compatibility judge and holds it to its count. Every judge declares up front how many
# checks it makes, printing `compat-judge: plan <n>` before the first, and prints
# `compat-judge: ran <m>` at its end (compat/node/judge.js, compat/python/counting.py). The run
# passes only when the judge exits 0 and prints each line exactly once, in that order, with
# m = n: a judge whose SDK call never calls back (Node then exits 0 with its promise pending),
# one that stops early, or one whose number of checks depends on timing fails here.
# compat/run.sh runs every judge this way inside compat/with-server.sh; compat/counted-selftest.sh
# shows that each of those failures turns it red.
# Usage: compat/counted.sh <command> [args…]
set -uo pipefail
say() { echo "counted.sh: $*" >&2; }
out="$(mktemp "${TMPDIR:-/tmp}/dojang-judge.XXXXXX")"
trap 'rm -f "$out"' EXIT

"$@" | tee "$out"
status="${PIPESTATUS[0]}"
if [ "$status" -ne 0 ]; then
  say "$*: exit status $status"
  exit 1
fi
plans="$(grep -n -E '^compat-judge: plan [0-9]+$' "$out" || true)"
rans="$(grep -n -E '^compat-judge: ran [0-9]+$' "$out" || true)"
if [ -z "$plans" ] || [ "$(wc -l <<<"$plans")" -ne 1 ]; then
  say "$*: exited 0 without declaring its checks exactly once (\`compat-judge: plan <n>\`)"
  exit 1
fi
if [ -z "$rans" ] || [ "$(wc -l <<<"$rans")" -ne 1 ]; then
  say "$*: exited 0 without reaching its end (no single \`compat-judge: ran <n>\` line)"
  exit 1
fi
plan_line="${plans%%:*}" planned="${plans##* }"
ran_line="${rans%%:*}" ran="${rans##* }"
if [ "$ran_line" -lt "$plan_line" ]; then
  say "$*: counted its checks before declaring them"
  exit 1
fi
if [ "$ran" -ne "$planned" ]; then
  say "$*: planned $planned checks, ran $ran"
  exit 1
fi
