#!/usr/bin/env bash
# The harness's count check, shown to fail: compat/counted.sh over deliberately broken judges
# (a Node judge whose SDK never calls back, programs that exit 0 without their count line or
# with a count other than their plan, a Python judge one check short) must each be red, and
# over correct ones green. No server needed; a second or two. Run by compat/run.sh first.
set -uo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp "${TMPDIR:-/tmp}/dojang-selftest.XXXXXX")"
trap 'rm -f "$log"' EXIT
bad=0
# expect <red|green> <what> <why> <command…>: red with counted.sh's message matching <why> (an
# extended regular expression), so that a case is not red for some other reason; green.
expect() {
  local want="$1" what="$2" why="$3" got
  shift 3
  if compat/counted.sh "$@" >"$log" 2>&1; then got=green; else got=red; fi
  if [ "$got" = "$want" ] && { [ "$want" = green ] || grep -q -E "^counted.sh: .*$why" "$log"; }; then
    echo "counted-selftest: $want as it should be: $what"
  else
    echo "counted-selftest: $got, expected $want ($why): $what; its output:" >&2
    cat "$log" >&2
    bad=1
  fi
}
py=(env PYTHONPATH=compat/python python3 -c)

expect red "a Node judge whose SDK never calls back" "exit status 1" \
  node compat/node/selftest_never_calls_back.js
expect green "the same judge when the SDK answers" "" \
  env STUB_CALLS_BACK=1 node compat/node/selftest_never_calls_back.js
expect red "exit 0 after the plan, no count line (a pending promise without judge.js's exit check)" \
  "without reaching its end" sh -c 'echo "compat-judge: plan 3"; exit 0'
expect red "exit 0 with fewer checks than planned" "planned 3 checks, ran 2" \
  sh -c 'echo "compat-judge: plan 3"; echo "compat-judge: ran 2"'
expect red "exit 0 with more checks than planned" "planned 3 checks, ran 4" \
  sh -c 'echo "compat-judge: plan 3"; echo "compat-judge: ran 4"'
expect red "exit 0 with a count but no plan" "without declaring" sh -c 'echo "compat-judge: ran 3"'
expect red "a plan printed twice" "without declaring" \
  sh -c 'echo "compat-judge: plan 1"; echo "compat-judge: plan 1"; echo "compat-judge: ran 1"'
expect red "the count before the plan" "before declaring" \
  sh -c 'echo "compat-judge: ran 1"; echo "compat-judge: plan 1"'
expect red "the right count and a failing exit status" "exit status 1" \
  sh -c 'echo "compat-judge: plan 1"; echo "compat-judge: ran 1"; exit 1'
expect red "a Python judge one check short" "exit status 1" \
  "${py[@]}" 'import counting; counting.plan(2); counting.check(True, "one"); counting.finish("short")'
expect red "a Python judge whose check fails" "exit status 1" \
  "${py[@]}" 'import counting; counting.plan(1); counting.check(False, "no"); counting.finish("bad")'
expect green "a Python judge that makes its plan" "" \
  "${py[@]}" 'import counting; counting.plan(2); counting.check(True, "1"); counting.check(True, "2")
counting.finish("ok")'

if [ "$bad" -ne 0 ]; then
  echo "counted-selftest: FAILED: compat/counted.sh does not hold judges to their count" >&2
  exit 1
fi
