#!/usr/bin/env bash
# The browser tests: playwright-core (pinned by package-lock.json) driving Debian's Chromium
# against the built `dojang` and `dojang-app` binaries, each test file its own `dojang demo`
# instance on a temporary data directory. DOJANG_SCREENSHOTS=1 refreshes docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")"
command -v "${CHROMIUM:-/usr/bin/chromium}" >/dev/null || { echo "e2e: Chromium not found (apt-get install chromium)"; exit 1; }
(cd .. && cargo build --bins --locked)
# The cloud certificate's keys live in a PKCS#11 token: the demo uses SoftHSM2 (cloud.test.mjs).
eval "$(../.ci/start-softhsm.sh)"
# The pki judge's locked virtualenv (compat/run.sh makes it too): app.test.mjs judges the phone
# app's browser-made SignedData with pyhanko-certvalidator (compat/python/cms_judge.py).
(cd .. && compat/python/venv.sh compat/python/requirements-pki.txt "${CARGO_TARGET_DIR:-target}/compat-venv-pki")
npm ci --no-audit --no-fund --silent
npm test
