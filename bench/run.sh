#!/usr/bin/env bash
# Load benchmarks: the template against its own bare route and a Django peer, in one run, and the
# template on PostgreSQL (one instance, then two behind nginx) beside its SQLite figures.
#   bash bench/run.sh                      # everything, about 5 minutes of load (+ first-time setup)
#   bash bench/run.sh --no-postgres        # without the PostgreSQL runs (about 3 minutes)
#   bash bench/run.sh --duration 5         # any bench/harness.py option passes through (--help)
# Installs wrk (and PostgreSQL, nginx) if missing, builds the release binaries (PostgreSQL, then
# SQLite: one release build each), sets up the Python peer in
# bench/.venv, then runs bench/harness.py: loopback only, each scenario bounded by --duration.
# Results: bench/results/latest.md (the table) and latest.json (raw numbers).
set -euo pipefail
cd "$(dirname "$0")/.."

source tests/apt.sh
need_apt wrk wrk
python3 -c 'import venv' 2>/dev/null || install_apt python3-venv
if [[ " $* " != *" --no-postgres "* ]]; then
  # The PostgreSQL runs (bench/postgres.py) use tests/deploy's deployment.
  ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || install_apt postgresql
  [ -x /usr/sbin/nginx ] || install_apt nginx
  need_apt openssl openssl
  echo "== release build (PostgreSQL)"
  cargo build --release --quiet --no-default-features --features postgres --bin rocket-auth-template
  cp target/release/rocket-auth-template target/release/rocket-auth-template-postgres
fi

echo "== release build (SQLite)"
cargo build --release --quiet --bin rocket-auth-template
echo "== python peer"
bash bench/python/setup.sh
echo "== load"
exec python3 bench/harness.py "$@"
