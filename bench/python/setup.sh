#!/usr/bin/env bash
# Sets up the Python peer in a venv under bench/.venv (gitignored): Django, DRF, simplejwt,
# dj-rest-auth, gunicorn and argon2-cffi at the versions pinned in requirements.txt.
#   bash bench/python/setup.sh        (bench/run.sh calls it)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/../.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# Quiet when everything is already there; pip only downloads what is missing.
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python" -c 'from importlib.metadata import version as v
print("python peer:", ", ".join(p + " " + v(p) for p in ["Django", "djangorestframework",
      "djangorestframework_simplejwt", "dj-rest-auth", "gunicorn"]))'
