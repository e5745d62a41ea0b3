#!/usr/bin/env bash
# Fuzz the native relying-party API with schemathesis against the real `dojang` binary.
#
# Starts a server on a temporary data directory and a free port on 127.0.0.1, registers a relying
# party (`dojang admin rp add --json`), enrols 홍길동 / 01012345678 / 19900101 (the person of the
# document's examples) with `dojang-app` and keeps that app listening with --auto-approve, so that
# valid requests are created, signed, polled, verified and cancelled for real. Then schemathesis
# reads /v1/openapi.json and sends generated requests, each signed by .ci/schemathesis_hooks.py
# exactly as dojang-proto's auth.rs specifies. Fails on any 5xx, any status, content type,
# header or body the document does not describe. Rate limits and the one-waiting-request guard
# answer 409/429, which the document describes.
#
# Environment: CARGO_TARGET_DIR (default target), DOJANG_SCHEMATHESIS_EXAMPLES (max examples per
# operation and phase, default 100), DOJANG_SCHEMATHESIS_VENV (where the virtualenv lives).
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
venv="${DOJANG_SCHEMATHESIS_VENV:-$target/schemathesis-venv}"
examples="${DOJANG_SCHEMATHESIS_EXAMPLES:-100}"
work="$(mktemp -d "${TMPDIR:-/tmp}/dojang-schemathesis.XXXXXX")"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

say() { echo "schemathesis.sh: $*"; }

# Wait until a log file has a line containing $2 (at most $3 seconds); print that line.
wait_for() {
  local file="$1" needle="$2" limit="$3" i
  for ((i = 0; i < limit * 10; i++)); do
    if grep -F -m1 -- "$needle" "$file" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  say "timed out waiting for '$needle' in $file:"
  cat "$file" >&2
  return 1
}

# 1. schemathesis, pinned, in a virtualenv reused while the requirements stay the same.
requirements=.ci/schemathesis-requirements.txt
if [ ! -x "$venv/bin/schemathesis" ] || ! cmp -s "$requirements" "$venv/requirements.txt"; then
  say "installing schemathesis into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi
"$venv/bin/schemathesis" --version

# 2. The binaries.
cargo build --locked --bin dojang --bin dojang-app
dojang="$target/debug/dojang"
app="$target/debug/dojang-app"
data="$work/data"
profile="$work/app"
export DOJANG_PIN=246810

# 3. The server. The development outbox keeps the SMS codes; the binding code is revealed to the
# scripted app so that --auto-approve picks the right one.
cat >"$work/dojang.toml" <<'TOML'
[policy]
dev_reveal_binding_code = true
# More than the default 5, so that more valid requests get through; 429 is still exercised.
person_requests_per_minute = 30
TOML
"$dojang" serve --config "$work/dojang.toml" --data-dir "$data" --listen 127.0.0.1:0 \
  >"$work/server.log" 2>&1 &
pids+=($!)
url="$(wait_for "$work/server.log" "dojang listening on " 60 | awk '{print $NF}')"
say "server at $url"

# 4. A relying party and its credentials.
rp="$("$dojang" admin --data-dir "$data" rp add --name "스키마 검사" --call-center 120 --json)"
DOJANG_LINK_ID="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["linkID"])' <<<"$rp")"
DOJANG_SECRET_KEY="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["secretKey"])' <<<"$rp")"
export DOJANG_LINK_ID DOJANG_SECRET_KEY

# 5. A member: the app enrols, reading the one-time code from a pipe the script writes once the
# code is in the outbox; then it listens and approves everything.
mkfifo "$work/code"
exec 3<>"$work/code"
"$app" --profile "$profile" enroll --server "$url" --name 홍길동 --phone 01012345678 \
  --birth 19900101 <&3 >"$work/enrol.log" 2>&1 &
enrol_pid=$!
pids+=("$enrol_pid")
wait_for "$work/enrol.log" "one-time code was sent" 60 >/dev/null
code="$("$dojang" admin --data-dir "$data" outbox --phone 01012345678 --json |
  python3 -c 'import json,re,sys; print(re.search(r"\d{6}", json.load(sys.stdin)[0]["text"]).group())')"
echo "$code" >&3
wait_for "$work/enrol.log" "enrolled: certificate" 60 >/dev/null
wait "$enrol_pid"
exec 3>&-
"$app" --profile "$profile" listen --auto-approve --json >"$work/app.log" 2>&1 &
pids+=($!)
wait_for "$work/app.log" '"connected"' 30 >/dev/null
say "member enrolled and listening"

# 6. Fuzz. One worker: with several, hypothesis's lambda-source parsing trips a thread-safety bug of
# CPython 3.11's `ast` ("AST constructor recursion depth mismatch"). Every phase (examples, coverage, fuzzing, stateful over the document's links), positive
# and negative data, bounded per operation.
status=0
started=$SECONDS
SCHEMATHESIS_HOOKS=.ci/schemathesis_hooks.py "$venv/bin/schemathesis" run "$url/v1/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --max-examples "$examples" \
  --workers 1 \
  --request-timeout 40 \
  --suppress-health-check all \
  --report junit --report-dir "$target/schemathesis-report" ||
  status=$?
say "schemathesis took $((SECONDS - started)) s, exit $status"

# 7. What the server answered, per route and status: proof that signed requests got through
# authentication (a signing mistake would show as nothing but 401).
say "answers by route and status:"
sed -n 's/.*method=\([A-Z]*\) path="\(\/v1\/[^"]*\)".* status=\([0-9]*\).*/\3 \1 \2/p' "$work/server.log" |
  { grep -v '^405 ' || true; } | sort | uniq -c | sort -k2,2 -k4,4
say "$(grep -c 'status=405' "$work/server.log" || true) answers 405 to undocumented methods"
if ! grep -q 'method=POST path="/v1/identity".* status=200' "$work/server.log"; then
  say "no identity request was ever accepted: are requests signed correctly?"
  status=1
fi

# 8. The server must still be up and must not have panicked.
if grep -E -i "panicked|request failed" "$work/server.log"; then
  say "the server logged a panic or an internal error (above)"
  status=1
fi
if ! kill -0 "${pids[0]}" 2>/dev/null; then
  say "the server died"
  tail -50 "$work/server.log" >&2
  status=1
fi
if [ "$status" -ne 0 ]; then
  say "FAILED; server log tail:"
  tail -30 "$work/server.log" >&2
fi
exit "$status"
