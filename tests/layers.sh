#!/usr/bin/env bash
# The floor holds: a module imports only from its own layer or the layers below it, and the two
# front ends (api/, pages/) never import each other. Reads every `crate::…` path in src/.
#   bash tests/layers.sh          # exit 1 and one line per wrong import
set -euo pipefail
cd "$(dirname "$0")/.."

# Bottom to top. A module not listed here is an error: place it when you add it.
layers=(
  # the floor: imports nothing above it. `metrics` is the recording facade the rooms count
  # through (mail, auth, account...); its route and request timer are `monitoring`, at the top.
  "clock error db config assets metrics"
  "mail"                                 # sends what the rooms ask for
  "auth"                                 # the token and session core
  "account mfa passkeys oidc admin"      # the rooms: the steps of each concept
  "web"                                  # the Rocket edge: guards, cookies, CSRF, same-site
  "api pages health housekeeping monitoring" # routes and fairings over all of it
  "cli lib main"                         # the app assembled
)
level_of() {
  local i
  for i in "${!layers[@]}"; do
    for m in ${layers[$i]}; do [ "$m" = "$1" ] && { echo "$i"; return; }; done
  done
  echo ""
}
# The room a file belongs to: src/<room>/… or src/<room>.rs.
module_of() { local p="${1#src/}"; p="${p%%/*}"; echo "${p%.rs}"; }

status=0
while IFS= read -r file; do
  from="$(module_of "$file")"
  from_level="$(level_of "$from")"
  if [ -z "$from_level" ]; then
    echo "$file: module '$from' has no layer in tests/layers.sh"; status=1; continue
  fi
  # Every crate path named outside comments: `crate::room::…` or `crate::room;`.
  while IFS=: read -r line to; do
    to_level="$(level_of "$to")"
    if [ -z "$to_level" ]; then
      continue # a crate-root item (lib.rs's `build`, `rocket`): the top layer's own
    fi
    if [ "$to_level" -gt "$from_level" ]; then
      echo "$file:$line: $from (layer $from_level) imports $to (layer $to_level), which is above it"
      status=1
    elif { [ "$from" = api ] && [ "$to" = pages ]; } || { [ "$from" = pages ] && [ "$to" = api ]; }; then
      echo "$file:$line: $from imports $to: the front ends share through web/ or the core"
      status=1
    fi
  done < <(grep -n 'crate::' "$file" | grep -v '^[0-9]*:\s*//' |
    grep -o '^[0-9]*:\|crate::[a-z_]*' | awk '/^[0-9]+:$/ {n=$0; next} {sub("crate::", ""); print n $0}' |
    sed 's/^\([0-9]*\)::*/\1:/' | sort -u)
done < <(find src -name '*.rs' | sort)

[ "$status" = 0 ] && echo "layers: every import points down"
exit "$status"
