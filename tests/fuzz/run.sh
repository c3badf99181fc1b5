#!/usr/bin/env bash
# schemathesis against the live app (tests/fuzz/fuzz.py says how): installs it with pip into
# tests/fuzz/.venv (gitignored; pinned by requirements.txt), then runs both passes.
#   APP_BIN=target/debug/rocket-auth-template bash tests/fuzz/run.sh
# Needs python3 (>= 3.11) with venv; tests/run.sh installs them with apt when missing.
set -euo pipefail
cd "$(dirname "$0")"
venv=.venv
if ! cmp -s requirements.txt "$venv/installed.txt" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt "$venv/installed.txt"
fi
exec "$venv/bin/python" fuzz.py
