#!/usr/bin/env bash
# Runs a command against a real dojang: builds `dojang` and `dojang-app`, starts the server on a
# free port with a temporary data directory, registers a relying party, enrols 홍길동
# (01012345678, 19900101) with `dojang-app` (the one-time code read from the SMS outbox), keeps
# `dojang-app listen --auto-approve` running for that person, then runs the command with:
#
#   DOJANG_URL          http://127.0.0.1:<port> (service URL and auth URL alike)
#   DOJANG_LINK_ID, DOJANG_SECRET_KEY, DOJANG_CLIENT_CODE   the relying party's credentials
#   DOJANG_CA_PEM       the CA certificate (for `openssl cms -verify`)
#   DOJANG_RECEIVER_NAME, DOJANG_RECEIVER_HP, DOJANG_RECEIVER_BIRTHDAY   the enrolled person
#
# and stops everything afterwards. Usage: compat/with-server.sh <command> [args…]
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d "${TMPDIR:-/tmp}/dojang-compat.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
say() { echo "with-server.sh: $*" >&2; }
wait_for() {
  local file="$1" needle="$2" limit="$3" i
  for ((i = 0; i < limit * 10; i++)); do
    if grep -F -m1 -- "$needle" "$file" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  say "timed out waiting for '$needle' in $file:"
  cat "$file" >&2
  return 1
}

cargo build --locked --bin dojang --bin dojang-app >&2
dojang="$target/debug/dojang"
app="$target/debug/dojang-app"
data="$work/data"
export DOJANG_PIN=135790
cat >"$work/dojang.toml" <<'TOML'
[policy]
dev_reveal_binding_code = true
person_requests_per_minute = 0
TOML
"$dojang" serve --config "$work/dojang.toml" --data-dir "$data" --listen 127.0.0.1:0 \
  >"$work/server.log" 2>&1 &
pids+=($!)
DOJANG_URL="$(wait_for "$work/server.log" "dojang listening on " 60 | awk '{print $NF}')"
rp="$("$dojang" admin --data-dir "$data" rp add --name "도장 호환성 시험" --call-center 1600-0000 --json)"
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])" <<<"$rp"; }
DOJANG_LINK_ID="$(field linkID)"
DOJANG_SECRET_KEY="$(field secretKey)"
DOJANG_CLIENT_CODE="$(field clientCode)"
DOJANG_CA_PEM="$data/ca/ca.pem"
DOJANG_RECEIVER_NAME=홍길동
DOJANG_RECEIVER_HP=01012345678
DOJANG_RECEIVER_BIRTHDAY=19900101
export DOJANG_URL DOJANG_LINK_ID DOJANG_SECRET_KEY DOJANG_CLIENT_CODE DOJANG_CA_PEM \
  DOJANG_RECEIVER_NAME DOJANG_RECEIVER_HP DOJANG_RECEIVER_BIRTHDAY

mkfifo "$work/code"
exec 3<>"$work/code"
"$app" --profile "$work/app" enroll --server "$DOJANG_URL" --name "$DOJANG_RECEIVER_NAME" \
  --phone "$DOJANG_RECEIVER_HP" --birth "$DOJANG_RECEIVER_BIRTHDAY" <&3 >"$work/enrol.log" 2>&1 &
enrol_pid=$!
pids+=("$enrol_pid")
wait_for "$work/enrol.log" "one-time code was sent" 60 >/dev/null
code="$("$dojang" admin --data-dir "$data" outbox --phone "$DOJANG_RECEIVER_HP" --json |
  python3 -c 'import json,re,sys; print(re.search(r"\d{6}", json.load(sys.stdin)[0]["text"]).group())')"
echo "$code" >&3
wait_for "$work/enrol.log" "enrolled: certificate" 60 >/dev/null
wait "$enrol_pid"
exec 3>&-
"$app" --profile "$work/app" listen --auto-approve --json >"$work/app.log" 2>&1 &
pids+=($!)
wait_for "$work/app.log" '"connected"' 30 >/dev/null
say "dojang at $DOJANG_URL, relying party $DOJANG_CLIENT_CODE, 홍길동 enrolled and listening"

status=0
"$@" || status=$?
if grep -E -i "panicked|request failed" "$work/server.log" >&2; then
  say "the server logged a panic or an internal error (above)"
  status=1
fi
if [ "$status" -ne 0 ]; then
  say "FAILED ($status); server log tail:"
  tail -30 "$work/server.log" >&2
fi
exit "$status"
