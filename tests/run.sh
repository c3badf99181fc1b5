#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need, then runs them all.
#   bash tests/run.sh
# - Rust tests (unit + tests/api, each on its own temp SQLite file): cargo test
# - Browser tests (tests/browser/*.test.mjs, headless Debian Chromium driven by playwright-core
#   under Node's test runner), when there are any.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
need_apt() { # need_apt COMMAND PACKAGE...
  command -v "$1" >/dev/null 2>&1 && return 0
  shift
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

echo "== Rust tests"
cargo test --all-targets

if compgen -G "tests/browser/*.test.mjs" >/dev/null; then
  echo "== Browser tests"
  need_apt chromium chromium
  need_apt chromedriver chromium-driver
  need_apt node nodejs
  need_apt npm npm
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
  cargo build --quiet
  APP_BIN="$PWD/target/debug/rocket-auth-template" node --test --test-concurrency=1 tests/browser/
fi
