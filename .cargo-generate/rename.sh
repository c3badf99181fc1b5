#!/bin/sh
# Run by rename.rhai (cargo-generate's post hook) at the root of the project being generated:
#   sh .cargo-generate/rename.sh NAME CRATE_NAME TITLE      e.g. my-app my_app 'My App'
# Rewrites the template's own name in every text file, drops the template-only parts of the README
# and docs/, and formats the Rust code again (shorter or longer names change where rustfmt wraps
# lines).
set -eu
name=$1 crate_name=$2 title=$3

# The replacement side of a sed `s|…|…|`: escape \, | and &.
sed_escape() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }
name_re=$(sed_escape "$name")
crate_re=$(sed_escape "$crate_name")
title_re=$(sed_escape "$title")

grep -rlI --exclude-dir=.git --exclude-dir=.cargo-generate --exclude-dir=target \
  --exclude-dir=node_modules -e 'rocket-auth-template' -e 'rocket_auth_template' \
  -e 'Rocket Auth' . |
  while IFS= read -r file; do
    sed -e "s|rocket-auth-template|$name_re|g" \
      -e "s|rocket_auth_template|$crate_re|g" \
      -e "s|Rocket Auth|$title_re|g" "$file" >"$file.renamed"
    # Written back in place, so the file keeps its mode (scripts stay executable).
    cat "$file.renamed" >"$file"
    rm "$file.renamed"
  done

# "Start your own project" and the like describe the template, not the new project.
for doc in README.md docs/*.md; do
  sed -e '/<!-- template-only -->/,/<!-- \/template-only -->/d' "$doc" >"$doc.renamed"
  cat "$doc.renamed" >"$doc"
  rm "$doc.renamed"
done

if command -v cargo >/dev/null 2>&1; then
  cargo fmt --all >/dev/null 2>&1 || echo "warning: cargo fmt failed; run it in the new project" >&2
fi
