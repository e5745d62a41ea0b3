#!/usr/bin/env bash
# The compatibility judges: LinkHub's official SDKs, unmodified, from PyPI (locked with hashes in
# compat/python/requirements-*.txt by compat/python/lock.sh, each in its own virtual environment under the target
# directory) and npm (pinned in compat/node/package-lock.json), each running its test program
# against a real dojang (compat/with-server.sh).
# Called by .ci/run; runs locally the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"

venv_for() {
  local venv="$target/compat-venv-$1"
  compat/python/venv.sh "compat/python/requirements-$1.txt" "$venv"
  echo "$venv"
}

# The count check first: compat/counted.sh must fail a judge that makes fewer or more checks than
# it declared (an SDK call that never calls back, say), or a green run below would prove nothing.
compat/counted-selftest.sh

# Every program runs even when one fails, so that one failure does not hide another; each is
# held to the number of checks it declares (compat/counted.sh).
failed=()
judge() { compat/with-server.sh compat/counted.sh "$@" || failed+=("${*: -1}"); }

barocert="$(venv_for barocert)"
judge "$barocert/bin/python" compat/python/barocert_kakao.py
judge "$barocert/bin/python" compat/python/barocert_others.py
# Python kakaocert reaches its service only over HTTPS: these run against dojang's TLS listener.
kakaocert2="$(venv_for kakaocert2)"
judge "$kakaocert2/bin/python" compat/python/kakaocert2.py
kakaocert1="$(venv_for kakaocert1)"
judge "$kakaocert1/bin/python" compat/python/kakaocert1.py
# kakaocert 2.0.0 still speaks API 1.0, with seed 002's GetVerifyAuthState and VerifyAuth.
kakaocert20="$(venv_for kakaocert20)"
judge "$kakaocert20/bin/python" compat/python/kakaocert_api1.py
# The PKI judged by independent tools: pkilint and pyhanko-certvalidator.
pki="$(venv_for pki)"
judge "$pki/bin/python" compat/python/pki_judge.py
# The same with the CA's key in a PKCS#11 token (SoftHSM2), when .ci/run has made one.
if [ -n "${DOJANG_TEST_HSM_TOKEN:-}" ]; then
  DOJANG_COMPAT_HSM=1 judge "$pki/bin/python" compat/python/pki_judge.py
else
  echo "compat: no PKCS#11 test token (eval \"\$(.ci/start-softhsm.sh)\"): the PKI judge ran with a file CA key only" >&2
fi

# The metrics listener read by the Prometheus project's own parser, with exact counts of one
# barocert flow (prometheus_client, pinned like the SDKs).
metrics="$(venv_for metrics)"
judge "$metrics/bin/python" compat/python/metrics_judge.py

# Node: barocert@1.8.0 and kakaocert@2.51.0, pinned in compat/node/package-lock.json.
(cd compat/node && npm ci --no-audit --no-fund --loglevel=error)
judge node compat/node/barocert.js
judge node compat/node/barocert_others.js
judge node compat/node/kakaocert.js

if [ "${#failed[@]}" -ne 0 ]; then
  echo "compat: FAILED: ${failed[*]}" >&2
  exit 1
fi
