#!/usr/bin/env bash
# The deployment suite: PostgreSQL, two release instances started at the same moment, nginx in
# front, and a database outage (tests/deploy/suite.py says what is checked).
#   bash tests/deploy/run.sh               (tests/run.sh runs it)
#   bash tests/deploy/run.sh revoked       only the checks whose name contains "revoked"
#   bash tests/deploy/run.sh outage        only the checks of tests/deploy/outage.py
# Installs PostgreSQL, nginx, openssl and python3 with apt when missing, then builds the release
# binary for PostgreSQL once (several minutes the first time; later runs reuse it).
set -euo pipefail
cd "$(dirname "$0")/../.."

source tests/apt.sh

ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || install_apt postgresql
[ -x /usr/sbin/nginx ] || install_apt nginx
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
