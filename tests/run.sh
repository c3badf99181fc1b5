#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need, then runs them all.
#   bash tests/run.sh
# - the layer check (tests/layers.sh): no module imports from a layer above its own
# - Rust tests (unit + tests/api, each on its own temp SQLite file): cargo test; the mail tests
#   start a real SMTP server, aiosmtpd (Debian's python3-aiosmtpd, run by /usr/bin/python3); the
#   OIDC tests start OpenID Providers, Node programs in tests/oidc/ (npm ci here)
# - the same tests/api suite on PostgreSQL (feature `postgres`), each test on its own database of a
#   throwaway server started here from a temp data directory
# - Browser tests (tests/browser/*.test.mjs, headless Debian Chromium driven by playwright-core
#   under Node's test runner), when there are any; the JS client's typings among them
# - schemathesis against the live app, every operation of /api/openapi.json (tests/fuzz)
# - The deployment (tests/deploy/run.sh): a release build for PostgreSQL, two instances behind
#   nginx on a throwaway server, and the server stopped and started again under load.
set -euo pipefail
cd "$(dirname "$0")/.."

source tests/apt.sh

# The SMTP server the mail tests deliver to (tests/api/common/mail.rs starts it per test).
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || install_apt python3-aiosmtpd

# The OpenID Providers the OIDC tests sign in through (tests/api/oidc/, tests/browser/oidc.test.mjs):
# panva's oidc-provider and a controllable fake, Node programs in tests/oidc/.
need_apt node nodejs
need_apt npm npm
(cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error)

# The debug binary, built, by the package's name in whatever target directory cargo uses
# (CARGO_TARGET_DIR included): a project generated from this template, under another name, runs
# this script too.
app_bin() {
  cargo build --quiet
  local bin_name target_dir
  bin_name="$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
  target_dir="$(cargo metadata --no-deps --format-version 1 |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
  echo "$target_dir/debug/$bin_name"
}

echo "== Layers"
bash tests/layers.sh

echo "== Rust tests (SQLite)"
cargo test --all-targets

echo "== Rust tests (PostgreSQL)"
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
[ -n "$(pg_bin)" ] || install_apt postgresql
PG_BIN="$(pg_bin)"
pg_dir="$(mktemp -d)"
pg_port=$((20000 + RANDOM % 20000))
if [ "$(id -u)" = 0 ]; then pg_user=(runuser -u postgres --); chown postgres "$pg_dir"; else pg_user=(); fi
"${pg_user[@]}" "$PG_BIN/initdb" -D "$pg_dir/data" -U postgres -A trust >/dev/null
"${pg_user[@]}" "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w start \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" >/dev/null
trap '"${pg_user[@]}" "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1; rm -rf "$pg_dir"' EXIT
TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port" \
  cargo test --no-default-features --features postgres --test api

app="$(app_bin)"

if compgen -G "tests/browser/*.test.mjs" >/dev/null; then
  echo "== Browser tests"
  need_apt chromium chromium
  need_apt chromedriver chromium-driver
  need_apt node nodejs
  need_apt npm npm
  need_apt sqlite3 sqlite3  # passkeys.test.mjs ages a ceremony in the app's database
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
  APP_BIN="$app" node --test --test-concurrency=1 tests/browser/
fi

echo "== API fuzzing (schemathesis against the live app)"
need_apt python3 python3
python3 -c 'import ensurepip, venv' 2>/dev/null || install_apt python3-venv
APP_BIN="$app" bash tests/fuzz/run.sh

echo "== Deployment: PostgreSQL, two release instances, nginx, a database outage"
bash tests/deploy/run.sh

# The template itself: `cargo generate` makes a new project from this tree and runs its tests.
# Generated projects have no tests/generate, so this runs only in the template.
if [ -f tests/generate/run.sh ]; then
  echo "== Template generation (cargo generate)"
  bash tests/generate/run.sh
fi
