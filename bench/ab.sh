#!/usr/bin/env bash
# An A/B that counts: a baseline commit's release binary against the working tree's, both built
# in one folder (target/ab/tree, checked out in turn), then bench/ab.py measures them.
#   bash bench/ab.sh --baseline main                  # every scenario
#   bash bench/ab.sh --baseline 0c87f93 --scenarios refresh1,refresh8 --duration 0
# Any other option passes through to bench/ab.py (--help). The working tree is taken as it is,
# uncommitted and untracked files included (not the ignored ones). Results: bench/results/ab.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/apt.sh
need_apt wrk wrk
need_apt valgrind valgrind

baseline=""
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --baseline) baseline="$2"; shift 2 ;;
    *) pass+=("$1"); shift ;;
  esac
done
[ -n "$baseline" ] || { echo "usage: bash bench/ab.sh --baseline <rev> [bench/ab.py options]" >&2; exit 2; }
base_commit="$(git rev-parse --verify "$baseline^{commit}")"

# The working tree as a commit (a temporary index, so the real one is left alone).
index="$(mktemp)"
trap 'rm -f "$index"' EXIT
cp "$(git rev-parse --git-dir)/index" "$index"
GIT_INDEX_FILE="$index" git add -A
tree="$(GIT_INDEX_FILE="$index" git write-tree)"
work_commit="$(git commit-tree "$tree" -p HEAD -m "bench/ab.sh: the working tree")"

dir=target/ab
mkdir -p "$dir/bin"
if [ ! -e "$dir/tree/.git" ]; then
  rm -rf "$dir/tree"
  git worktree add --detach --force "$dir/tree" "$base_commit" >/dev/null
fi
build() { # build COMMIT NAME: the release binary of COMMIT, built in $dir/tree, as $dir/bin/NAME
  git -C "$dir/tree" checkout --quiet --detach --force "$1"
  git -C "$dir/tree" clean -fdq
  echo "== release build of $(git log -1 --format='%h %s' "$1" | cut -c1-70)"
  (cd "$dir/tree" && CARGO_TARGET_DIR="$PWD/../target" cargo build --release --quiet \
    --bin rocket-auth-template)
  cp "$dir/target/release/rocket-auth-template" "$dir/bin/$2"
}
build "$base_commit" A
build "$work_commit" B
exec python3 bench/ab.py --a "$dir/bin/A" --b "$dir/bin/B" \
  --a-label "$baseline ($(git rev-parse --short "$base_commit"))" \
  --b-label "working tree on $(git rev-parse --short HEAD)" "${pass[@]}"
