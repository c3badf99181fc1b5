#!/usr/bin/env bash
# Load benchmarks: the template against its own bare route and a Django peer, in one run.
#   bash bench/run.sh                      # everything, about 3 minutes of load (+ first-time setup)
#   bash bench/run.sh --duration 5         # any bench/harness.py option passes through (--help)
# Installs wrk (Debian) if missing, builds the release binary, sets up the Python peer in
# bench/.venv, then runs bench/harness.py: loopback only, each scenario bounded by --duration.
# Results: bench/results/latest.md (the table) and latest.json (raw numbers).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null 2>&1; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 wrk >/dev/null
fi
python3 -c 'import venv' 2>/dev/null || {
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 python3-venv >/dev/null
}

echo "== release build"
cargo build --release --quiet --bin rocket-auth-template
echo "== python peer"
bash bench/python/setup.sh
echo "== load"
exec python3 bench/harness.py "$@"
