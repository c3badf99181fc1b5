#!/usr/bin/env bash
# The template as a template: `cargo generate --path` makes `my-app` from this working tree
# (uncommitted changes included); the new project must carry its name everywhere, and pass its
# own checks and its whole test suite (`bash tests/run.sh`).
#   bash tests/generate/run.sh                 (tests/run.sh runs it last)
#   GENERATE_KEEP=1 bash tests/generate/run.sh  keeps the generated project and says where
# Installs cargo-generate when it is missing (cargo install, several minutes the first time).
# The new project builds into this project's target directory: same Cargo.lock, so every
# dependency is reused and only the new crate compiles; its artifacts are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The newest release that builds on the toolchain this project is tested with (0.24 and later
# need a newer rustc).
CARGO_GENERATE_VERSION=0.23.7
NAME=my-app
CRATE=my_app
TITLE="My App"

source tests/apt.sh
fail() { echo "template generation: $*" >&2; exit 1; }

if ! cargo generate --version 2>/dev/null | grep -q .; then
  echo "-- installing cargo-generate $CARGO_GENERATE_VERSION"
  # git2 links the system OpenSSL (found through pkg-config); libgit2 itself is vendored.
  missing=()
  for pkg in pkg-config libssl-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} = 0 ] || install_apt "${missing[@]}"
  build_dir="$(mktemp -d)"
  CARGO_TARGET_DIR="$build_dir" cargo install --quiet --locked cargo-generate \
    --version "$CARGO_GENERATE_VERSION"
  rm -rf "$build_dir"
fi
echo "-- $(cargo generate --version)"

target_dir="$(cargo metadata --no-deps --format-version 1 |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
[ -n "$target_dir" ] || fail "cannot find cargo's target directory"
work="$(mktemp -d)"
app="$work/$NAME"
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  if [ -d "$app" ]; then
    (cd "$app" && CARGO_TARGET_DIR="$target_dir" cargo clean --quiet -p "$NAME" 2>/dev/null) || true
    rm -f "$target_dir/release/$NAME-postgres"  # tests/deploy's copy of the release build
  fi
  if [ -n "${GENERATE_KEEP:-}" ]; then echo "-- kept $app"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The template: the working tree's files, tracked or new, without what git ignores (target/
# alone would be gigabytes, and cargo-generate 0.23 copies every file before it ignores any).
mkdir "$work/template"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
    tar --null -T - -cf - | tar -xf - -C "$work/template"
else
  tar --exclude=./target --exclude=./.git -cf - . | tar -xf - -C "$work/template"
fi

echo "-- cargo generate --name $NAME"
started=$SECONDS
cargo generate --path "$work/template" --name "$NAME" --destination "$work" \
  --vcs none --allow-commands --silent
echo "-- generated in $((SECONDS - started)) s"
cd "$app"

echo "-- the new project carries its name"
left="$(grep -rIl -e 'rocket-auth-template' -e 'rocket_auth_template' -e 'Rocket Auth' . || true)"
[ -z "$left" ] || fail "the template's name is left in: $left"
grep -qx "name = \"$NAME\"" Cargo.toml || fail "Cargo.toml: the package is not $NAME"
grep -qx "name = \"$NAME\"" Cargo.lock || fail "Cargo.lock: the package is not $NAME"
grep -q "$CRATE::" src/main.rs || fail "src/main.rs does not use $CRATE"
[ "$(head -n 1 README.md)" = "# $NAME" ] || fail "README.md's title is not $NAME"
grep -q "· $TITLE</title>" templates/base.html.tera || fail "page titles do not say $TITLE"
for gone in cargo-generate.toml .cargo-generate tests/generate; do
  [ ! -e "$gone" ] || fail "$gone is template machinery, not part of a new project"
done
! grep -q "template-only" README.md docs/*.md || fail "README.md or docs/ keep the template-only parts"
cargo fmt --check || fail "the generated code is not rustfmt-clean"

export CARGO_TARGET_DIR="$target_dir"
echo "-- the new binary serves its pages under its name"
command -v curl >/dev/null 2>&1 || install_apt curl
cargo build --quiet
port=$((20000 + RANDOM % 20000))
ROCKET_PORT=$port ROCKET_DATABASES="{app={url=\"sqlite://$work/boot.db\"}}" \
  "$target_dir/debug/$NAME" >"$work/boot.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/login" | grep -q "<title>Sign in · $TITLE</title>" ||
  { cat "$work/boot.log" >&2; fail "GET /login does not show \"Sign in · $TITLE\""; }
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""

echo "-- the new project's own test suite"
bash tests/run.sh
echo "-- template generation: ok"
