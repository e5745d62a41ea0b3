#!/usr/bin/env bash
# venv.sh LOCK VENV: make VENV a virtualenv holding exactly LOCK (a pip-compile lock with
# hashes, compat/python/lock.sh) and nothing else; reused while LOCK is unchanged. The build
# tools come first, by hash too (build-requirements.txt), and source packages are built with
# them (--no-build-isolation), so nothing unhashed is ever fetched.
set -euo pipefail
lock="$1" venv="$2"
build="$(dirname "$0")/build-requirements.txt"
if [ -x "$venv/bin/python" ] && cat "$build" "$lock" | cmp -s - "$venv/installed.lock"; then
  exit 0
fi
echo "venv.sh: installing $lock into $venv" >&2
rm -rf "$venv"
python3 -m venv "$venv"
pip=("$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps)
"${pip[@]}" -r "$build"
"${pip[@]}" --no-build-isolation -r "$lock"
"$venv/bin/pip" check >&2
cat "$build" "$lock" > "$venv/installed.lock"
