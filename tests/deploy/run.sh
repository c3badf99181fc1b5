#!/usr/bin/env bash
# The deployment suite: PostgreSQL, two release instances started at the same moment, nginx in
# front, and a database outage (tests/deploy/suite.py says what is checked).
#   bash tests/deploy/run.sh               (tests/run.sh runs it)
#   bash tests/deploy/run.sh revoked       only the checks whose name contains "revoked"
# Installs PostgreSQL, nginx, openssl and python3 with apt when missing, then builds the release
# binary for PostgreSQL once (several minutes the first time; later runs reuse it).
set -euo pipefail
cd "$(dirname "$0")/../.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
install_apt() { # install_apt PACKAGE...
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "$@" >/dev/null
}
need_apt() { # need_apt COMMAND PACKAGE...: installs the packages unless COMMAND exists
  command -v "$1" >/dev/null 2>&1 || { shift; install_apt "$@"; }
}

ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || install_apt postgresql
need_apt nginx nginx
need_apt openssl openssl
need_apt python3 python3
# Debian's nginx package may start its own server on port 80; ours runs on free ports beside it.

echo "-- release build (PostgreSQL)"
cargo build --release --quiet --no-default-features --features postgres
# Kept under its own name: a SQLite release build (bench/run.sh) writes the same path.
bin_name="$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
target_dir="$(cargo metadata --no-deps --format-version 1 |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
cp "$target_dir/release/$bin_name" "$target_dir/release/$bin_name-postgres"
export CARGO_TARGET_DIR="$target_dir"
python3 tests/deploy/suite.py "$@"
