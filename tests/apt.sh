# Sourced by the scripts that install what they need (tests/run.sh, tests/deploy/run.sh,
# bench/run.sh, tests/generate/run.sh): Debian packages through apt, as root or with sudo.
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
