#!/usr/bin/env bash
# Fuzz the native relying-party API with schemathesis against the real `dojang` binary.
#
# Runs inside compat/with-server.sh: a real server on a temporary data directory and a free port
# on 127.0.0.1, a relying party, and 홍길동 / 01012345678 / 19900101 (the person of the document's
# examples) enrolled with `dojang-app --auto-approve`, so that valid requests are created, signed,
# polled, verified and cancelled for real. Then schemathesis
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
say() { echo "schemathesis.sh: $*"; }

if [ "${1:-}" != "--inside" ]; then
  # 1. schemathesis, locked with hashes (compat/python/lock.sh), in its own virtual environment.
  compat/python/venv.sh .ci/schemathesis-requirements.txt "$venv"
  "$venv/bin/schemathesis" --version
  # 2. The server, the relying party and the approving app; then this script again, inside.
  exec compat/with-server.sh "$0" --inside
fi

# 3. schemathesis over the document, every request signed by the hooks file.
status=0
started=$SECONDS
SCHEMATHESIS_HOOKS=.ci/schemathesis_hooks.py "$venv/bin/schemathesis" run "$DOJANG_URL/v1/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --max-examples "$examples" \
  --workers 1 \
  --request-timeout 40 \
  --suppress-health-check all \
  --report junit --report-dir "$target/schemathesis-report" ||
  status=$?
say "schemathesis took $((SECONDS - started)) s, exit $status"

# 4. What the server answered, per route and status: proof that signed requests got through
# authentication (a signing mistake would show as nothing but 401). with-server.sh checks
# afterwards that the server is up and logged no panic or internal error.
say "answers by route and status:"
sed -n 's/.*method=\([A-Z]*\) path="\(\/v1\/[^"]*\)".* status=\([0-9]*\).*/\3 \1 \2/p' "$DOJANG_SERVER_LOG" |
  { grep -v '^405 ' || true; } | sort | uniq -c | sort -k2,2 -k4,4
say "$(grep -c 'status=405' "$DOJANG_SERVER_LOG" || true) answers 405 to undocumented methods"
if ! grep -q 'method=POST path="/v1/identity".* status=200' "$DOJANG_SERVER_LOG"; then
  say "no identity request was ever accepted: are requests signed correctly?"
  status=1
fi
exit "$status"
