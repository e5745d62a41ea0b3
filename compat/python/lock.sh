#!/usr/bin/env bash
# Re-lock every Python dependency of the judges and tools, transitively and with hashes (as
# package-lock.json does for npm): each `*.in` beside its `*.txt` lock. Run after editing an
# `.in` file, commit both. The locks are installed by compat/python/venv.sh with
# --require-hashes, so a new release on PyPI cannot change what CI runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools="${CARGO_TARGET_DIR:-target}/pip-tools-venv"
# pip-tools itself from its own lock (bootstrap a new lock with `pip install pip-tools==7.7.0`).
compat/python/venv.sh compat/python/requirements-piptools.txt "$tools"
# An operator's find-links (PIP_FIND_LINKS) would hide the registry's hashes from pip-compile.
unset PIP_FIND_LINKS
export CUSTOM_COMPILE_COMMAND="compat/python/lock.sh"
for in in compat/python/*.in .ci/*.in; do
  echo "lock.sh: ${in%.in}.txt" >&2
  "$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-index-url --no-emit-find-links --rebuild -o "${in%.in}.txt" "$in"
done
