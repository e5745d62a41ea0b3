#!/usr/bin/env bash
# Scan a server's log for what must never be in it (docs/security.md): a panic or an internal
# error, and any of the given values — people's phone numbers, names and birth dates, keys,
# tokens, passwords — at any level. Used by compat/with-server.sh (after every judge) and by the
# browser tests (e2e/lib.mjs, after every test file).
#
#   .ci/scan-log.sh <log file> [value…]     values may also come one a line on stdin with -
#
# Exits 1 and names what it found (a value by its first three characters only, so the scan's
# own output leaks nothing); exits 2 if the log is missing or empty (nothing scanned proves
# nothing).
set -euo pipefail
log="${1:?usage: scan-log.sh <log file> [value…]}"
shift
if [ ! -s "$log" ]; then
  echo "scan-log.sh: $log is missing or empty" >&2
  exit 2
fi
values=("$@")
if [ "${#values[@]}" -eq 1 ] && [ "${values[0]}" = "-" ]; then
  values=()
  while IFS= read -r line; do values+=("$line"); done
fi
status=0
if grep -E -i "panicked|request failed" "$log" >&2; then
  echo "scan-log.sh: the server logged a panic or an internal error (above)" >&2
  status=1
fi
for v in "${values[@]}"; do
  [ -n "$v" ] || continue
  if grep -F -q -- "$v" "$log"; then
    echo "scan-log.sh: the server's log contains personal data or a secret (${v:0:3}…)" >&2
    status=1
  fi
done
exit "$status"
